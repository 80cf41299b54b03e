
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    category_code as unique_field,
    count(*) as n_records

from "test"."fo_dev_reference"."merchant_categories"
where category_code is not null
group by category_code
having count(*) > 1



  
  
      
    ) dbt_internal_test