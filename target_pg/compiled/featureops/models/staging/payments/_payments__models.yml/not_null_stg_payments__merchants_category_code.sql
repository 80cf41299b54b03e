
    
    



select category_code
from "test"."fo_dev"."stg_payments__merchants"
where category_code is null


