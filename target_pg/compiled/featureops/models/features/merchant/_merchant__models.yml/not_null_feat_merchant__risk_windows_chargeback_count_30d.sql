
    
    



select chargeback_count_30d
from "test"."fo_dev"."feat_merchant__risk_windows"
where chargeback_count_30d is null


