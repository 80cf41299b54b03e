
    
    



select chargeback_id
from "test"."fo_dev"."stg_payments__chargebacks"
where chargeback_id is null


