
    
    



select amount_usd
from "test"."fo_dev"."int_transactions__enriched"
where amount_usd is null


