"""The store is chosen in dbt_project.yml vars or featoreops.yml; secrets never come
from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from featureops.online.config import OnlineConfigError, load_store_config, open_online_store
from featureops.online.redis import RedisOnlineStoreConfig
from featureops.online.registry import UnknownStoreTypeError, store_class
from featureops.online.sqlite import SqliteOnlineStore, SqliteOnlineStoreConfig
from featureops.project import Project


def project(tmp_path: Path, vars_block: str = "", featureops_yml: str | None = None) -> Project:
    (tmp_path / "dbt_project.yml").write_text(f"name: p\nprofile: p\n{vars_block}")
    if featureops_yml is not None:
        (tmp_path / "featureops.yml").write_text(featureops_yml)
    return Project.locate(tmp_path)


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)


def test_default_is_sqlite_in_the_project(tmp_path: Path) -> None:
    config = load_store_config(project(tmp_path))
    assert isinstance(config, SqliteOnlineStoreConfig)
    store = open_online_store(project(tmp_path))
    assert isinstance(store, SqliteOnlineStore)
    assert store.path == tmp_path / "data" / "online_store.db"


def test_dbt_vars_choose_redis(tmp_path: Path) -> None:
    config = load_store_config(project(
        tmp_path, "vars:\n  featureops:\n    online_store:\n      type: redis\n"
                  "      key_prefix: shop\n"))
    assert isinstance(config, RedisOnlineStoreConfig) and config.key_prefix == "shop"


def test_featureops_yml_wins_over_vars(tmp_path: Path) -> None:
    config = load_store_config(project(
        tmp_path, "vars:\n  featureops:\n    online_store: {type: redis}\n",
        "online_store:\n  type: sqlite\n  path: other.db\n"))
    assert isinstance(config, SqliteOnlineStoreConfig) and config.path == "other.db"


def test_environment_overrides_the_type(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREOPS_ONLINE_STORE", "redis")
    assert isinstance(load_store_config(project(tmp_path)), RedisOnlineStoreConfig)


@pytest.mark.parametrize("key", ["url", "password", "host"])
def test_connection_settings_in_files_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(OnlineConfigError, match=f"online_store.{key}: connection settings"):
        load_store_config(project(tmp_path, featureops_yml=f"online_store:\n  type: redis\n"
                                                           f"  {key}: secret\n"))


def test_unknown_keys_and_bad_values_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(OnlineConfigError, match="featureops.yml: online_store.pth"):
        load_store_config(project(tmp_path, featureops_yml="online_store:\n  pth: x.db\n"))
    with pytest.raises(OnlineConfigError, match="key_prefix"):
        load_store_config(project(tmp_path, featureops_yml="online_store:\n  type: redis\n"
                                                           "  key_prefix: 'a b*'\n"))


def test_store_types_short_dotted_and_unknown() -> None:
    assert store_class("sqlite") is SqliteOnlineStore
    assert store_class("featureops.online.sqlite.SqliteOnlineStore") is SqliteOnlineStore
    with pytest.raises(UnknownStoreTypeError, match="nor a dotted path"):
        store_class("cassandra")
    with pytest.raises(UnknownStoreTypeError, match="cannot import"):
        store_class("no_such_pkg.NoOnlineStore")


def test_redis_connection_comes_from_the_environment(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from featureops.online.redis import RedisOnlineStore

    monkeypatch.setenv("FEATUREOPS_REDIS_URL", "redis://cache.internal:6380/3")
    monkeypatch.setenv("FEATUREOPS_REDIS_PASSWORD", "pw")
    monkeypatch.setenv("FEATUREOPS_REDIS_TLS", "1")
    store = RedisOnlineStore(load_store_config(project(
        tmp_path, featureops_yml="online_store:\n  type: redis\n")), tmp_path)
    kwargs = store.client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"], kwargs["password"]) == (
        "cache.internal", 6380, 3, "pw")
    assert "SSL" in store.client.connection_pool.connection_class.__name__
    assert "pw" not in store.describe() and "cache.internal:6380/3" in store.describe()
