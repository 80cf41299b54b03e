
    
    

select
    category_code as unique_field,
    count(*) as n_records

from "test"."fo_dev"."int_merchants__category_centroids"
where category_code is not null
group by category_code
having count(*) > 1


