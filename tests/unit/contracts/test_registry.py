"""The registry files and `register`: versions, unchanged contracts, refusals, retirements,
versioned models, and a stable, reviewable file format."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from featureops.contracts.check import check_contracts, register_contracts, registry_histories
from featureops.contracts.contract import contracts_from_manifest
from featureops.contracts.registry import Registry, RegistryError, render_history
from featureops.manifest import Manifest
from featureops.testing.manifests import ManifestBuilder

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)

BASE = {
    "user_id": {"data_type": "bigint", "constraints": [{"type": "not_null"}]},
    "event_at": {"data_type": "timestamp", "constraints": [{"type": "not_null"}]},
    "spend_7d": {"data_type": "double precision"},
    "tier": {"data_type": "text", "meta": {"featureops": {"default": "standard"}}},
}


def manifest(columns=None, *, mode: str | None = None, versions=None, extra_model: bool = True,
             enforced: bool = True) -> Manifest:
    """One feature view `feat_users` (or several dbt versions of it, ``versions`` mapping
    version -> columns) and one contracted non-feature model `dim_merchants`."""
    builder = ManifestBuilder("shop")
    block = {"compatibility": mode} if mode else {}
    if versions:
        latest = max(versions)
        for version, cols in versions.items():
            builder.feature_view("feat_users", columns=cols, block=block, tests=False,
                                 version=version, latest_version=latest)
    else:
        builder.feature_view("feat_users", columns=columns or BASE, block=block, tests=False,
                             contract=enforced)
    if extra_model:
        builder.model("dim_merchants", contract=True, materialized="table",
                      columns={"merchant_id": {"data_type": "int",
                                               "constraints": [{"type": "primary_key"}]},
                               "name": "varchar(40)"})
    builder.model("stg_users", columns={"user_id": "bigint"})  # not contracted: ignored
    return Manifest.from_dict(builder.build())


def without(name: str) -> dict:
    return {k: v for k, v in BASE.items() if k != name}


def test_register_records_every_contracted_model_once(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    first = register_contracts(manifest(), registry, now=T0)
    assert first.registered == ["dim_merchants", "feat_users"] and not first.refused
    assert registry.models() == ["dim_merchants", "feat_users"]
    before = (tmp_path / "feat_users.json").read_text()
    again = register_contracts(manifest(), registry, now=T1)
    assert again.registered == [] and again.unchanged == ["dim_merchants", "feat_users"]
    assert (tmp_path / "feat_users.json").read_text() == before  # no new version, no churn


def test_registry_file_holds_the_whole_contract(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    data = json.loads((tmp_path / "feat_users.json").read_text())
    entry = data["versions"][0]
    assert list(entry) == ["version", "model_version", "registered_at", "checksum",
                           "compatibility", "materialized", "adapter", "dbt_contract_checksum",
                           "columns", "constraints"]
    assert entry["registered_at"] == "2026-11-01T12:00:00Z"
    assert entry["compatibility"] == "backward" and entry["materialized"] == "table"
    assert entry["columns"][0] == {"name": "user_id", "data_type": "bigint", "nullable": False,
                                   "constraints": [{"type": "not_null"}]}
    assert entry["columns"][3]["default"] == "standard"
    merchants = json.loads((tmp_path / "dim_merchants.json").read_text())["versions"][0]
    assert merchants["columns"][0]["nullable"] is False  # primary_key implies not null


def test_file_text_is_stable_and_one_column_per_line(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    text = (tmp_path / "feat_users.json").read_text()
    assert render_history(registry.load("feat_users")) == text
    column_lines = [line for line in text.splitlines() if '"name": ' in line]
    assert len(column_lines) == len(BASE)


def test_compatible_change_adds_a_version_and_history_shows_it(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    added = {**BASE, "spend_30d": {"data_type": "double precision"}}
    result = register_contracts(manifest(added), registry, now=T1)
    assert result.registered == ["feat_users"]
    versions = registry.load("feat_users").versions
    assert [v.version for v in versions] == [1, 2]
    assert [c.name for c in versions[1].contract.columns][-1] == "spend_30d"


def test_breaking_change_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    snapshot = {p.name: p.read_text() for p in tmp_path.iterdir()}
    narrowed = {**BASE, "user_id": {"data_type": "integer",
                                    "constraints": [{"type": "not_null"}]}}
    result = register_contracts(manifest(narrowed), registry, now=T1)
    assert result.refused
    assert [(v.change.column, v.change.rule) for v in result.report.violations] == [
        ("user_id", "type_narrowed")]
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == snapshot


def test_allow_breaking_records_the_reason(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    narrowed = {**BASE, "user_id": {"data_type": "integer",
                                    "constraints": [{"type": "not_null"}]}}
    result = register_contracts(manifest(narrowed), registry, now=T1,
                                allow_breaking="ids fit in 32 bits, JIRA-12")
    assert not result.refused and result.registered == ["feat_users"]
    latest = registry.load("feat_users").get()
    assert latest.reason == "ids fit in 32 bits, JIRA-12"
    # The accepted break is now the baseline: checking the same manifest passes.
    report = check_contracts(contracts_from_manifest(manifest(narrowed)),
                             registry_histories(registry))
    assert report.ok and not report.unregistered


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    result = register_contracts(manifest(), Registry(tmp_path), dry_run=True, now=T0)
    assert result.registered == ["dim_merchants", "feat_users"]
    assert list(tmp_path.iterdir()) == []


def test_removed_model_is_refused_then_retired_with_a_reason(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    gone = manifest(extra_model=False)
    refused = register_contracts(gone, registry, now=T1)
    assert refused.refused
    assert refused.report.violations[0].change.rule == "contract_removed"
    assert "no longer in the project" in refused.report.violations[0].change.detail
    retired = register_contracts(gone, registry, now=T1, allow_breaking="merchants moved to "
                                 "the merchant project")
    assert retired.retired == ["dim_merchants"]
    entry = registry.load("dim_merchants").get()
    assert entry.retired and entry.reason.startswith("merchants moved")
    assert check_contracts(contracts_from_manifest(gone), registry_histories(registry)).ok


def test_unenforced_contract_is_named_as_such(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    result = register_contracts(manifest(enforced=False), registry, now=T1)
    details = {v.change.model: v.change.detail for v in result.report.violations}
    assert details == {"feat_users": "the contract is no longer enforced"}


def test_version_bump_through_the_registry(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    # v1 keeps the old contract, v2 drops `tier` and narrows user_id: legal for v2.
    narrowed = {**without("tier"), "user_id": {"data_type": "integer",
                                               "constraints": [{"type": "not_null"}]}}
    bumped = manifest(versions={1: BASE, 2: narrowed})
    result = register_contracts(bumped, registry, now=T1)
    assert not result.refused, [v.to_dict() for v in result.report.violations]
    assert result.report.new == ["feat_users.v2"]
    # v1 is recorded although unchanged: the entry marks that it continues the
    # unversioned history. Dropping v1 later is a removal.
    assert result.registered == ["feat_users.v1", "feat_users.v2"]
    assert result.unchanged == ["dim_merchants"]
    entries = registry.load("feat_users").versions
    assert [(e.version, e.model_version) for e in entries] == [(1, None), (2, "1"), (3, "2")]
    assert entries[1].contract.checksum == entries[0].contract.checksum
    assert register_contracts(bumped, registry, now=T1).registered == []
    only_v2 = manifest(versions={2: narrowed})
    dropped = register_contracts(only_v2, registry, now=T1)
    assert dropped.refused
    assert [v.change.rule for v in dropped.report.violations] == ["contract_removed"]


def test_changed_v1_after_a_bump_is_checked_against_the_unversioned_history(
        tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    widened_v1 = {**BASE, "spend_7d": {"data_type": "double precision"},
                  "extra": {"data_type": "bigint"}}
    result = register_contracts(manifest(versions={1: widened_v1, 2: without("tier")}),
                                registry, now=T1)
    assert not result.refused
    assert sorted(result.registered) == ["feat_users.v1", "feat_users.v2"]
    lines = registry_histories(registry)
    # The unversioned registry v1 and v1's own registry v2 form one history.
    assert [label for label, _ in lines[("feat_users", "1")]] == ["registry v1", "registry v2"]
    assert [label for label, _ in lines[("feat_users", "2")]] == ["registry v3"]
    assert ("feat_users", None) not in lines


def test_hand_edited_file_is_refused_with_its_path(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    path = tmp_path / "feat_users.json"
    path.write_text(path.read_text().replace('"bigint"', '"integer"', 1))
    with pytest.raises(RegistryError, match=r"feat_users\.json.*checksum"):
        registry.load("feat_users")
    path.write_text("{not json")
    with pytest.raises(RegistryError, match=r"feat_users\.json: cannot read"):
        registry.load("feat_users")


def test_show_of_unknown_model_and_version(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    register_contracts(manifest(), registry, now=T0)
    with pytest.raises(RegistryError, match="not in the registry"):
        registry.require("feat_nope")
    with pytest.raises(RegistryError, match="no registry version 7"):
        registry.require("feat_users").get(7)
