
    
    

select
    chargeback_id as unique_field,
    count(*) as n_records

from "test"."fo_dev"."stg_payments__chargebacks"
where chargeback_id is not null
group by chargeback_id
having count(*) > 1


