
    
    

with all_values as (

    select
        device_type as value_field,
        count(*) as n_records

    from "test"."fo_dev"."stg_payments__transactions"
    group by device_type

)

select *
from all_values
where value_field not in (
    'mobile','desktop','pos_terminal'
)


