
    
    

with child as (
    select currency_code as from_field
    from "test"."fo_dev"."stg_payments__transactions"
    where currency_code is not null
),

parent as (
    select currency as to_field
    from "test"."fo_dev_reference"."currency_rates"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


