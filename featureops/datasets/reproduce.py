"""`featureops datasets reproduce VERSION`: build a registered version again from the
current warehouse and definitions, and say whether it comes out identical and, if not,
whether the definitions, the spine or the data differ (with the full diff).

The spine is read from where it came from: the same warehouse model, the same spine file;
a spine given as a DataFrame is taken from the version's own file (its spine columns are
the spine, unchanged). The rebuilt file is not registered.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

from featureops.datasets.diff import Side, diff_sides
from featureops.datasets.errors import DatasetError
from featureops.datasets.identity import DatasetVersion
from featureops.datasets.registry import DatasetRegistry
from featureops.project import Project


def spine_input(entry: DatasetVersion, original: Path | None) -> Any:
    source = entry.spine_source
    if source.get("kind") == "model":
        return source["name"]
    if source.get("kind") == "file" and Path(source["path"]).is_file():
        return source["path"]
    if original is not None:
        import pyarrow.parquet as pq

        return pq.read_table(original, columns=entry.spine_columns)
    raise DatasetError(f"version {entry.version}: its spine ({source.get('kind')}) cannot be "
                       "read again and none of its files exists to take it from")


def reproduce(project: Project, registry: DatasetRegistry, version: str, *,
              warehouse: str | os.PathLike[str] | None = None, out: Path | None = None,
              renderer: Any = None) -> dict[str, Any]:
    from featureops.offline.retrieval import plan_training_set

    entry = registry.load(version)
    original = registry.file_of(entry)
    spec = entry.definition["spec"]
    with tempfile.TemporaryDirectory(prefix="featureops-reproduce-") as scratch:
        target = out or Path(scratch) / f"{entry.version}.parquet"
        with plan_training_set(spine_input(entry, original), spec["features"],
                               timestamp_column=spec["timestamp"],
                               full_feature_names=spec["full_feature_names"],
                               exclusive=spec["exclusive"],
                               exclude_created_after=spec["exclude_created_after"],
                               labels=entry.labels, project=project,
                               warehouse=warehouse) as job:
            job.registry = None
            assert job.version_context is not None
            job.version_context = dataclasses.replace(
                job.version_context, exposure=entry.exposure, spine_source=entry.spine_source)
            job.to_parquet(target)
            rebuilt = job.version
        assert rebuilt is not None
        diff = diff_sides(Side(entry, original, entry.version),
                          Side(rebuilt, target, f"rebuilt {rebuilt.version}"), renderer)
    differs = [part for part, changed in (
        ("definitions", diff["components"]["definition"] or diff["components"]["contracts"]),
        ("spine", diff["components"]["spine"]),
        ("data", diff["components"]["content"])) if changed]
    return {"version": entry.version, "rebuilt_version": rebuilt.version,
            "identical": rebuilt.version == entry.version, "differs": differs,
            "file": str(out) if out else None, "diff": diff}
