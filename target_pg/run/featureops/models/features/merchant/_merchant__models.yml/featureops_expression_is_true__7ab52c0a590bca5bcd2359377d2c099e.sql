
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select *
    from "test"."fo_dev"."feat_merchant__risk_windows"
    where not ( transaction_count_7d <= transaction_count_30d and chargeback_count_30d <= transaction_count_30d
    )

  
  
      
    ) dbt_internal_test