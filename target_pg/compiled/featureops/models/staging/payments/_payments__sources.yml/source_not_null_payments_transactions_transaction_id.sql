
    
    



select transaction_id
from "test"."fo_dev_raw"."transactions"
where transaction_id is null


