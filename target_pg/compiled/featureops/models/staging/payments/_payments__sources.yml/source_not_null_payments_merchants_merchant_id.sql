
    
    



select merchant_id
from "test"."fo_dev_raw"."merchants"
where merchant_id is null


