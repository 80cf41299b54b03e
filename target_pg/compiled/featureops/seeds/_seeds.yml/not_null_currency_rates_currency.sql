
    
    



select currency
from "test"."fo_dev_reference"."currency_rates"
where currency is null


