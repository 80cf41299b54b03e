
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select transaction_count_30d
from "test"."fo_dev"."feat_merchant__risk_windows"
where transaction_count_30d is null



  
  
      
    ) dbt_internal_test