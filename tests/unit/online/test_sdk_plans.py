"""The lookup client's plans: the cache is bounded (a least-recently-used list is dropped
first, so clients sending ever-new feature lists cannot grow the server's memory), and a
request that cannot be planned is a request error, never a crash."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import pytest

from featureops.online.config import parse_store_config
from featureops.online.sdk import OnlineFeatureClient, OnlineRequestError
from featureops.online.sqlite import SqliteOnlineStore
from featureops.project import Project
from featureops.testing.manifests import ManifestBuilder


def make_client(tmp_path: Path, plan_cache_size: int) -> OnlineFeatureClient:
    builder = ManifestBuilder("shop")
    builder.feature_view("feat_users", features={f"f{i}": "double" for i in range(6)})
    (tmp_path / "manifest.json").write_text(json.dumps(builder.build()))
    store = SqliteOnlineStore(parse_store_config({"type": "sqlite",
                                                  "path": str(tmp_path / "online.db")}),
                              tmp_path)
    return OnlineFeatureClient(Project(tmp_path, tmp_path / "manifest.json"), store=store,
                               plan_cache_size=plan_cache_size)


def test_plan_cache_keeps_the_most_recently_used_lists(tmp_path):
    client = make_client(tmp_path, plan_cache_size=8)
    lists = [[f"feat_users:f{i}" for i in combo]
             for size in (1, 2) for combo in combinations(range(6), size)]
    hot, first_cold = lists[0], lists[1]
    try:
        hot_plan = client.plan(hot, None)
        for features in lists[1:]:
            answer = client.get_online_features(features, entities={"user_id": [1]})
            assert answer.feature_refs == features
            assert client.plan(hot, None) is hot_plan  # used all along: never dropped
        assert len(client._plans) == 8
        assert ("features", *first_cold) not in client._plans
        again = client.get_online_features(first_cold, entities={"user_id": [1]})
        assert again.feature_refs == first_cold and len(client._plans) == 8
    finally:
        client.close()



def test_an_empty_exposure_name_is_a_request_error(tmp_path):
    client = make_client(tmp_path, plan_cache_size=8)
    try:
        with pytest.raises(OnlineRequestError, match="exposure"):
            client.get_online_features(exposure="", entities={"user_id": [1]})
    finally:
        client.close()
