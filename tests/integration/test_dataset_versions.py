"""Dataset versions of training sets written from the example project's build: the
same set written twice is one version; its Parquet footer and the registry say what it
was built from (docs/reproducibility.md)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from featureops.cli import cli, run
from featureops.datasets.content import file_relation, hash_rows
from featureops.datasets.identity import read_file_version, version_id
from featureops.datasets.registry import DatasetRegistry

SPINE = "train_fraud_detection__spine"
EXPOSURE = "fraud_detection_model"


def project_args(build) -> list[str]:
    return ["--project-dir", str(build.project_dir), "--manifest", str(build.manifest_path),
            "--warehouse", str(build.duckdb_path)]


def write_training_set(build, out: Path, registry: Path, *extra: str,
                       spine: str = SPINE) -> dict:
    result = CliRunner().invoke(cli, [
        "training-set", "--spine", spine, "--exposure", EXPOSURE,
        "--timestamp-column", "event_at", "--full-feature-names", "--label", "is_fraud",
        "--registry", str(registry), "--out", str(out), "--json", *extra,
        *project_args(build)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["dataset_version"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("datasets") / "registry"


@pytest.fixture(scope="module")
def first(duckdb_build, registry, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sets") / "fraud.parquet"
    return out, write_training_set(duckdb_build, out, registry)


def test_the_same_set_written_twice_is_one_version(duckdb_build, registry, first,
                                                   tmp_path) -> None:
    path, version = first
    assert version["new"] is True
    entry_text = (registry / f"{version['version']}.json").read_text()
    again = write_training_set(duckdb_build, tmp_path / "again.parquet", registry)
    assert again["version"] == version["version"] and again["new"] is False
    assert DatasetRegistry(registry).versions() == [version["version"]]
    entry = json.loads((registry / f"{version['version']}.json").read_text())
    assert entry["files"] == sorted([str(path.resolve()), str((tmp_path / "again.parquet")
                                                                .resolve())])
    # Writing it again changed nothing but the list of files.
    assert {k: v for k, v in entry.items() if k != "files"} == {
        k: v for k, v in json.loads(entry_text).items() if k != "files"}


def test_the_file_carries_its_version(duckdb_build, first) -> None:
    path, summary = first
    recorded = read_file_version(path)
    assert recorded.version == summary["version"]
    # Recomputed from the rows, independently of the writer: the same hashes.
    with duckdb.connect() as conn:
        hashes = hash_rows(conn, file_relation(str(path)), recorded.spine_columns)
        rows = conn.execute(f"select count(*) from {file_relation(str(path))}").fetchone()[0]
    assert (hashes.content_hash, hashes.spine_hash) == (recorded.content_hash,
                                                        recorded.spine_hash)
    assert recorded.rows == rows > 15_000
    assert recorded.version == version_id(recorded.content_hash, recorded.spine_hash,
                                          recorded.definition_hash, recorded.contracts)
    assert recorded.key_columns == ["transaction_id", "user_id", "merchant_id", "event_at"]
    assert recorded.exposure == EXPOSURE and recorded.labels == ["is_fraud"]
    assert recorded.spine_source == {"kind": "model", "name": SPINE}
    manifest = duckdb_build.manifest
    assert recorded.dbt["invocation_id"] == manifest.invocation_id
    run_results = json.loads((duckdb_build.target_dir / "run_results.json").read_text())
    assert recorded.dbt["run_invocation_id"] == run_results["metadata"]["invocation_id"]
    # Every view the exposure reads, with its registered contract and its SQL written
    # against ref()/source() rather than the warehouse's relation names.
    views = {view["view"]: view for view in recorded.definition["views"]}
    assert set(views) == {name.split(":")[0] for name in recorded.features.values()}
    assert recorded.contracts == {name: 1 for name in views}
    assert views["feat_user__spend_windows"]["ttl"] == "30d"
    for name, sql in recorded.sql.items():
        node = manifest.find_model(name)
        assert node.compiled_code and str(duckdb_build.duckdb_path.stem) in node.compiled_code
        assert duckdb_build.duckdb_path.stem not in sql and "ref('" in sql


# --- comparing, verifying, reproducing (featureops datasets ...) -------------------------

PROFILE_LIMIT = "feat_user__profile__credit_limit_usd"


def datasets(build, registry: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["datasets", *args, "--registry", str(registry),
                                      "--project-dir", str(build.project_dir),
                                      "--manifest", str(build.manifest_path)])
    return result.exit_code, result.stdout, result.stderr


def diff_json(build, registry: Path, a: str, b: str) -> dict:
    code, out, err = datasets(build, registry, "diff", a, b, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def numpy_psi(reference: list[float], current: list[float], bins: int = 10) -> float:
    """ADR 0052's PSI, independently: numpy quantile edges, (lower, upper] bins, empty
    shares smoothed to 1e-4."""
    import numpy as np

    ref, cur = np.array(reference, dtype=float), np.array(current, dtype=float)
    edges = np.unique(np.quantile(ref, [i / bins for i in range(1, bins)]))
    p = np.bincount(np.searchsorted(edges, ref), minlength=len(edges) + 1) / len(ref)
    q = np.bincount(np.searchsorted(edges, cur), minlength=len(edges) + 1) / len(cur)
    p, q = np.where(p > 0, p, 1e-4), np.where(q > 0, q, 1e-4)
    return float(np.sum((q - p) * np.log(q / p)))


def test_list_show_and_pin(duckdb_build, registry, first) -> None:
    _, version = first
    code, out, _ = datasets(duckdb_build, registry, "list", "--format", "json")
    listed = {entry["version"]: entry for entry in json.loads(out)}
    assert code == 0 and listed[version["version"]]["exposure"] == EXPOSURE
    code, _, err = datasets(duckdb_build, registry, "pin", version["version"][:8],
                            "--exposure", EXPOSURE, "--run", "run-7", "--tag", "auc=0.91")
    assert code == 0, err
    code, out, _ = datasets(duckdb_build, registry, "show", version["version"], "--format",
                            "json")
    shown = json.loads(out)
    assert [(p["exposure"], p["run"], p["tags"]) for p in shown["pins"]] == [
        (EXPOSURE, "run-7", {"auc": "0.91"})]
    code, _, err = datasets(duckdb_build, registry, "pin", version["version"], "--exposure",
                            "no_such_model", "--run", "r")
    assert code == 2 and "no_such_model" in err


def test_verify_catches_tampering(duckdb_build, registry, first, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, version = first
    code, out, _ = datasets(duckdb_build, registry, "verify", str(path))
    assert code == 0 and version["version"] in out
    table = pq.read_table(path)
    index = table.schema.get_field_index(PROFILE_LIMIT)
    values = table.column(index).to_pylist()
    row = next(i for i, value in enumerate(values) if value is not None)
    values[row] += 0.01
    edited = tmp_path / "edited.parquet"
    pq.write_table(table.set_column(index, PROFILE_LIMIT, pa.array(values)), edited)
    code, _, err = datasets(duckdb_build, registry, "verify", str(edited))
    assert code == 1 and "content_hash" in err and "spine_hash" not in err
    # The footer edited instead: a view's ttl changed without the rows.
    metadata = dict(table.schema.metadata)
    record = json.loads(metadata[b"featureops.dataset_version"])
    record["definition"]["views"][0]["ttl"] = "1d"
    metadata[b"featureops.dataset_version"] = json.dumps(record).encode()
    forged = tmp_path / "forged.parquet"
    pq.write_table(table.replace_schema_metadata(metadata), forged)
    code, _, err = datasets(duckdb_build, registry, "verify", str(forged))
    assert code == 1 and "definition_hash" in err and "content_hash" not in err
    # The tampered value is exactly what diff reports against the original.
    result = diff_json(duckdb_build, registry, str(path), str(edited))
    assert not result["identical"]
    assert result["rows"]["changed_columns"] == {PROFILE_LIMIT: 1}
    assert result["rows"]["changed"] == 1 and not result["rows"]["added"]
    key = result["rows"]["samples"]["changed"][0]["key"]
    assert key["transaction_id"] == table.column("transaction_id")[row].as_py()


def test_bad_input_is_one_line(duckdb_build, registry, tmp_path, capsys) -> None:
    (tmp_path / "notes.parquet").write_text("not parquet")
    for args, named in ((["show", "ds-0123"], "ds-0123"), (["show", "v1"], "v1"),
                        (["verify", str(tmp_path / "notes.parquet")], "notes.parquet"),
                        (["verify", str(tmp_path / "none.parquet")], "none.parquet"),
                        (["diff", "ds-0123", str(tmp_path / "none.parquet")], "ds-0123")):
        code = run(["datasets", *args, "--registry", str(registry), "--project-dir",
                    str(duckdb_build.project_dir), "--manifest",
                    str(duckdb_build.manifest_path)])
        err = capsys.readouterr().err
        assert code == 2 and named in err and len(err.strip().splitlines()) == 1, err


def test_reproduce_is_identical_on_an_unchanged_warehouse(duckdb_build, registry,
                                                         first) -> None:
    _, version = first
    code, out, err = datasets(duckdb_build, registry, "reproduce", version["version"],
                              "--warehouse", str(duckdb_build.duckdb_path), "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert result["identical"] and result["rebuilt_version"] == version["version"]
    assert result["diff"]["rows"]["changed"] == 0


def test_one_changed_spine_row(duckdb_build, registry, first, tmp_path) -> None:
    """A spine file with one label flipped: a new version whose diff is that row's label."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path, version = first
    recorded = read_file_version(path)
    spine = pq.read_table(path, columns=recorded.spine_columns)
    labels = spine.column("is_fraud").to_pylist()
    labels[123] = not labels[123]
    spine_file = tmp_path / "spine.parquet"
    pq.write_table(spine.set_column(4, "is_fraud", pa.array(labels)), spine_file)
    flipped = write_training_set(duckdb_build, tmp_path / "flipped.parquet", registry,
                                 spine=str(spine_file))
    assert flipped["version"] != version["version"]
    result = diff_json(duckdb_build, registry, version["version"], flipped["version"])
    assert result["components"] == {"content": True, "spine": True, "definition": False,
                                    "contracts": False}
    assert result["rows"]["changed_columns"] == {"is_fraud": 1}
    assert result["rows"]["samples"]["changed"][0]["key"]["transaction_id"] == (
        spine.column("transaction_id")[123].as_py())
    assert result["changes"] == ["rows changed: 1 in is_fraud (1)"]


