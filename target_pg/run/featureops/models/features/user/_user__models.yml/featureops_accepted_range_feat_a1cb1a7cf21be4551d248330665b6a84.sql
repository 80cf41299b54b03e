
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select transaction_count_24h
    from "test"."fo_dev"."feat_user__spend_windows"
    where not (
        transaction_count_24h is null
        or (
            transaction_count_24h >= 0
            and true
        )
    )

  
  
      
    ) dbt_internal_test