
    
    



select merchant_id
from "test"."fo_dev"."stg_payments__merchants"
where merchant_id is null


