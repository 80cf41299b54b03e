
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select usd_rate
    from "test"."fo_dev_reference"."currency_rates"
    where not (
        usd_rate is null
        or (
            usd_rate > 0
            and true
        )
    )

  
  
      
    ) dbt_internal_test