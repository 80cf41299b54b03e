
    
    

with all_values as (

    select
        card_tier as value_field,
        count(*) as n_records

    from "test"."fo_dev"."stg_payments__users"
    group by card_tier

)

select *
from all_values
where value_field not in (
    'standard','gold','platinum'
)


