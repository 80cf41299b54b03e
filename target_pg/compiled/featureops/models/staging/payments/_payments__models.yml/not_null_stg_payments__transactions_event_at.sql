
    
    



select event_at
from "test"."fo_dev"."stg_payments__transactions"
where event_at is null


