
    
    



select category_code
from "test"."fo_dev_reference"."merchant_categories"
where category_code is null


