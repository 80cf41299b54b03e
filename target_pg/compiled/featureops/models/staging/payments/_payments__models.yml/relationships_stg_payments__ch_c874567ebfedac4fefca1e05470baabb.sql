
    
    

with child as (
    select transaction_id as from_field
    from "test"."fo_dev"."stg_payments__chargebacks"
    where transaction_id is not null
),

parent as (
    select transaction_id as to_field
    from "test"."fo_dev"."stg_payments__transactions"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


