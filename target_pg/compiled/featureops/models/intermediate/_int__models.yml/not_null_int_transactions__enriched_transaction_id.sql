
    
    



select transaction_id
from "test"."fo_dev"."int_transactions__enriched"
where transaction_id is null


