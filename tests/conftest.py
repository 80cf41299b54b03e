"""Shared fixtures. The expensive ones are session-scoped: one raw-data generation and one
`dbt build` of the example project on DuckDB serve every test that needs a warehouse;
the Postgres build likewise happens once."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from featureops.datagen import generate
from featureops.dbt_runner import run_dbt
from featureops.manifest import Manifest, load_manifest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Real manifests from other projects (v8-v12), copied byte for byte from the team's shared
# folder so the suite runs from any clone; see the README there for provenance.
SHARED_MANIFESTS = REPO_ROOT / "tests" / "resources" / "real_manifests"

# The test data: the demo's default scale and seed, so tests see what users see.
TEST_TRANSACTIONS = 50_000
TEST_SEED = 42


@dataclass
class BuiltProject:
    """The example project built into a private warehouse and target directory."""

    project_dir: Path
    raw_dir: Path
    target_dir: Path
    env: dict[str, str]
    duckdb_path: Path | None = None
    vars_arg: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"

    @property
    def manifest(self) -> Manifest:
        return load_manifest(self.manifest_path)

    def dbt(self, *args: str, check: bool = True):
        return run_dbt([*args, "--target-path", str(self.target_dir), "--log-path",
                        str(self.target_dir / "logs"), "--vars", self.vars_arg],
                       self.project_dir, env=self.env, check=check)


# What a copy of the dbt project needs (no data, no venv, no build output).
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", ".sqlfluff", ".sqlfluffignore")
PROJECT_DIRS = ("models", "macros", "seeds", "tests/dbt", "contracts")
#: The featureops dbt package of this checkout.
PACKAGE_DIR = REPO_ROOT / "featureops" / "dbt_package"


def install_package(project_dir: Path, package_dir: Path = PACKAGE_DIR) -> None:
    """What `dbt deps` does for a `local:` package: the packages.yml entry and the
    dbt_packages/featureops link (a subprocess per copy would cost seconds)."""
    (project_dir / "packages.yml").write_text(
        f"packages:\n  - local: {package_dir}\n", encoding="utf-8")
    installed = project_dir / "dbt_packages"
    installed.mkdir(exist_ok=True)
    link = installed / "featureops"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(package_dir, target_is_directory=True)


def copy_project(destination: Path) -> Path:
    """Copy the example dbt project to `destination`, for tests that break it on purpose
    (run `dbt parse` there with `run_dbt`, then featureops on its manifest)."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        if (REPO_ROOT / name).exists():
            shutil.copy2(REPO_ROOT / name, destination / name)
    for name in PROJECT_DIRS:
        if (REPO_ROOT / name).exists():
            shutil.copytree(REPO_ROOT / name, destination / name)
    install_package(destination)
    return destination


@pytest.fixture(autouse=True, scope="session")
def dataset_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every dataset version a test writes goes to a temporary registry, never the
    checkout's datasets/registry (the built projects' project_dir is the checkout)."""
    path = tmp_path_factory.mktemp("dataset_registry")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DATASET_REGISTRY", str(path))
        yield path


@pytest.fixture(autouse=True, scope="session")
def bundles_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The server and the audit look for model bundles in an empty temporary folder, never
    the checkout's bundles/ (make demo's bundle would meet every edited definition)."""
    path = tmp_path_factory.mktemp("bundles")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_BUNDLES_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def example_dependencies() -> None:
    """`dbt deps` of the example project, once: its packages.yml names the featureops dbt
    package of this checkout, as the README's commands install it."""
    run_dbt(["deps"], REPO_ROOT)


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of `old` (fails loudly if the fixture text drifted)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: expected exactly one {old!r}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A private copy of the example project, safe to break."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Raw Parquet at the demo scale, generated once per session."""
    out = tmp_path_factory.mktemp("raw")
    generate(out, n_transactions=TEST_TRANSACTIONS, seed=TEST_SEED, progress=False)
    return out


@pytest.fixture(scope="session")
def duckdb_build(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                 example_dependencies: None) -> BuiltProject:
    """`dbt build` of the example project on DuckDB (seeds, models, data and unit tests)."""
    work = tmp_path_factory.mktemp("duckdb_build")
    built = BuiltProject(
        project_dir=REPO_ROOT,
        raw_dir=raw_dir,
        target_dir=work / "target",
        duckdb_path=work / "warehouse.duckdb",
        env={"FEATUREOPS_TARGET": "dev", "FEATUREOPS_DUCKDB_PATH": str(work / "warehouse.duckdb")},
        vars_arg=f"{{featureops_raw_dir: '{raw_dir}'}}",
    )
    built.dbt("build")
    return built


@pytest.fixture(scope="session")
def postgres_build(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                   example_dependencies: None) -> Iterator[BuiltProject]:
    """`dbt build --target postgres` into private schemas, dropped afterwards."""
    from tests.services import require_postgres

    dsn = require_postgres()
    from featureops.rawload import load_into_postgres

    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    schema, raw_schema = f"featureops_test_{suffix}", f"featureops_test_{suffix}_raw"
    load_into_postgres(raw_dir, dsn, schema=raw_schema, progress=False)
    work = tmp_path_factory.mktemp("postgres_build")
    built = BuiltProject(
        project_dir=REPO_ROOT,
        raw_dir=raw_dir,
        target_dir=work / "target",
        env={"FEATUREOPS_TARGET": "postgres", "FEATUREOPS_PG_SCHEMA": schema,
             "FEATUREOPS_RAW_SCHEMA": raw_schema},
        vars_arg=f"{{featureops_raw_dir: '{raw_dir}'}}",
        extra={"schema": schema, "raw_schema": raw_schema},
    )
    try:
        built.dbt("build")
        yield built
    finally:
        drop_schemas(dsn, [schema, f"{schema}_reference", raw_schema])


