
    
    

with all_values as (

    select
        risk_tier as value_field,
        count(*) as n_records

    from "test"."fo_dev_reference"."merchant_categories"
    group by risk_tier

)

select *
from all_values
where value_field not in (
    'low','medium','high'
)


