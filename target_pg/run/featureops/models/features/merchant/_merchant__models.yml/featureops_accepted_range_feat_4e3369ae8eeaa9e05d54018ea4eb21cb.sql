
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select category_similarity
    from "test"."fo_dev"."feat_merchant__profile"
    where not (
        category_similarity is null
        or (
            category_similarity >= -1.000001
            and category_similarity <= 1.000001
        )
    )

  
  
      
    ) dbt_internal_test