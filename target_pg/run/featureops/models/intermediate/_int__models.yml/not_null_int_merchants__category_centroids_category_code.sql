
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select category_code
from "test"."fo_dev"."int_merchants__category_centroids"
where category_code is null



  
  
      
    ) dbt_internal_test