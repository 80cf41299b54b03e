
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select birth_year
    from "test"."fo_dev"."stg_payments__users"
    where not (
        birth_year is null
        or (
            birth_year >= 1900
            and birth_year <= 2010
        )
    )

  
  
      
    ) dbt_internal_test