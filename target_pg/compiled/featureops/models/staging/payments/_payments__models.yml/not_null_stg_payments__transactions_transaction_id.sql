
    
    



select transaction_id
from "test"."fo_dev"."stg_payments__transactions"
where transaction_id is null


