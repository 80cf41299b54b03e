
    
    



select user_id
from "test"."fo_dev"."stg_payments__users"
where user_id is null


