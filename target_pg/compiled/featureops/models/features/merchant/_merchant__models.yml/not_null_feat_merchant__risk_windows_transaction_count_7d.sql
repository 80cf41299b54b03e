
    
    



select transaction_count_7d
from "test"."fo_dev"."feat_merchant__risk_windows"
where transaction_count_7d is null


