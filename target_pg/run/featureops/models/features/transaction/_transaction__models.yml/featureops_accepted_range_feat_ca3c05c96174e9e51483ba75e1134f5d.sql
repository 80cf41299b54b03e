
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select day_of_week_cos
    from "test"."fo_dev"."feat_transaction__context"
    where not (
        day_of_week_cos is null
        or (
            day_of_week_cos >= -1
            and day_of_week_cos <= 1
        )
    )

  
  
      
    ) dbt_internal_test