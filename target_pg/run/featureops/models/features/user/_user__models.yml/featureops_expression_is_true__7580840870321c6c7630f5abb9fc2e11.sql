
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select *
    from "test"."fo_dev"."feat_user__spend_windows"
    where not ( transaction_count_1h <= transaction_count_24h and transaction_count_24h <= transaction_count_7d and transaction_count_7d <= transaction_count_30d
    )

  
  
      
    ) dbt_internal_test