#: The Spark database (schema) of spark_build; seeds go to <schema>_reference.
SPARK_SCHEMA = "featureops"


@pytest.fixture(scope="session")
def spark_build(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                example_dependencies: None) -> BuiltProject:
    """`dbt build --target spark` of the example on the session's raw data (the DuckDB
    build's): dbt-spark's session method, PySpark local[2] inside the dbt process, which
    exits before the tests run. Its warehouse (Parquet table folders under
    `<spark_dir>/warehouse/<schema>.db/`) and Derby metastore (`<spark_dir>/metastore_db`,
    one process at a time) are private to the session: `env` holds
    FEATUREOPS_TARGET=spark and FEATUREOPS_SPARK_DIR for anything that opens a Spark
    session on them through the example's profile; `extra` has spark_dir and schema."""
    from tests.services import require_spark

    require_spark()
    spark_dir = tmp_path_factory.mktemp("spark_build")
    built = BuiltProject(
        project_dir=REPO_ROOT,
        raw_dir=raw_dir,
        target_dir=spark_dir / "target",
        env={"FEATUREOPS_TARGET": "spark", "FEATUREOPS_SPARK_DIR": str(spark_dir),
             "FEATUREOPS_SPARK_SCHEMA": SPARK_SCHEMA},
        vars_arg=f"{{featureops_raw_dir: '{raw_dir}'}}",
        extra={"spark_dir": str(spark_dir), "schema": SPARK_SCHEMA},
    )
    built.dbt("build")
    return built


def spark_table_files(built: BuiltProject, name: str, schema: str | None = None) -> str:
    """The Parquet files of a table of spark_build, as a glob DuckDB or pyarrow reads."""
    folder = Path(built.extra["spark_dir"]) / "warehouse" / f"{schema or built.extra['schema']}.db"
    return str(folder / name / "*.parquet")


def drop_schemas(dsn: dict, schemas: list[str]) -> None:
    import psycopg2
    from psycopg2 import sql

    with psycopg2.connect(**dsn) as conn, conn.cursor() as cursor:
        for name in schemas:
            cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))
    conn.close()


# The drift that monitoring replays in the demo (Makefile) and the tests.
MONITORING_DRIFT = "feat_user__spend_windows:amount_usd_avg_7d=2.5"


@pytest.fixture(scope="session")
def monitored_build(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                    example_dependencies: None) -> BuiltProject:
    """The example project built on raw data with anomalies planted on its last day (70% of
    the transactions gone, device_type null in two thirds of the rest), then a replayed week of
    fraud-model traffic where one feature drifts (MONITORING_DRIFT), then a monitoring-only
    build: every monitor has something true to find. run_results.json is that monitoring
    build's, at the default severity (critical findings fail their tests). The serving log
    is the `serving_log/` folder beside the private warehouse."""
    import duckdb

    from featureops.monitoring.replay import DriftSpec, replay_serving_traffic
    from featureops.project import Project

    work = tmp_path_factory.mktemp("monitored_build")
    planted = work / "raw"
    shutil.copytree(raw_dir, planted)
    last_day = "event_at >= timestamp '2026-10-31' and event_at < timestamp '2026-11-01'"
    with duckdb.connect() as conn:
        conn.execute(f"""
            copy (
                select * replace (case when {last_day} and transaction_id % 2 = 0
                    then null else device_type end as device_type)
                from read_parquet('{raw_dir / "transactions.parquet"}')
                where not ({last_day} and transaction_id % 10 >= 3)
            ) to '{planted / "transactions.parquet"}' (format parquet)""")
        conn.execute(f"""
            copy (
                select * from read_parquet('{raw_dir / "chargebacks.parquet"}')
                where transaction_id in (select transaction_id
                                         from read_parquet('{planted / "transactions.parquet"}'))
            ) to '{planted / "chargebacks.parquet"}' (format parquet)""")
    warehouse = work / "warehouse.duckdb"
    built = BuiltProject(
        project_dir=REPO_ROOT, raw_dir=planted, target_dir=work / "target",
        duckdb_path=warehouse,
        env={"FEATUREOPS_TARGET": "dev", "FEATUREOPS_DUCKDB_PATH": str(warehouse)},
        vars_arg=f"{{featureops_raw_dir: '{planted}'}}",
        extra={"serving_log": str(work / "serving_log")},
    )
    built.dbt("build", "--select", "+package:featureops", check=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEATUREOPS_DUCKDB_PATH", str(warehouse))
        replay_serving_traffic(Project.locate(REPO_ROOT, built.manifest_path),
                               "fraud_detection_model", "int_transactions__enriched",
                               drift=DriftSpec.parse(MONITORING_DRIFT), progress=False)
    built.dbt("build", "--select", "package:featureops", check=False)
    return built


#: The environment variable the session's private Redis Cluster is named by (its nodes).
CLUSTER_URL_ENV = "FEATUREOPS_TEST_REDIS_CLUSTER_URL"


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private 3-master Redis Cluster for the whole session (stopped by pid at the end);
    yields the name of the environment variable holding its nodes. Tests that kill a node
    start their own (tests/redis_cluster.py)."""
    from tests.redis_cluster import private_cluster
    from tests.services import require_cluster_tools

    require_cluster_tools()
    with private_cluster(tmp_path_factory.mktemp("redis-cluster")) as cluster:
        os.environ[CLUSTER_URL_ENV] = cluster.url
        try:
            yield CLUSTER_URL_ENV
        finally:
            os.environ.pop(CLUSTER_URL_ENV, None)
