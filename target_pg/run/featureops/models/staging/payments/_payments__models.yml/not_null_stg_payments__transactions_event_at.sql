
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select event_at
from "test"."fo_dev"."stg_payments__transactions"
where event_at is null



  
  
      
    ) dbt_internal_test