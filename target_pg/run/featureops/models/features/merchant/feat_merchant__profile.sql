
  
    

  create  table "test"."fo_dev"."feat_merchant__profile__dbt_tmp"
  
  
    
  
  (
    merchant_id bigint not null,
    event_at timestamp not null,
    category_code text not null,
    category_name text,
    category_risk_tier text,
    merchant_country_code text,
    description_embedding real[16] not null,
    category_similarity double precision
    
    )
 ;
    insert into "test"."fo_dev"."feat_merchant__profile__dbt_tmp" (
      merchant_id, event_at, category_code, category_name, category_risk_tier, merchant_country_code, description_embedding, category_similarity
    )
  
  (
    
    select merchant_id, event_at, category_code, category_name, category_risk_tier, merchant_country_code, description_embedding, category_similarity
    from (
        with

merchants as (

    select * from "test"."fo_dev"."stg_payments__merchants"

),

categories as (

    select * from "test"."fo_dev_reference"."merchant_categories"

),

centroids as (

    select * from "test"."fo_dev"."int_merchants__category_centroids"

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
        
    (
        select
            sum(pair.l * pair.r)
            / nullif(sqrt(sum(pair.l * pair.l)) * sqrt(sum(pair.r * pair.r)), 0)
        from unnest(
            cast(merchants.description_embedding as double precision[]),
            cast(centroids.centroid_embedding as double precision[])
        ) as pair (l, r)
    )
            as category_similarity

    from merchants
    left join categories
        on merchants.category_code = categories.category_code
    left join centroids
        on merchants.category_code = centroids.category_code

)

select * from profiles
    ) as model_subq
  );
  