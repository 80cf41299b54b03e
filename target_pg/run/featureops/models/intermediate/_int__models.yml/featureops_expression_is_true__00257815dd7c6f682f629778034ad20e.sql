
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select *
    from "test"."fo_dev"."int_transactions__chargebacks"
    where not ( reported_at > event_at
    )

  
  
      
    ) dbt_internal_test