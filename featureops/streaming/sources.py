"""Stream sources: a dbt source table whose rows also arrive as events on a log.

The declaration sits on the source table it mirrors (``_<source>__sources.yml``), so dbt
parses it into the manifest and the events' contract is the table's own columns::

    tables:
      - name: transactions
        config:
          meta:
            featureops:
              stream:
                name: payments_transactions     # what views' `streaming.source` names
                subject: payments.transactions  # NATS subject / Redis stream key
                event_id: transaction_id        # unique per event: exactly-once key
                event_time: event_at            # the time windows are computed on
                entities: [user_id, merchant_id]
        columns:
          - name: transaction_id
            data_type: bigint
          ...

Producers publish one JSON object per event with the source's column names. Every column
must declare its ``data_type``: it is what an event is validated against
(featureops.streaming.events), and nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from featureops.catalog import describe_validation_error, featureops_meta
from featureops.exceptions import FeatureopsError
from featureops.manifest import Manifest, Source
from featureops.spec import Identifier

#: NATS subject tokens and Redis key characters both accept this (no wildcards, spaces).
SUBJECT_PATTERN = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
STREAM_KEY = "stream"


class StreamSourceError(FeatureopsError):
    """A stream source declaration is invalid or unknown (message names the YAML file)."""


def _check_subject(value: str) -> str:
    if not SUBJECT_PATTERN.fullmatch(value) or len(value) > 200:
        raise ValueError(f"'{value}' is not a subject: dot-separated tokens of letters, "
                         "digits, _ and - (no wildcards), at most 200 characters")
    return value


Subject = Annotated[str, AfterValidator(_check_subject)]


class StreamSpec(BaseModel):
    """``meta.featureops.stream`` of a dbt source table."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: Identifier = Field(description="The stream source's name (views' streaming.source).")
    subject: Subject = Field(description="Where producers publish: NATS subject, Redis key.")
    event_id: Identifier = Field(description="Column unique per event (exactly-once key).")
    event_time: Identifier = Field(description="Column holding the event's time (UTC).")
    entities: list[Identifier] = Field(default_factory=list,
                                       description="Entity key columns events must carry.")


@dataclass(frozen=True)
class StreamSource:
    """A declared stream source, checked against its dbt source table."""

    name: str
    subject: str
    event_id: str
    event_time: str
    entities: tuple[str, ...]
    table: Source           # the dbt source table whose columns are the events' contract

    @property
    def where(self) -> str:
        """The YAML file and table, for messages."""
        return f"{self.table.original_file_path}: source '{self.table.source_name}." \
               f"{self.table.name}'"

    @property
    def required(self) -> tuple[str, ...]:
        """Columns no event may lack: its id, time and entity keys."""
        return tuple(dict.fromkeys((self.event_id, self.event_time, *self.entities)))


def stream_sources(manifest: Manifest) -> dict[str, StreamSource]:
    """Every declared stream source of the manifest, by name."""
    found: dict[str, StreamSource] = {}
    subjects: dict[str, str] = {}
    for table in manifest.sources.values():
        block = featureops_meta(table.meta)
        if not isinstance(block, Mapping) or STREAM_KEY not in block:
            continue
        source = _parse(table, block[STREAM_KEY])
        clash = found.get(source.name)
        if clash is None and source.subject in subjects:
            clash = found[subjects[source.subject]]
        if clash is not None:
            raise StreamSourceError(f"{source.where}: stream source '{source.name}' (subject "
                                    f"'{source.subject}') clashes with {clash.where}: names "
                                    "and subjects must be unique")
        found[source.name] = source
        subjects[source.subject] = source.name
    return found


def stream_source(manifest: Manifest, name: str) -> StreamSource:
    """The stream source ``name``, or an error listing the declared ones."""
    sources = stream_sources(manifest)
    if name not in sources:
        known = ", ".join(sorted(sources)) or "none (meta.featureops.stream on a dbt source)"
        raise StreamSourceError(f"{manifest.path}: no stream source '{name}' (declared: "
                                f"{known})")
    return sources[name]


def _parse(table: Source, raw: Any) -> StreamSource:
    where = f"{table.original_file_path}: source '{table.source_name}.{table.name}'"
    try:
        spec = StreamSpec.model_validate(raw)
    except ValidationError as error:
        field, message = describe_validation_error(error)[0]
        field = field.replace("meta.featureops", f"meta.featureops.{STREAM_KEY}", 1)
        raise StreamSourceError(f"{where}: {field}: {message}") from None
    roles = [("event_id", spec.event_id), ("event_time", spec.event_time),
             *((f"entities.{i}", name) for i, name in enumerate(spec.entities))]
    for role, column in roles:
        if column not in table.columns:
            raise StreamSourceError(f"{where}: meta.featureops.{STREAM_KEY}.{role}: '{column}' "
                                    "is not a documented column of the source table")
    untyped = [name for name, column in table.columns.items() if not column.data_type]
    if untyped:
        raise StreamSourceError(f"{where}: column(s) {', '.join(untyped)} declare no "
                                "data_type: a stream source's events are validated against "
                                "its columns' types")
    return StreamSource(name=spec.name, subject=spec.subject, event_id=spec.event_id,
                        event_time=spec.event_time, entities=tuple(spec.entities), table=table)
