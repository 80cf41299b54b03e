
    
    



select chargeback_id
from "test"."fo_dev_raw"."chargebacks"
where chargeback_id is null


