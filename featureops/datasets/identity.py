"""A training set's version: what identifies it, how it is stored in the Parquet file
(key-value metadata ``featureops.dataset_version``), and how the version id is derived.

The version id hashes the content hash, the spine hash, the definition hash and the
contract version of every view: the same rows from the same definitions are the same
version wherever and whenever they were written. When, by whom, the dbt invocation and
the file's path are provenance, recorded beside it but outside the id.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from featureops.datasets.definitions import canonical_json, sha256_of
from featureops.datasets.errors import DatasetError

METADATA_KEY = "featureops.dataset_version"
FORMAT = 1
PREFIX = "ds-"
#: Hex digits of the id after the prefix (64 bits: collisions need billions of versions).
ID_LENGTH = 16


@dataclass
class DatasetVersion:
    """Everything recorded about one version of a training set."""

    version: str
    content_hash: str
    spine_hash: str
    definition_hash: str
    contracts: dict[str, int | None]
    rows: int
    columns: list[dict[str, str]]
    spine_columns: list[str]
    key_columns: list[str]
    labels: list[str]
    #: feature column -> ``view:column``
    features: dict[str, str]
    definition: dict[str, Any]
    #: view -> its normalized compiled SQL (featureops.datasets.definitions)
    sql: dict[str, str]
    exposure: str | None
    spine_source: dict[str, Any]
    dbt: dict[str, Any]
    project: str
    written_at: str
    written_by: str
    featureops_version: str
    format: int = FORMAT
    files: list[str] = field(default_factory=list)
    pins: list[dict[str, Any]] = field(default_factory=list)

    def to_metadata(self) -> dict[str, str]:
        data = asdict(self)
        data.pop("files")
        data.pop("pins")
        return {METADATA_KEY: json.dumps(data, sort_keys=False, ensure_ascii=False)}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> DatasetVersion:
        if not isinstance(data, dict):
            raise DatasetError(f"{where}: not a JSON object")
        if isinstance(data.get("format"), int) and data["format"] > FORMAT:
            raise DatasetError(f"{where}: format {data['format']} is newer than this "
                               f"featureops reads ({FORMAT}); upgrade featureops")
        try:
            return cls(**data)
        except TypeError as error:
            raise DatasetError(f"{where}: not a dataset version record ({error})") from None


def definition_hash(definition: dict[str, Any]) -> str:
    return sha256_of(canonical_json(definition))


def version_id(content_hash: str, spine_hash: str, definition_hash_: str,
               contracts: dict[str, int | None]) -> str:
    identity = canonical_json({"content": content_hash, "spine": spine_hash,
                               "definition": definition_hash_, "contracts": contracts})
    return PREFIX + sha256_of(identity).removeprefix("sha256:")[:ID_LENGTH]


def read_file_version(path: str | Path) -> DatasetVersion:
    """The version recorded in a training-set file; a one-line error naming the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException) as error:
        raise DatasetError(f"{path}: not a Parquet file ({error})") from None
    raw = metadata.get(METADATA_KEY.encode())
    if raw is None:
        raise DatasetError(f"{path}: no {METADATA_KEY} in its Parquet metadata (not written "
                           "by `featureops training-set`, or by a version before dataset "
                           "versions)")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{path}: {METADATA_KEY} is not JSON ({error})") from None
    return DatasetVersion.from_dict(data, f"{path}: {METADATA_KEY}")
