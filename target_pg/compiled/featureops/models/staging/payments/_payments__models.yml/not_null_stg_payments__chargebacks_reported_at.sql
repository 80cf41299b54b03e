
    
    



select reported_at
from "test"."fo_dev"."stg_payments__chargebacks"
where reported_at is null


