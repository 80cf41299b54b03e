
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  select
        user_id, event_at,
        count(*) as duplicate_count
    from "test"."fo_dev"."feat_user__profile"
    group by user_id, event_at
    having count(*) > 1

  
  
      
    ) dbt_internal_test