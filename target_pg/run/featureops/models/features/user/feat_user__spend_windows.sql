
  
    

  create  table "test"."fo_dev"."feat_user__spend_windows__dbt_tmp"
  
  
    
  
  (
    user_id bigint not null,
    event_at timestamp not null,
    transaction_count_1h bigint,
    amount_usd_sum_1h double precision,
    amount_usd_avg_1h double precision,
    amount_usd_max_1h double precision,
    transaction_count_24h bigint,
    amount_usd_sum_24h double precision,
    amount_usd_avg_24h double precision,
    amount_usd_max_24h double precision,
    transaction_count_7d bigint,
    amount_usd_sum_7d double precision,
    amount_usd_avg_7d double precision,
    amount_usd_max_7d double precision,
    transaction_count_30d bigint,
    amount_usd_sum_30d double precision,
    amount_usd_avg_30d double precision,
    amount_usd_max_30d double precision
    
    )
 ;
    insert into "test"."fo_dev"."feat_user__spend_windows__dbt_tmp" (
      user_id, event_at, transaction_count_1h, amount_usd_sum_1h, amount_usd_avg_1h, amount_usd_max_1h, transaction_count_24h, amount_usd_sum_24h, amount_usd_avg_24h, amount_usd_max_24h, transaction_count_7d, amount_usd_sum_7d, amount_usd_avg_7d, amount_usd_max_7d, transaction_count_30d, amount_usd_sum_30d, amount_usd_avg_30d, amount_usd_max_30d
    )
  
  (
    
    select user_id, event_at, transaction_count_1h, amount_usd_sum_1h, amount_usd_avg_1h, amount_usd_max_1h, transaction_count_24h, amount_usd_sum_24h, amount_usd_avg_24h, amount_usd_max_24h, transaction_count_7d, amount_usd_sum_7d, amount_usd_avg_7d, amount_usd_max_7d, transaction_count_30d, amount_usd_sum_30d, amount_usd_avg_30d, amount_usd_max_30d
    from (
        with

transactions as (

    select * from "test"."fo_dev"."int_transactions__enriched"

),

windowed as (

    select
        user_id,
        event_at,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as bigint) as transaction_count_1h,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_1h,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_1h,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as amount_usd_max_1h,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as bigint) as transaction_count_24h,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_24h,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_24h,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as amount_usd_max_24h,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as bigint) as transaction_count_7d,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_7d,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_7d,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as amount_usd_max_7d,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as bigint) as transaction_count_30d,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_30d,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_30d,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as amount_usd_max_30d

    from transactions

),

-- Transactions of one user at the same instant share one window frame, so
-- their rows are identical: keep one per (user_id, event_at).
deduplicated as (

    select distinct * from windowed

)

select * from deduplicated
    ) as model_subq
  );
  