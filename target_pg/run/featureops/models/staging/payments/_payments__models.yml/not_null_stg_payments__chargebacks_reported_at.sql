
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select reported_at
from "test"."fo_dev"."stg_payments__chargebacks"
where reported_at is null



  
  
      
    ) dbt_internal_test