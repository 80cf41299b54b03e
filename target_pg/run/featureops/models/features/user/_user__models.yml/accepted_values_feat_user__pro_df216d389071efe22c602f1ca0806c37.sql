
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        card_tier as value_field,
        count(*) as n_records

    from "test"."fo_dev"."feat_user__profile"
    group by card_tier

)

select *
from all_values
where value_field not in (
    'standard','gold','platinum'
)



  
  
      
    ) dbt_internal_test