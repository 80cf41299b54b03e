
    
    



select category_code
from "test"."fo_dev"."int_merchants__category_centroids"
where category_code is null


