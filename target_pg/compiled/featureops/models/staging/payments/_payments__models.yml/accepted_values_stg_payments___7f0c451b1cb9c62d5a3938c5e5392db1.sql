
    
    

with all_values as (

    select
        channel as value_field,
        count(*) as n_records

    from "test"."fo_dev"."stg_payments__transactions"
    group by channel

)

select *
from all_values
where value_field not in (
    'chip','contactless','online','atm'
)


