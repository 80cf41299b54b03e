
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select credit_limit_usd
    from "test"."fo_dev"."feat_user__profile"
    where not (
        credit_limit_usd is null
        or (
            credit_limit_usd >= 0
            and true
        )
    )

  
  
      
    ) dbt_internal_test