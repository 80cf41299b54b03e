
    
    

select
    currency as unique_field,
    count(*) as n_records

from "test"."fo_dev_reference"."currency_rates"
where currency is not null
group by currency
having count(*) > 1


