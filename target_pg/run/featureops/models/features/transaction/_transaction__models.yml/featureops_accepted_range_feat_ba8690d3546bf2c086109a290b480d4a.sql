
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select hour_of_day_cos
    from "test"."fo_dev"."feat_transaction__context"
    where not (
        hour_of_day_cos is null
        or (
            hour_of_day_cos >= -1
            and hour_of_day_cos <= 1
        )
    )

  
  
      
    ) dbt_internal_test