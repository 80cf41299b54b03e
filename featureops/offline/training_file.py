"""The featureops metadata of a training-set Parquet file, written and read back.

`featureops training-set` (:meth:`TrainingSetJob.to_parquet`) stores, in the file's
key-value metadata under ``featureops.training_set``, what the file was built from: the
spec of the point-in-time join (feature references, prediction-time column, options), the
spine and label columns, the view and column behind each feature column, and the project.
`featureops leakage --training-set FILE` reads it back and checks the file's values against
the warehouse (featureops.offline.leakage). A file without it is not a featureops training
set: that, like every other problem here, is a one-line error naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, ValidationError

from featureops.offline.errors import TrainingSetError
from featureops.settings import describe_config_error

METADATA_KEY = "featureops.training_set"
FORMAT = 1


class TrainingFileError(TrainingSetError):
    """A file is not a featureops training set, or its metadata does not fit its columns."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["training_set"]
    timestamp: str
    features: list[str]
    full_feature_names: bool
    exclusive: bool
    exclude_created_after: bool


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal[1]
    featureops_version: str
    project: str
    spec: _Spec
    spine_columns: list[str]
    labels: list[str]
    #: feature column -> ``view:column`` it was read from
    features: dict[str, str]


def file_metadata(spec: Mapping[str, Any], spine_columns: Sequence[str],
                  labels: Sequence[str], views: Sequence[Mapping[str, Any]],
                  project: str) -> dict[str, str]:
    """The key-value metadata of a training-set file (``views``: resolve_feature_views)."""
    from featureops.package import cli_version

    record = _Record(
        format=FORMAT, featureops_version=cli_version(), project=project,
        spec=_Spec.model_validate(dict(spec)), spine_columns=list(spine_columns),
        labels=list(labels),
        features={feature["alias"]: f"{view['name']}:{feature['column']}"
                  for view in views for feature in view["features"]})
    return {METADATA_KEY: record.model_dump_json()}


@dataclass(frozen=True)
class TrainingFile:
    """A training-set file and what its metadata says it holds."""

    path: Path
    table: pa.Table
    project: str
    spec: dict[str, Any]
    spine_columns: list[str]
    labels: list[str]
    features: dict[str, str]

    @property
    def name(self) -> str:
        """How findings name the file."""
        return str(self.path)


def read_training_file(path: str | Path) -> TrainingFile:
    """The file, its rows and its featureops metadata; TrainingFileError otherwise."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise TrainingFileError(f"{path}: no such file")
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        raise TrainingFileError(f"{path}: not a Parquet file ({error})") from None
    raw = (parquet.schema_arrow.metadata or {}).get(METADATA_KEY.encode())
    if raw is None:
        raise TrainingFileError(
            f"{path}: not a featureops training set (its Parquet metadata has no "
            f"{METADATA_KEY}; write one with `featureops training-set`)")
    record = _parse(path, raw)
    table = parquet.read()
    named = [*record.spine_columns, *record.features]
    missing = [column for column in named if column not in table.column_names]
    if missing:
        raise TrainingFileError(f"{path}: column '{missing[0]}' named by its {METADATA_KEY} "
                                "metadata is not in the file")
    return TrainingFile(path, table, record.project, record.spec.model_dump(),
                        record.spine_columns, record.labels, record.features)


def _parse(path: Path, raw: bytes) -> _Record:
    where = f"{path}: {METADATA_KEY}"
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TrainingFileError(f"{where}: not JSON ({error})") from None
    if not isinstance(data, dict):
        raise TrainingFileError(f"{where}: not a JSON object")
    if isinstance(data.get("format"), int) and data["format"] > FORMAT:
        raise TrainingFileError(f"{where}: format {data['format']} is newer than this "
                                f"featureops reads ({FORMAT}); upgrade featureops")
    try:
        return _Record.model_validate(data)
    except ValidationError as error:
        raise TrainingFileError(describe_config_error(error, where)) from None
