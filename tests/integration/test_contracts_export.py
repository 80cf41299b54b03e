"""JSON Schema export and contract scaffolding on the example project's build.

Oracles: the `jsonschema` library (every row the warehouse built and dbt tested must
validate; rows broken on purpose must not), DuckDB's own null counts, and dbt itself,
which must accept the scaffolded contract when it enforces it on a table."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import jsonschema
import pytest
import yaml

from featureops.cli import run
from featureops.contracts.scaffold import ScaffoldError, scaffold_from_warehouse
from featureops.contracts.types import parse_type
from featureops.dbt_runner import run_dbt
from featureops.engines.duckdb_engine import DuckDBEngine
from featureops.manifest import Manifest
from featureops.testing.manifests import ManifestBuilder
from tests.integration.test_contracts_check import copy_project

pytestmark = pytest.mark.slow
ROWS_PER_VIEW = 3000


@pytest.fixture(scope="module")
def schemas(duckdb_build, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("schemas")
    assert run(["contracts", "export", "--format", "jsonschema", "-m",
                str(duckdb_build.manifest_path), "--out", str(out)]) == 0
    return {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
            for p in sorted(out.glob("*.schema.json"))}


def _json_rows(conn: duckdb.DuckDBPyConnection, table: str, limit: int) -> list[dict]:
    rows = conn.sql(f"select * from main.{table} using sample {limit} rows (reservoir, 7)"
                    ).to_arrow_table().to_pylist()
    return [{k: v.isoformat() if isinstance(v, (datetime, date)) else v for k, v in r.items()}
            for r in rows]


def test_every_contracted_model_exports_a_valid_draft_2020_12_schema(schemas) -> None:
    assert set(schemas) == {"feat_merchant__profile", "feat_merchant__risk_windows",
                            "feat_transaction__context", "feat_user__profile",
                            "feat_user__spend_windows"}
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["x-featureops"]["contract_checksum"].startswith("sha256:")


def test_schemas_carry_descriptions_required_fields_and_test_ranges(schemas) -> None:
    profile = schemas["feat_user__profile"]
    props = profile["properties"]
    assert props["user_id"]["description"] == "Cardholder key (entity)."
    assert set(profile["required"]) == {"user_id", "event_at"}
    assert (props["birth_year"]["minimum"], props["birth_year"]["maximum"]) == (1900, 2010)
    assert props["card_tier"]["enum"] == ["standard", "gold", "platinum", None]
    assert props["card_tier"]["type"] == ["string", "null"]
    spend = schemas["feat_user__spend_windows"]
    assert "amount_usd_sum_7d" in spend["required"]  # not_null data test
    assert spend["properties"]["amount_usd_sum_7d"]["type"] == "number"
    context = schemas["feat_transaction__context"]["properties"]
    assert context["amount_usd"]["exclusiveMinimum"] == 0  # accepted_range inclusive: false
    embedding = schemas["feat_merchant__profile"]["properties"]["description_embedding"]
    assert (embedding["minItems"], embedding["maxItems"]) == (16, 16)


def test_warehouse_rows_validate_and_broken_rows_do_not(schemas, duckdb_build) -> None:
    conn = duckdb.connect(str(duckdb_build.duckdb_path), read_only=True)
    try:
        for name, schema in schemas.items():
            validator = jsonschema.Draft202012Validator(schema)
            rows = _json_rows(conn, name, ROWS_PER_VIEW)
            assert rows
            for row in rows:
                errors = [e.message for e in validator.iter_errors(row)]
                assert not errors, (name, row, errors)
    finally:
        conn.close()
    profile = jsonschema.Draft202012Validator(schemas["feat_user__profile"])
    good = {"user_id": 1, "event_at": "2026-11-01T00:00:00", "birth_year": 1990,
            "card_tier": "gold"}
    assert profile.is_valid(good)
    for broken, keyword in [({**good, "birth_year": 1850}, "minimum"),
                            ({**good, "card_tier": "black"}, "enum"),
                            ({k: v for k, v in good.items() if k != "user_id"}, "required"),
                            ({**good, "user_id": "1"}, "type"),
                            ({**good, "extra": 1}, "additionalProperties")]:
        assert {e.validator for e in profile.iter_errors(broken)} == {keyword}


def test_scaffold_marks_not_null_exactly_where_the_data_has_no_nulls(duckdb_build) -> None:
    # A contract-less model over a real feature table, which has nullable columns.
    builder = ManifestBuilder("featureops")
    builder.model("feat_user__spend_windows", materialized="table",
                  columns={"user_id": {"description": "Cardholder key."}})
    manifest = Manifest.from_dict(builder.build())
    node = manifest.find_model("feat_user__spend_windows")
    with DuckDBEngine(duckdb_build.duckdb_path) as engine:
        scaffold = scaffold_from_warehouse(manifest, node, engine)
    conn = duckdb.connect(str(duckdb_build.duckdb_path), read_only=True)
    try:
        described = conn.execute(
            "select column_name, data_type from information_schema.columns where "
            "table_schema = 'main' and table_name = 'feat_user__spend_windows' "
            "order by ordinal_position").fetchall()
        nulls = {name: conn.execute(
            f'select count(*) from main.feat_user__spend_windows where "{name}" is null'
        ).fetchone()[0] for name, _ in described}
    finally:
        conn.close()
    assert [c.name for c in scaffold.columns] == [name for name, _ in described]
    for column, (_, warehouse_type) in zip(scaffold.columns, described, strict=True):
        assert parse_type(column.data_type, "duckdb") == parse_type(warehouse_type, "duckdb")
        assert column.not_null == (nulls[column.name] == 0), column.name
    assert any(nulls.values()) and not all(nulls.values())
    assert scaffold.columns[0].description == "Cardholder key."
    assert "data_type: double precision" in scaffold.to_yaml()


def test_scaffold_refuses_a_contracted_model(duckdb_build) -> None:
    manifest = duckdb_build.manifest
    with pytest.raises(ScaffoldError, match="already has an enforced contract"), \
            DuckDBEngine(duckdb_build.duckdb_path) as engine:
        scaffold_from_warehouse(manifest, manifest.find_model("feat_user__profile"), engine)


def test_dbt_enforces_the_scaffolded_contract(duckdb_build, tmp_path: Path) -> None:
    """Scaffold int_transactions__enriched, merge it into a copy of the project with the
    model as a table, and let dbt build it with the contract enforced (types checked,
    not_null constraints created on DuckDB)."""
    model = "int_transactions__enriched"
    out = tmp_path / "contract.yml"
    assert run(["contracts", "scaffold", model, "-m", str(duckdb_build.manifest_path),
                "--warehouse", str(duckdb_build.duckdb_path), "--out", str(out)]) == 0
    scaffolded = yaml.safe_load(out.read_text())["models"][0]
    project = copy_project(tmp_path / "project")
    properties = project / "models" / "intermediate" / "_int__models.yml"
    document = yaml.safe_load(properties.read_text())
    entry = next(m for m in document["models"] if m["name"] == model)
    entry["config"] = {**scaffolded["config"], "materialized": "table"}
    by_name = {c["name"]: c for c in entry.get("columns", [])}
    entry["columns"] = [{**by_name.get(c["name"], {}), **c} for c in scaffolded["columns"]]
    properties.write_text(yaml.safe_dump(document, sort_keys=False))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy2(duckdb_build.duckdb_path, warehouse)
    target = tmp_path / "target"
    result = run_dbt(["run", "--select", model, "--target-path", str(target), "--log-path",
                      str(target / "logs"), "--vars", duckdb_build.vars_arg], project,
                     env={"FEATUREOPS_TARGET": "dev", "FEATUREOPS_DUCKDB_PATH": str(warehouse)},
                     check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        constraints = conn.execute(
            "select count(*) from duckdb_constraints() where table_name = ? and "
            "constraint_type = 'NOT NULL'", [model]).fetchone()[0]
    finally:
        conn.close()
    assert constraints == sum(1 for c in scaffolded["columns"] if c.get("constraints"))
