"""Dataset versions of training sets written from the example project's build: the
same set written twice is one version; its Parquet footer and the registry say what it
was built from (docs/reproducibility.md)."""

from __future__ import annotations

import json
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


@pytest.mark.slow
def test_one_changed_feature_sql(duckdb_build, registry, first, tmp_path) -> None:
    """feat_user__profile's SQL edited and the view rebuilt (in a copy of the project and
    warehouse): a new version whose diff names that view, shows the edited line, and the
    one column it changes."""
    import shutil

    from featureops.dbt_runner import run_dbt
    from tests.conftest import copy_project, edit_file

    path, version = first
    project = copy_project(tmp_path / "project")
    edit_file(project / "models" / "features" / "user" / "feat_user__profile.sql",
              "        users.credit_limit_usd\n",
              "        users.credit_limit_usd * 2 as credit_limit_usd\n")
    warehouse = tmp_path / "warehouse" / duckdb_build.duckdb_path.name
    warehouse.parent.mkdir()
    shutil.copy(duckdb_build.duckdb_path, warehouse)
    target = tmp_path / "target"
    env = {**duckdb_build.env, "FEATUREOPS_DUCKDB_PATH": str(warehouse)}
    for args in (["run", "--select", "feat_user__profile"], ["compile"]):
        run_dbt([*args, "--target-path", str(target), "--vars", duckdb_build.vars_arg],
                project, env=env)
    out = tmp_path / "edited.parquet"
    result = CliRunner().invoke(cli, [
        "training-set", "--spine", SPINE, "--exposure", EXPOSURE, "--timestamp-column",
        "event_at", "--full-feature-names", "--label", "is_fraud", "--registry", str(registry),
        "--out", str(out), "--project-dir", str(project), "--manifest",
        str(target / "manifest.json"), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    diff = diff_json(duckdb_build, registry, version["version"], str(out))
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
