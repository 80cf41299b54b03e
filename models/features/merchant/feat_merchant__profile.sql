{#-
    Merchant attributes and the description embedding, plus how typical the
    merchant is for the category it registered: the cosine similarity between
    its embedding and its category's centroid. A low similarity hints at a
    mis-coded merchant (e.g. a gambling site registered as a bookshop).
    Grain: one row per (merchant_id, event_at = onboarded_at).
-#}
with

merchants as (

    select * from {{ ref('stg_payments__merchants') }}

),

categories as (

    select * from {{ ref('merchant_categories') }}

),

centroids as (

    select * from {{ ref('int_merchants__category_centroids') }}

),

profiles as (

    select
        merchants.merchant_id,
        merchants.onboarded_at as event_at,
        merchants.category_code,
        categories.category_name,
        categories.risk_tier as category_risk_tier,
        merchants.merchant_country_code,
        merchants.description_embedding,
        {{ featureops.cosine_similarity(
            'merchants.description_embedding', 'centroids.centroid_embedding') }}
            as category_similarity

    from merchants
    left join categories
        on merchants.category_code = categories.category_code
    left join centroids
        on merchants.category_code = centroids.category_code

)

select * from profiles
