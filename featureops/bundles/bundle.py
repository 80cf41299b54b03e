"""A model bundle on disk: ``bundle.json`` (the ordered features with their view, type and
definition hash, the dataset version, the fitted preprocessing) and
``vocabularies.parquet`` (feature, index, value), never pickle.

A bundle is built for an ml exposure from a dataset version: its features are the
exposure's, in the exposure's order, found among the version's columns; each carries the
hash of its view's definition as the version recorded it (compiled SQL, entities,
timestamp, created timestamp, ttl), which a server can compare with the live one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from featureops.bundles.errors import BundleError
from featureops.datasets.definitions import canonical_json, sha256_of
from featureops.files import write_text_atomic

FORMAT = 1
BUNDLE_FILE = "bundle.json"
VOCABULARY_FILE = "vocabularies.parquet"
#: The parts of a view's recorded definition a bundle's features depend on.
VIEW_DEFINITION_KEYS = ("sql_hash", "entities", "timestamp", "created_timestamp", "ttl")


@dataclass(frozen=True)
class BundleFeature:
    column: str
    reference: str
    view: str
    type: str
    definition_hash: str


@dataclass
class Bundle:
    id: str
    exposure: str
    dataset_version: str
    features: list[BundleFeature]
    preprocessing: dict[str, dict[str, Any]]
    created_at: str
    format: int = FORMAT


def view_definition_hash(view: dict[str, Any]) -> str:
    return sha256_of(canonical_json({key: view.get(key) for key in VIEW_DEFINITION_KEYS}))


def bundle_id(features: list[BundleFeature], dataset_version: str,
              preprocessing: dict[str, dict[str, Any]]) -> str:
    content = canonical_json({"features": [asdict(f) for f in features],
                              "dataset": dataset_version, "preprocessing": preprocessing})
    return "bd-" + sha256_of(content).removeprefix("sha256:")[:16]


def write_bundle(bundle: Bundle, out: Path) -> Path:
    """``out/bundle.json`` and ``out/vocabularies.parquet``, each written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from featureops.files import replacing

    out.mkdir(parents=True, exist_ok=True)
    rows = {"feature": [], "index": [], "value": []}
    preprocessing = {}
    for column, params in bundle.preprocessing.items():
        vocabulary = params.get("vocabulary")
        preprocessing[column] = {k: v for k, v in params.items() if k != "vocabulary"}
        if vocabulary is not None:
            preprocessing[column]["vocabulary_size"] = len(vocabulary)
            for index, value in enumerate(vocabulary):
                rows["feature"].append(column)
                rows["index"].append(index)
                rows["value"].append(value)
    data = {"format": bundle.format, "bundle": bundle.id, "exposure": bundle.exposure,
            "dataset_version": bundle.dataset_version, "created_at": bundle.created_at,
            "features": [asdict(f) for f in bundle.features], "preprocessing": preprocessing}
    with replacing(out / VOCABULARY_FILE) as partial:
        pq.write_table(pa.table({"feature": pa.array(rows["feature"], pa.string()),
                                 "index": pa.array(rows["index"], pa.int32()),
                                 "value": pa.array(rows["value"], pa.string())}), partial)
    write_text_atomic(out / BUNDLE_FILE, json.dumps(data, indent=2) + "\n")
    return out


def read_bundle(directory: str | Path) -> Bundle:
    """A bundle folder written by :func:`write_bundle`; a one-line error otherwise."""
    import pyarrow.parquet as pq

    directory = Path(directory)
    path = directory / BUNDLE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        vocabularies = pq.read_table(directory / VOCABULARY_FILE).to_pylist()
    except (OSError, ValueError) as error:
        raise BundleError(f"{directory}: not a featureops bundle ({error})") from None
    try:
        if data["format"] != FORMAT:
            raise BundleError(f"{path}: bundle format {data['format']} is not {FORMAT}")
        features = [BundleFeature(**f) for f in data["features"]]
        preprocessing = data["preprocessing"]
        for column, params in preprocessing.items():
            if "vocabulary_size" in params:
                values = sorted((r["index"], r["value"]) for r in vocabularies
                                if r["feature"] == column)
                params["vocabulary"] = [value for _, value in values]
                if len(values) != params.pop("vocabulary_size"):
                    raise BundleError(f"{directory / VOCABULARY_FILE}: the vocabulary of "
                                      f"'{column}' does not have the size bundle.json says")
                params["_index"] = {v: i for i, v in enumerate(params["vocabulary"])}
        bundle = Bundle(data["bundle"], data["exposure"], data["dataset_version"], features,
                        preprocessing, data["created_at"])
    except (KeyError, TypeError) as error:
        raise BundleError(f"{path}: malformed bundle ({type(error).__name__}: {error})"
                          ) from None
    plain = {c: {k: v for k, v in p.items() if k != "_index"} for c, p in preprocessing.items()}
    if bundle_id(features, bundle.dataset_version, plain) != bundle.id:
        raise BundleError(f"{path}: its content does not give bundle id {bundle.id}; the "
                          "bundle was edited (build it again with `featureops bundle`)")
    return bundle
