
    
    



select country_code
from "test"."fo_dev_reference"."countries"
where country_code is null


