"""Redis keys are namespaced per project: two dbt projects sharing one Redis server never
see each other's values, unless they deliberately configure the same ``key_prefix``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from featureops.online.config import open_online_store
from featureops.online.encoding import encode_key
from featureops.online.redis import RedisOnlineStore
from featureops.project import Project, ProjectConfigError
from tests.services import require_redis
from tests.unit.online.conftest import encode, layout_of, micros, sample_table
from tests.unit.online.test_store_conformance import build, expected, read_rows

VIEW = "feat_test__users"


def redis_project(root: Path, name: str, online_store: str = "type: redis") -> Project:
    root.mkdir()
    (root / "dbt_project.yml").write_text(f"name: {name}\nprofile: p\n")
    (root / "featureops.yml").write_text(f"online_store:\n  {online_store}\n")
    return Project.locate(root)


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[RedisOnlineStore]]:
    """Stores the test opens; their keys of VIEW are deleted afterwards."""
    monkeypatch.setenv("FEATUREOPS_REDIS_URL", require_redis())
    stores: list[RedisOnlineStore] = []
    yield stores
    for store in stores:
        store.teardown([VIEW])
        store.close()


@pytest.mark.redis
def test_two_projects_on_one_redis_keep_their_own_values(
        tmp_path: Path, opened: list[RedisOnlineStore]) -> None:
    run = uuid.uuid4().hex[:8]
    first = open_online_store(redis_project(tmp_path / "a", f"shop_{run}_a"))
    second = open_online_store(redis_project(tmp_path / "b", f"shop_{run}_b"))
    opened += [first, second]
    assert first.key_prefix == f"featureops:shop_{run}_a"
    # the first project materializes, the second pushes newer values of the same entity
    first_table = sample_table([1, 2], day=10)
    build(first, first_table)
    second_table = sample_table([1, 2], day=11)
    layout = layout_of(second_table)
    assert second.upsert(VIEW, layout, [encode(second_table, layout)]) == 2
    _, first_rows = read_rows(first, [1])
    _, second_rows = read_rows(second, [1])
    assert first_rows[0][1] == expected(first_table, 1)
    assert second_rows[0][1] == expected(second_table, 1)
    assert first.live_state(VIEW).max_event_at == micros(10)
    assert second.live_state(VIEW).max_event_at == micros(11)


@pytest.mark.redis
def test_an_explicit_key_prefix_wins_over_the_project_name(
        tmp_path: Path, opened: list[RedisOnlineStore]) -> None:
    shared = f"fo_shared_{uuid.uuid4().hex[:8]}"
    first = open_online_store(redis_project(tmp_path / "a", "shop_a",
                                            f"type: redis\n  key_prefix: {shared}"))
    second = open_online_store(redis_project(tmp_path / "b", "shop_b",
                                             f"type: redis\n  key_prefix: {shared}"))
    opened += [first, second]
    table = sample_table([1], day=10)
    build(first, table)
    assert first.client.exists(f"{shared}:{VIEW}:_ptr") == 1
    _, rows = read_rows(second, [1])
    assert rows[0][1] == expected(table, 1)
    assert second.read([(VIEW, [encode_key([2])])])[0].records == [None]


@pytest.mark.parametrize("name", ["'shop:*'", "'1shop'", "''"])
def test_a_project_name_unfit_for_keys_is_a_one_line_error(tmp_path: Path,
                                                           name: str) -> None:
    project = redis_project(tmp_path / "p", name)
    with pytest.raises(ProjectConfigError) as error:
        open_online_store(project)
    assert "dbt_project.yml: name:" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_store_outside_any_dbt_project_needs_an_explicit_prefix(tmp_path: Path) -> None:
    from featureops.online.config import parse_store_config

    with pytest.raises(ProjectConfigError, match="dbt_project.yml: not found"):
        RedisOnlineStore(parse_store_config({"type": "redis"}), tmp_path)
    store = RedisOnlineStore(parse_store_config({"type": "redis", "key_prefix": "mine"}),
                             tmp_path)
    assert store.key_prefix == "mine"
