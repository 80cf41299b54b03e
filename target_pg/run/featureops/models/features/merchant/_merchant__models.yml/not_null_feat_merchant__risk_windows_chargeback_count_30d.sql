
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select chargeback_count_30d
from "test"."fo_dev"."feat_merchant__risk_windows"
where chargeback_count_30d is null



  
  
      
    ) dbt_internal_test