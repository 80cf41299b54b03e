
    
    



select transaction_id
from "test"."fo_dev_raw"."chargebacks"
where transaction_id is null


