
    
    



select updated_at
from "test"."fo_dev"."stg_payments__users"
where updated_at is null


