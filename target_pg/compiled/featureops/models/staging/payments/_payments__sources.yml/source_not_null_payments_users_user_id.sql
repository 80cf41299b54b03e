
    
    



select user_id
from "test"."fo_dev_raw"."users"
where user_id is null


