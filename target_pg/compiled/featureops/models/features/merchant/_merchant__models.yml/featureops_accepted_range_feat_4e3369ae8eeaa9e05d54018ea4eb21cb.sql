select category_similarity
    from "test"."fo_dev"."feat_merchant__profile"
    where not (
        category_similarity is null
        or (
            category_similarity >= -1.000001
            and category_similarity <= 1.000001
        )
    )
