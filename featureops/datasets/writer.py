"""Writing a training set with its version (featureops.datasets.identity).

The hashes are taken from the rows as written, read back by DuckDB exactly as `datasets
verify` reads them, so a file always verifies: the join's result goes to a first Parquet
file, its rows are hashed, and DuckDB copies it to the final file with the version in the
footer (key-value metadata cannot be added to a written Parquet file). The copy costs one
read and one write of the file, a fraction of the join (docs/benchmarks.md).
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from featureops.datasets.content import columns_of, file_relation, hash_rows
from featureops.datasets.definitions import (
    contract_versions,
    dbt_invocation,
    macro_version,
    view_definitions,
)
from featureops.datasets.identity import DatasetVersion, definition_hash, version_id
from featureops.engines.base import sql_string
from featureops.files import replacing
from featureops.manifest import Manifest


@dataclass(frozen=True)
class VersionContext:
    """What a training-set job knows about its inputs, for the version."""

    manifest: Manifest
    contracts_dir: Path
    spec: Mapping[str, Any]
    views: Sequence[Mapping[str, Any]]
    spine_columns: Sequence[str]
    labels: Sequence[str]
    exposure: str | None
    spine_source: Mapping[str, Any]


def key_columns(context: VersionContext) -> list[str]:
    """The columns that name a row: the views' entity columns found in the spine, and the
    prediction time, in spine order."""
    wanted = {entity for view in context.views for entity in view["entities"]}
    wanted.add(context.spec["timestamp"])
    return [column for column in context.spine_columns if column in wanted]


def definition_of(context: VersionContext) -> tuple[dict[str, Any], dict[str, str]]:
    views, sql = view_definitions(context.manifest, context.views)
    definition = {"spec": dict(context.spec), "macros": macro_version(context.manifest),
                  "views": views}
    return definition, sql


def describe_file(conn: Any, path: Path, context: VersionContext) -> DatasetVersion:
    """The version of the rows in ``path`` built from ``context``."""
    from featureops.package import cli_version

    relation = file_relation(str(path))
    hashes = hash_rows(conn, relation, context.spine_columns)
    definition, sql = definition_of(context)
    contracts = contract_versions(context.manifest, context.views, context.contracts_dir)
    definition_digest = definition_hash(definition)
    return DatasetVersion(
        version=version_id(hashes.content_hash, hashes.spine_hash, definition_digest,
                           contracts),
        content_hash=hashes.content_hash, spine_hash=hashes.spine_hash,
        definition_hash=definition_digest, contracts=contracts, rows=hashes.rows,
        columns=[{"name": c.name, "type": c.type} for c in columns_of(conn, relation)],
        spine_columns=list(context.spine_columns), key_columns=key_columns(context),
        labels=list(context.labels),
        features={feature["alias"]: f"{view['name']}:{feature['column']}"
                  for view in context.views for feature in view["features"]},
        definition=definition, sql=sql, exposure=context.exposure,
        spine_source=dict(context.spine_source), dbt=dbt_invocation(context.manifest),
        project=context.manifest.project_name,
        written_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        written_by=os.environ.get("FEATUREOPS_USER") or _user(),
        featureops_version=cli_version())


def write_versioned(write: Callable[[Path], None], out: Path, context: VersionContext,
                    metadata: Mapping[str, str]) -> DatasetVersion:
    """``write(path)`` writes the rows (with ``metadata``) to a first file; the result is
    hashed and copied to ``out`` atomically with the version added to ``metadata``."""
    import duckdb

    from featureops.offline.warehouse import default_memory_limit

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    first = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.rows")
    try:
        write(first)
        conn = duckdb.connect(config={"autoinstall_known_extensions": False,
                                      "memory_limit": default_memory_limit()})
        try:
            conn.execute("set time zone 'UTC'")
            version = describe_file(conn, first, context)
            pairs = ", ".join(f"{sql_string(key)}: {sql_string(value)}" for key, value
                              in {**metadata, **version.to_metadata()}.items())
            with replacing(out) as partial:
                conn.execute(f"copy (select * from {file_relation(str(first))}) to "
                             f"{sql_string(str(partial))} (format parquet, compression zstd, "
                             f"kv_metadata {{{pairs}}})")
        finally:
            conn.close()
    finally:
        first.unlink(missing_ok=True)
    return version


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
