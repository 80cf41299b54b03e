
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select amount_usd_sum_30d
from "test"."fo_dev"."feat_user__spend_windows"
where amount_usd_sum_30d is null



  
  
      
    ) dbt_internal_test