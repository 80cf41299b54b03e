
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with child as (
    select category_code as from_field
    from "test"."fo_dev"."stg_payments__merchants"
    where category_code is not null
),

parent as (
    select category_code as to_field
    from "test"."fo_dev_reference"."merchant_categories"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null



  
  
      
    ) dbt_internal_test