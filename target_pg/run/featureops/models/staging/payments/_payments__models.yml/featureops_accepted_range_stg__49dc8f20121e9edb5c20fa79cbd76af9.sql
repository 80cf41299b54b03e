
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select amount
    from "test"."fo_dev"."stg_payments__transactions"
    where not (
        amount is null
        or (
            amount > 0
            and true
        )
    )

  
  
      
    ) dbt_internal_test