
    
    

select
    merchant_id as unique_field,
    count(*) as n_records

from "test"."fo_dev"."stg_payments__merchants"
where merchant_id is not null
group by merchant_id
having count(*) > 1


