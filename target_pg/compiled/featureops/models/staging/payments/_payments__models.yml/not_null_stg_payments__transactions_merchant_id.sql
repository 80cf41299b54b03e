
    
    



select merchant_id
from "test"."fo_dev"."stg_payments__transactions"
where merchant_id is null


