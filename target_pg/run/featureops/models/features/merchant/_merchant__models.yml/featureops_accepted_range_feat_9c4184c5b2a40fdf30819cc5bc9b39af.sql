
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select chargeback_rate_30d
    from "test"."fo_dev"."feat_merchant__risk_windows"
    where not (
        chargeback_rate_30d is null
        or (
            chargeback_rate_30d >= 0
            and chargeback_rate_30d <= 1
        )
    )

  
  
      
    ) dbt_internal_test