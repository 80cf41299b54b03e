"""A hand-made manifest with one request-time view (its input model, a seed lookup and a
stored user view it chains), for the request_time unit tests."""

from __future__ import annotations

import copy
from typing import Any

from tests import factories as f

FIELDS = {"transaction_id": "bigint", "user_id": "bigint", "event_at": "timestamp",
          "amount": "double", "currency_code": "text"}
SQL = """with requests as (select * from "db"."main"."int_requests"),
rates as (select * from "db"."main_reference"."currency_rates"),
final as (
    select requests.transaction_id, requests.event_at,
        requests.amount * rates.usd_rate as amount_usd,
        requests.home_country_code = 'FR' as is_french
    from requests left join rates on requests.currency_code = rates.currency
)
select * from final"""


def request_time_meta(**changes: Any) -> dict:
    meta = {"kind": "feature_view", "entities": ["transaction_id"], "timestamp": "event_at",
            "request_time": {"input": "int_requests", "fields": dict(FIELDS),
                             "features": ["feat_user__profile:home_country_code"]}}
    meta["request_time"].update(changes)
    return meta


def nodes(meta: dict | None = None, sql: str = SQL, depends: tuple[str, ...] = ()
          ) -> list[dict]:
    """Seed, input model, stored user view and the request-time view (in that order)."""
    seed = f.model("currency_rates", columns=[f.column("currency", "text"),
                                                f.column("usd_rate", "double")])
    seed.update(resource_type="seed", unique_id="seed.proj.currency_rates",
                relation_name='"db"."main_reference"."currency_rates"',
                database="db", schema="main_reference")
    source = f.model("int_requests", columns=[
        f.column(n, t) for n, t in {**FIELDS, "home_country_code": "text"}.items()])
    source.update(relation_name='"db"."main"."int_requests"', database="db", schema="main")
    source["config"]["materialized"] = "view"
    profile = f.model("feat_user__profile", meta=f.VALID_VIEW_META, columns=[
        f.column("user_id"), f.column("event_at", "timestamp"),
        f.column("home_country_code", "text")])
    view = f.model("feat_transaction__context", meta=copy.deepcopy(meta or request_time_meta()),
                   columns=[f.column("transaction_id"), f.column("event_at", "timestamp"),
                            f.column("amount_usd", "double"), f.column("is_french", "boolean")])
    view["depends_on"]["nodes"] = [source["unique_id"], seed["unique_id"], *depends]
    view["compiled_code"] = sql
    return [seed, source, profile, view]
