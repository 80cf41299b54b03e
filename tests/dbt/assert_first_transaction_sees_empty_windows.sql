-- A user's first transaction has no history: every trailing window before it is empty.
-- A row here means a window included the event itself or a later one (leakage).
with

first_transactions as (

    select
        user_id,
        min(event_at) as first_event_at

    from {{ ref('int_transactions__enriched') }}
    group by 1

),

spend_windows as (

    select * from {{ ref('feat_user__spend_windows') }}

)

select
    spend_windows.user_id,
    spend_windows.event_at,
    spend_windows.transaction_count_30d

from spend_windows
inner join first_transactions
    on
        spend_windows.user_id = first_transactions.user_id
        and spend_windows.event_at = first_transactions.first_event_at
where spend_windows.transaction_count_30d <> 0
