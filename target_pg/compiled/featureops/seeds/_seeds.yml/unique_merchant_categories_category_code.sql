
    
    

select
    category_code as unique_field,
    count(*) as n_records

from "test"."fo_dev_reference"."merchant_categories"
where category_code is not null
group by category_code
having count(*) > 1


