
    
    



select user_id
from "test"."fo_dev"."stg_payments__transactions"
where user_id is null