@pytest.fixture(scope="module")
def changed_value(duckdb_build, tmp_path_factory) -> tuple[Path, int]:
    """A copy of the warehouse where one user's profile row has another credit limit."""
    import shutil

    work = tmp_path_factory.mktemp("changed_value")
    copy = work / duckdb_build.duckdb_path.name  # same name: same relation names
    shutil.copy(duckdb_build.duckdb_path, copy)
    with duckdb.connect(str(copy)) as conn:
        user = conn.execute("select user_id from feat_user__profile where credit_limit_usd "
                            "is not null order by user_id limit 1 offset 40").fetchone()[0]
        conn.execute("update feat_user__profile set credit_limit_usd = credit_limit_usd + 5 "
                     f"where user_id = {user}")
    return copy, user


def test_one_changed_value(duckdb_build, registry, first, changed_value, tmp_path) -> None:
    path, version = first
    warehouse, user = changed_value
    out = tmp_path / "changed.parquet"
    result = CliRunner().invoke(cli, [
        "training-set", "--spine", SPINE, "--exposure", EXPOSURE, "--timestamp-column",
        "event_at", "--full-feature-names", "--label", "is_fraud", "--registry", str(registry),
        "--out", str(out), "--project-dir", str(duckdb_build.project_dir), "--manifest",
        str(duckdb_build.manifest_path), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    changed = read_file_version(out)
    assert changed.version != version["version"]
    diff = diff_json(duckdb_build, registry, str(path), str(out))
    assert diff["components"] == {"content": True, "spine": False, "definition": False,
                                  "contracts": False}
    # Exactly the training rows of that user (oracle: the rows of the first file).
    with duckdb.connect() as conn:
        expected = conn.execute(f"select count(*) from read_parquet('{path}') where user_id = "
                                f"{user} and \"{PROFILE_LIMIT}\" is not null").fetchone()[0]
    assert expected > 0 and diff["rows"]["changed_columns"] == {PROFILE_LIMIT: expected}
    assert {s["key"]["user_id"] for s in diff["rows"]["samples"]["changed"]} == {user}
    psi = {d["feature"]: d["psi"] for d in diff["distributions"]}
    before = pq_column(path, PROFILE_LIMIT)
    after = pq_column(out, PROFILE_LIMIT)
    assert psi[PROFILE_LIMIT] == pytest.approx(numpy_psi(before, after), abs=1e-9)
    # Reproducing the first version on the changed warehouse: the data differ.
    code, out_text, _ = datasets(duckdb_build, registry, "reproduce", version["version"],
                                 "--warehouse", str(warehouse), "--format", "json")
    reproduced = json.loads(out_text)
    assert code == 1 and reproduced["differs"] == ["data"]
    assert reproduced["diff"]["rows"]["changed_columns"] == {PROFILE_LIMIT: expected}


def pq_column(path: Path, column: str) -> list[float]:
    import pyarrow.parquet as pq

    return [v for v in pq.read_table(path, columns=[column]).column(0).to_pylist()
            if v is not None]


@pytest.fixture(scope="module")
def edited_build(duckdb_build, tmp_path_factory) -> tuple[Path, Path, Path]:
    """feat_user__profile's SQL edited and the view rebuilt, in a copy of the project and
    of the warehouse: (project, manifest, warehouse)."""
    import shutil

    from featureops.dbt_runner import run_dbt
    from tests.conftest import copy_project, edit_file

    work = tmp_path_factory.mktemp("edited")
    project = copy_project(work / "project")
    edit_file(project / "models" / "features" / "user" / "feat_user__profile.sql",
              "        users.credit_limit_usd\n",
              "        users.credit_limit_usd * 2 as credit_limit_usd\n")
    warehouse = work / "warehouse" / duckdb_build.duckdb_path.name  # same relation names
    warehouse.parent.mkdir()
    shutil.copy(duckdb_build.duckdb_path, warehouse)
    target = work / "target"
    env = {**duckdb_build.env, "FEATUREOPS_DUCKDB_PATH": str(warehouse)}
    for args in (["run", "--select", "feat_user__profile"], ["compile"]):
        run_dbt([*args, "--target-path", str(target), "--vars", duckdb_build.vars_arg],
                project, env=env)
    return project, target / "manifest.json", warehouse


@pytest.fixture(scope="module")
def edited_set(edited_build, registry, tmp_path_factory) -> Path:
    project, manifest, warehouse = edited_build
    out = tmp_path_factory.mktemp("edited_set") / "edited.parquet"
    result = CliRunner().invoke(cli, [
        "training-set", "--spine", SPINE, "--exposure", EXPOSURE, "--timestamp-column",
        "event_at", "--full-feature-names", "--label", "is_fraud", "--registry", str(registry),
        "--out", str(out), "--project-dir", str(project), "--manifest", str(manifest),
        "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_one_changed_feature_sql(duckdb_build, registry, first, edited_set) -> None:
    """A new version whose diff names that view, shows the edited line, and the one
    column it changes."""
    _, version = first
    diff = diff_json(duckdb_build, registry, version["version"], str(edited_set))
    assert diff["components"] == {"content": True, "spine": False, "definition": True,
                                  "contracts": False}
    [view] = diff["definitions"]["views_changed"]
    assert view["view"] == "feat_user__profile" and view["fields"] == []
    removed = [line for line in view["sql_diff"].splitlines()
               if line.startswith("-") and not line.startswith("---")]
    added = [line for line in view["sql_diff"].splitlines()
             if line.startswith("+") and not line.startswith("+++")]
    assert removed == ["-        users.credit_limit_usd"]
    assert added == ["+        users.credit_limit_usd * 2 as credit_limit_usd"]
    assert list(diff["rows"]["changed_columns"]) == [PROFILE_LIMIT]
    assert diff["changes"][0] == "view feat_user__profile: SQL changed"


# --- model bundles -------------------------------------------------------------------------

BUNDLE_SPEC = """features:
  feat_user__spend_windows__amount_usd_sum_24h: {fill: median, transform: standardize}
  feat_user__profile__credit_limit_usd: {fill: 0, transform: minmax}
  feat_merchant__risk_windows__chargeback_rate_30d: {transform: bucketize, buckets: 5}
  feat_user__profile__card_tier: {fill: mode, transform: vocabulary}
"""


def test_bundle_of_the_fraud_model(duckdb_build, registry, first, tmp_path, capsys) -> None:
    import pyarrow.parquet as pq

    from featureops.bundles import apply, read_bundle
    from featureops.catalog import FeatureCatalog

    path, version = first
    spec = tmp_path / "spec.yml"
    spec.write_text(BUNDLE_SPEC)
    result = CliRunner().invoke(cli, [
        "bundle", "--exposure", EXPOSURE, "--dataset", version["version"], "--preprocessing",
        str(spec), "--out", str(tmp_path / "bundle"), "--registry", str(registry),
        "--project-dir", str(duckdb_build.project_dir), "--manifest",
        str(duckdb_build.manifest_path)])
    assert result.exit_code == 0, result.output
    bundle = read_bundle(tmp_path / "bundle")
    service = FeatureCatalog.from_manifest(duckdb_build.manifest).resolve_service(EXPOSURE)
    assert [f.reference for f in bundle.features] == [
        f"{view}:{feature.name}" for view, features in service.items() for feature in features]
    assert bundle.dataset_version == version["version"]
    frame = pq.read_table(path).to_pandas()
    spend = frame["feat_user__spend_windows__amount_usd_sum_24h"]
    filled = spend.fillna(spend.median())
    params = bundle.preprocessing["feat_user__spend_windows__amount_usd_sum_24h"]
    assert (params["mean"], params["std"]) == pytest.approx((filled.mean(), filled.std(ddof=0)),
                                                            rel=1e-12)
    applied = apply(bundle, frame)
    assert list(applied.columns) == [f.column for f in bundle.features]
    # A served vector names features view__feature; the same rows give the same numbers.
    for index in range(0, len(frame), 997):
        vector = {f.reference.replace(":", "__"): frame.at[index, f.column]
                  for f in bundle.features}
        vector = {k: (None if isinstance(v, float) and v != v else v)
                  for k, v in vector.items()}
        assert apply(bundle, vector) == {k: (None if isinstance(v, float) and v != v else v)
                                         for k, v in applied.loc[index].to_dict().items()}
    spec.write_text("features:\n  feat_user__profile__card_tier: {transform: standardize}\n")
    code = run(["bundle", "--exposure", EXPOSURE, "--dataset", version["version"],
                "--preprocessing", str(spec), "--out", str(tmp_path / "b2"), "--registry",
                str(registry), "--project-dir", str(duckdb_build.project_dir), "--manifest",
                str(duckdb_build.manifest_path)])
    err = capsys.readouterr().err
    assert code == 2 and "feat_user__profile__card_tier" in err and len(err.splitlines()) == 1


def make_bundle(build_args: list[str], registry: Path, version: str, out: Path,
                spec: Path | None = None) -> str:
    result = CliRunner().invoke(cli, [
        "bundle", "--exposure", EXPOSURE, "--dataset", version, "--out", str(out),
        "--registry", str(registry), "--format", "json", *build_args,
        *(["--preprocessing", str(spec)] if spec else [])])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["bundle"]


REQUEST_FIELDS = ("transaction_id", "user_id", "merchant_id", "event_at", "amount",
                  "currency_code", "channel", "device_type", "transaction_country_code")


def current_training_rows(build, path: Path, count: int) -> tuple[datetime, list[dict]]:
    """(T, rows): T the training set's last prediction time, and ``count`` of its rows
    whose stored views' latest rows at their own time are still the latest at T (what an
    online store materialized as of T holds), with the request-time view's fields."""
    at = f"read_parquet('{path}')"
    latest = [f"(select max(v.event_at) from {view} as v where v.{key} = s.{key} "
              "and v.event_at <= {t})" for view, key in (
                  ("feat_user__spend_windows", "user_id"), ("feat_user__profile", "user_id"),
                  ("feat_merchant__risk_windows", "merchant_id"),
                  ("feat_merchant__profile", "merchant_id"))]
    with duckdb.connect(str(build.duckdb_path), read_only=True) as conn:
        [(end,)] = conn.execute(f"select max(event_at) from {at}").fetchall()
        cursor = conn.execute(f"""
            select s.*, r.amount, r.currency_code, r.channel, r.device_type,
                r.transaction_country_code
            from {at} as s
            inner join int_transactions__requests as r using (transaction_id)
            where {' and '.join(f"{q.format(t='s.event_at')} is not distinct from "
                                f"{q.format(t=repr(str(end)) + '::timestamp')}"
                                for q in latest)}
                -- users with a profile online at T: for the others the served is_foreign
                -- is null, dbt's is not (chained features: test_request_time.py)
                and s.user_id in (
                    select user_id from feat_user__profile
                    where event_at between {repr(str(end))}::timestamp - interval 3650 day
                        and {repr(str(end))}::timestamp)
            order by hash(s.transaction_id) limit {count}""")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return end.replace(tzinfo=timezone.utc), rows


def same_number(served, trained, request_time: bool) -> bool:
    if request_time and isinstance(trained, float) and isinstance(served, float):
        # computed per request in Python, in the warehouse by DuckDB (docs/request-time.md)
        return math.isclose(served, trained, rel_tol=0, abs_tol=1e-12)
    numbers = (int, float)
    if all(isinstance(v, numbers) and not isinstance(v, bool) for v in (served, trained)):
        return served == trained  # a bucket is 1 served, 1.0 in a column pandas widened
    return served == trained and type(served) is type(trained)


def served_columns(response) -> dict[str, list]:
    body = response.json()
    return {name: column["values"] for name, column in
            zip(body["metadata"]["feature_names"], body["results"], strict=True)}


@pytest.mark.slow
def test_the_server_checks_bundles(duckdb_build, registry, first, edited_build, edited_set,
                                   monkeypatch, tmp_path) -> None:
    """Through a bundle, the server answers the bundle's features in its order with the
    training set's values for the same entities and times, and preprocessed exactly as
    featureops.bundles.apply preprocesses the training rows; the log keeps the raw values.
    After feat_user__profile's SQL is edited and rebuilt: 409 naming exactly that view's
    features (also when the manifest changes under a running server), and a bundle of the
    rebuilt version is accepted again."""
    import pyarrow.parquet as pq
    from fastapi.testclient import TestClient

    from featureops.bundles import apply, read_bundle
    from featureops.bundles.online import get_bundle_features
    from featureops.online import materialize
    from featureops.online.sdk import OnlineFeatureClient
    from featureops.project import Project
    from featureops.serving.app import create_app
    from featureops.serving.settings import ServingSettings
    from tests.integration.online_support import drop_prefix, project_for, store_for

    path, version = first
    bundles = tmp_path / "bundles"
    monkeypatch.setenv("FEATUREOPS_BUNDLES_DIR", str(bundles))
    spec = tmp_path / "spec.yml"
    spec.write_text(BUNDLE_SPEC)
    original = ["--project-dir", str(duckdb_build.project_dir), "--manifest",
                str(duckdb_build.manifest_path)]
    bundle_id = make_bundle(original, registry, version["version"], bundles / "fraud", spec)
    bundle = read_bundle(bundles / "fraud")
    end, rows = current_training_rows(duckdb_build, path, 40)
    assert len(rows) == 40
    entities = {name: [r[name] for r in rows] for name in REQUEST_FIELDS}
    entities["event_at"] = [r["event_at"].replace(tzinfo=timezone.utc).isoformat()
                            for r in rows]
    request = {"bundle": bundle_id, "as_of": end.isoformat(), "entities": entities}
    log_dir = tmp_path / "serving_log"
    settings = ServingSettings(log_dir=str(log_dir))
    store, _ = store_for("sqlite", tmp_path)
    project = project_for(duckdb_build, monkeypatch)
    materialize(project, store=store, end_time=end, progress=False)
    client = OnlineFeatureClient(project, store=store)
    try:
        with TestClient(create_app(project, client=client, settings=settings,
                                   tokens=())) as http:
            raw = http.post("/features", json=request)
            processed = http.post("/features", json={**request, "preprocess": True})
            errors = [http.post("/features", json=body).status_code for body in (
                {**request, "exposure": EXPOSURE}, {**request, "bundle": "bd-0000"},
                {"features": [bundle.features[0].reference], "entities": entities,
                 "preprocess": True})]
        sdk = get_bundle_features(client, bundles / "fraud", entities, end, preprocess=True)
        assert raw.status_code == 200 and processed.status_code == 200, raw.text
        assert errors == [400, 404, 400]
        references = [f.reference for f in bundle.features]
        assert raw.json()["metadata"]["feature_names"][-len(references):] == references
        assert raw.json()["metadata"]["service"] == EXPOSURE
        served, preprocessed = served_columns(raw), served_columns(processed)
        frame = pq.read_table(path).to_pandas().set_index("transaction_id").loc[
            entities["transaction_id"]].reset_index()
        expected = apply(bundle, frame)
        for f in bundle.features:
            request_time = f.view == "feat_transaction__context"
            for i, row in enumerate(rows):
                assert same_number(served[f.reference][i], row[f.column], request_time), (
                    f.reference, row["transaction_id"], served[f.reference][i], row[f.column])
                truth = expected.at[i, f.column]
                truth = truth.item() if hasattr(truth, "item") else truth  # NumPy scalar
                truth = None if isinstance(truth, float) and truth != truth else truth
                assert same_number(preprocessed[f.reference][i], truth, request_time), (
                    f.reference, row["transaction_id"])
        assert sdk.to_dict() == {name: values for name, values in preprocessed.items()}
        changed = [f.reference for f in bundle.features if f.column in bundle.preprocessing]
        assert all(served[ref] != preprocessed[ref] for ref in changed)
        # the serving log holds what the store served, not the model's inputs
        logged = duckdb.connect().execute(
            f"select value_text from read_parquet('{log_dir}/*.parquet') where request_id = ?"
            " and feature = 'card_tier' order by entity_key",
            [processed.json()["request_id"]]).fetchall()
        assert sorted(str(v) for (v,) in logged) == sorted(
            str(v) for v in served["feat_user__profile:card_tier"])

        # featureops lookup --bundle: the same answer from the command line
        cli_dir = tmp_path / "cli"
        cli_dir.mkdir()
        (cli_dir / "featureops.yml").write_text(
            f"online_store:\n  type: sqlite\n  path: {store.path}\n")
        (cli_dir / "dbt_project.yml").write_text("name: featureops\nprofile: featureops\n")
        monkeypatch.delenv("FEATUREOPS_ONLINE_STORE", raising=False)
        fields = {k: v for k, v in entities.items() if k != "merchant_id"}
        lookup = ["lookup", "--bundle", bundle_id, "--preprocess", "--fields",
                  json.dumps(fields), "--as-of", end.strftime("%Y-%m-%dT%H:%M:%S"), "--json",
                  *[f"--entity=merchant_id={m}" for m in entities["merchant_id"]],
                  "--project-dir", str(cli_dir)]
        result = CliRunner().invoke(cli, [*lookup, "--manifest",
                                          str(duckdb_build.manifest_path)])
        assert result.exit_code == 0, result.output
        answer = json.loads(result.stdout)
        assert [[row["features"][ref]["value"] for ref in references] for row in answer] == \
            [[preprocessed[ref][i] for ref in references] for i in range(len(rows))]

        edited_project, edited_manifest, _ = edited_build
        code = run([*lookup, "--manifest", str(edited_manifest)])
        assert code == 1  # the server's 409
        edited = Project.locate(edited_project, edited_manifest)
        profile = [f.reference for f in bundle.features if f.view == "feat_user__profile"]
        with TestClient(create_app(edited, client=client, settings=settings,
                                   tokens=())) as http:
            refused = http.post("/features", json=request)
            assert refused.status_code == 409, refused.text
            assert refused.json()["detail"].split("built: ")[1].split(";")[0] == \
                ", ".join(profile)
            rebuilt = read_file_version(edited_set).version
            rebundled = make_bundle(["--project-dir", str(edited_project), "--manifest",
                                     str(edited_manifest)], registry, rebuilt,
                                    bundles / "fraud-v2")
            accepted = http.post("/features", json={**request, "bundle": rebundled})
        assert accepted.status_code == 200, accepted.text

        # the manifest replaced under a running server: the bundle is checked again
        moving = tmp_path / "target" / "manifest.json"
        moving.parent.mkdir()
        moving.write_bytes(duckdb_build.manifest_path.read_bytes())
        app = create_app(Project.locate(duckdb_build.project_dir, moving), client=client,
                         settings=settings, tokens=())
        app.state.context.bundles.recheck_seconds = 0  # look at the manifest every time
        # ...and one a partial dbt run wrote (compiled SQL only for what it selected)
        partial = tmp_path / "partial.json"
        data = json.loads(duckdb_build.manifest_path.read_text())
        for node in data["nodes"].values():
            if node.get("name") != "feat_user__spend_windows":
                node.pop("compiled_code", None)
        partial.write_text(json.dumps(data))
        with TestClient(app) as http:
            before = http.post("/features", json=request).status_code
            moving.write_bytes(partial.read_bytes())
            # the views it did not compile were not rebuilt: their last check stands
            after_partial = http.post("/features", json=request).status_code
            moving.write_bytes(edited_manifest.read_bytes())
            after = http.post("/features", json=request)
        assert (before, after_partial, after.status_code) == (200, 200, 409), after.text
        # a server that never saw those views compiled cannot compare them: refused, said so
        with TestClient(create_app(Project.locate(duckdb_build.project_dir, partial),
                                   client=client, settings=settings, tokens=())) as http:
            unchecked = http.post("/features", json=request)
        assert unchecked.status_code == 409
        assert "changed since" not in unchecked.json()["detail"]
        assert "no compiled SQL for feat_user__profile, feat_merchant__risk_windows, " \
            "feat_merchant__profile, feat_transaction__context " in unchecked.json()["detail"]
    finally:
        client.close()
        drop_prefix(store)


def test_audit_reports_bundles_of_changed_definitions(duckdb_build, registry, first,
                                                      edited_build, monkeypatch, tmp_path,
                                                      capsys) -> None:
    """bundle_definitions_changed: silent while the bundle's definitions are the live
    ones; after feat_user__profile's SQL changed, one error on the exposure naming the
    bundle and exactly that view's features."""
    from featureops.bundles import read_bundle

    _, version = first
    bundles = tmp_path / "bundles"
    monkeypatch.setenv("FEATUREOPS_BUNDLES_DIR", str(bundles))
    bundle_id = make_bundle(["--project-dir", str(duckdb_build.project_dir), "--manifest",
                             str(duckdb_build.manifest_path)], registry, version["version"],
                            bundles / "fraud")
    profile = [f.reference for f in read_bundle(bundles / "fraud").features
               if f.view == "feat_user__profile"]
    edited_project, edited_manifest, _ = edited_build
    reports = []
    for project, manifest in ((duckdb_build.project_dir, duckdb_build.manifest_path),
                              (edited_project, edited_manifest)):
        code = run(["audit", "--rule", "bundle_definitions_changed", "--format", "json",
                    "--project-dir", str(project), "--manifest", str(manifest)])
        reports.append((code, json.loads(capsys.readouterr().out)))
    (clean_code, clean), (stale_code, stale) = reports
    assert clean_code == 0 and clean["findings"] == []
    assert [r["checked"] for r in clean["rules"]] == [2]  # both ml exposures
    assert stale_code == 1
    [finding] = stale["findings"]
    assert (finding["name"], finding["severity"]) == (EXPOSURE, "error")
    assert finding["message"] == (
        f"bundle {bundle_id} (dataset {version['version']}): feat_user__profile changed "
        f"({len(profile)} feature(s): {', '.join(profile)})")
