
    
    



select transaction_id
from "test"."fo_dev"."int_transactions__chargebacks"
where transaction_id is null


