"""The schema of the ``meta.featureops`` blocks that make a dbt model a feature view
and an ``ml`` exposure a feature service.

These are user-written configuration, so they are strict pydantic models
(``extra="forbid"``): a typo such as ``tll: 7d`` is an error, not a silent default.
Identifiers that later reach SQL or Redis keys are checked against a safe pattern here.
See docs/decisions/0003-featureops-meta-schema.md.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from featureops.durations import parse_duration

IDENTIFIER_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

STATUSES = ("active", "experimental", "deprecated")
COMPATIBILITY_MODES = (
    "backward",
    "backward_transitive",
    "forward",
    "forward_transitive",
    "full",
    "full_transitive",
    "none",
)
STAGES = ("production", "staging", "development")


def _check_identifier(value: str) -> str:
    if not IDENTIFIER_PATTERN.fullmatch(value):
        raise ValueError(
            f"'{value}' is not a plain column name (letters, digits and _, not starting "
            "with a digit)"
        )
    return value


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


Identifier = Annotated[str, AfterValidator(_check_identifier)]
Duration = Annotated[str, AfterValidator(_check_duration)]


class _StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SlaSpec(_StrictModel):
    """Service levels of a feature view."""

    freshness: Duration | None = Field(
        default=None, description="Maximum age of the newest feature timestamp."
    )

    @property
    def freshness_delta(self) -> timedelta | None:
        return parse_duration(self.freshness) if self.freshness else None


class MonitoringSpec(_StrictModel):
    """``monitoring`` of a feature view: how the featureops package's quality monitors
    measure it, when vars.featureops.monitoring.monitored lists it (an entry there with
    the same options wins). Its timestamp and SLA are the view's own."""

    bucket: Literal["day", "hour"] | None = Field(
        default=None, description="Bucket of the volume and column metrics (default day).")
    buckets: int | None = Field(
        default=None, ge=2, description="Complete buckets measured per build (default 28).")
    columns: list[Identifier] | None = Field(
        default=None, description="Only these columns (default: every column).")
    exclude_columns: list[Identifier] | None = Field(
        default=None, description="Columns left out of the column metrics.")


#: Types a request field may declare (DuckDB/dbt spellings; docs/request-time.md).
REQUEST_FIELD_TYPES = ("bigint", "integer", "double", "text", "boolean", "timestamp")


class RequestTimeSpec(_StrictModel):
    """``request_time`` of a feature view: computed per request from the fields the caller
    sends, by running the view's own compiled SQL over them (featureops.request_time)."""

    input: Identifier = Field(
        description="The ref'd model whose relation the request rows stand for in the SQL.")
    fields: dict[Identifier, Literal["bigint", "integer", "double", "text", "boolean",
                                     "timestamp"]] = Field(
        min_length=1, description="Request fields (column name: type) the caller sends.")
    features: list[str] = Field(
        default_factory=list,
        description="Stored features ('view:feature') of the request's entities, added to "
                    "the request rows under their feature names (chained features).")

    @model_validator(mode="after")
    def _chained_refs(self) -> RequestTimeSpec:
        for ref in self.features:
            view, _, feature = ref.partition(":")
            if not (IDENTIFIER_PATTERN.fullmatch(view) and IDENTIFIER_PATTERN.fullmatch(feature)):
                raise ValueError(f"features: '{ref}' is not a 'view:feature' reference")
            if feature in self.fields:
                raise ValueError(f"features: '{ref}' has the name of request field '{feature}'")
        return self

    @property
    def chained(self) -> tuple[tuple[str, str], ...]:
        """(view, feature) of each chained feature."""
        return tuple(tuple(ref.split(":", 1)) for ref in self.features)  # type: ignore[misc]


class StreamingSpec(_StrictModel):
    """``streaming`` of a feature view: its windowed_aggregate columns are also kept up to
    date from a stream source's events (featureops.streaming; docs/streaming.md)."""

    source: Identifier = Field(description="The stream source whose events feed the view.")
    allowed_lateness: Duration | None = Field(
        default=None, description="How far behind the newest event time an event may arrive "
                                  "and still be counted (default: not at all).")

    @property
    def allowed_lateness_delta(self) -> timedelta:
        return parse_duration(self.allowed_lateness) if self.allowed_lateness else timedelta(0)


class FeatureViewSpec(_StrictModel):
    """``config.meta.featureops`` of a feature view model."""

    kind: Literal["feature_view"]
    entities: list[Identifier] = Field(min_length=1, description="Entity key columns.")
    timestamp: Identifier = Field(description="Event-time column the features are as of.")
    created_timestamp: Identifier | None = Field(
        default=None, description="Load-time column that breaks ties on the timestamp."
    )
    ttl: Duration | None = Field(
        default=None, description="How long a feature row stays valid after its timestamp."
    )
    online: bool = Field(default=False, description="Materialize to the online store.")
    owner: str | None = None
    status: Literal["active", "experimental", "deprecated"] | None = None
    last_reviewed: date | None = None
    deprecation_date: date | None = None
    deprecation_guide: str | None = None
    compatibility: Literal[
        "backward",
        "backward_transitive",
        "forward",
        "forward_transitive",
        "full",
        "full_transitive",
        "none",
    ] = "backward"
    sla: SlaSpec | None = None
    producer: str | None = Field(
        default=None, description="Who may push records to this view (write-time contracts)."
    )
    monitoring: MonitoringSpec | None = None
    request_time: RequestTimeSpec | None = Field(
        default=None, description="Computed at request time from caller-sent fields.")
    streaming: StreamingSpec | None = Field(
        default=None, description="Windows also maintained from a stream source's events.")

    @model_validator(mode="after")
    def _request_time_keys(self) -> FeatureViewSpec:
        if self.request_time is None:
            return self
        if self.online:
            raise ValueError("a request_time view is computed per request, never "
                             "materialized: remove online: true")
        fields = self.request_time.fields
        for key in (*self.entities, self.timestamp):
            if key not in fields:
                raise ValueError(f"request_time.fields must include '{key}' (an entity or the "
                                 "timestamp: answers are matched to requests by it)")
        return self

    @model_validator(mode="after")
    def _streaming_is_online(self) -> FeatureViewSpec:
        if self.streaming is not None and not self.online:
            raise ValueError("streaming: the served value is the online batch version plus "
                             "the stream's part: set online: true")
        return self

    @property
    def ttl_delta(self) -> timedelta | None:
        return parse_duration(self.ttl) if self.ttl else None

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Columns that are not features: entity keys and timestamps."""
        keys = [*self.entities, self.timestamp]
        if self.created_timestamp:
            keys.append(self.created_timestamp)
        return tuple(keys)


class FeatureServiceSpec(_StrictModel):
    """``config.meta.featureops`` of an ``ml`` exposure: the features the model reads."""

    features: list[str] = Field(default_factory=list)
    stage: Literal["production", "staging", "development"] | None = None


class FeatureWindowSpec(_StrictModel):
    """``meta.featureops`` of a feature column that aggregates a trailing window: what
    `featureops leakage` (and the windows_exclude_event test) recomputes it from.

    The value at feature timestamp t must equal ``aggregate(source_column)`` over the rows of
    ``source`` with the same entity keys and ``t - window <= source_timestamp < t`` (and,
    when declared, ``available_at < t``): the window ends before the prediction time and
    leaves the event itself out.
    """

    window: Duration = Field(description="Window length, e.g. 1h, 30d.")
    aggregate: Literal["count", "sum", "avg", "min", "max"]
    source: Identifier = Field(description="Model the window aggregates (its name).")
    source_column: Identifier | None = Field(
        default=None, description="Column aggregated (count without it counts rows)."
    )
    source_timestamp: Identifier | None = Field(
        default=None, description="Event time of the source rows (default: the view's).")
    available_at: Identifier | None = Field(
        default=None,
        description="When a source row became known (labels): it counts only from then.",
    )

    @model_validator(mode="after")
    def _needs_a_column(self) -> FeatureWindowSpec:
        if self.aggregate != "count" and self.source_column is None:
            raise ValueError(f"aggregate '{self.aggregate}' needs source_column")
        return self


class TrainingSetSpec(_StrictModel):
    """``config.meta.featureops`` of a training-set model (models/training/): the spine's
    prediction-time and label columns, the ml exposure it trains, and the join options.
    Monitoring finds "the training set of an exposure" through ``exposure``."""

    kind: Literal["training_set"]
    exposure: Identifier = Field(description="The ml exposure trained on this set.")
    timestamp: Identifier = Field(description="Spine column holding the prediction time.")
    labels: list[Identifier] = Field(default_factory=list, description="Label columns.")
    label_sources: list[Identifier] = Field(
        default_factory=list,
        description="Models the labels come from; features must not read them early.",
    )
    features: list[str] | None = Field(
        default=None, description="Feature references; default: the exposure's features.")
    full_feature_names: bool = Field(
        default=False, description="Name feature columns <view>__<feature>.")
    exclusive: bool = Field(
        default=False, description="Only feature rows strictly before the prediction time.")
    exclude_created_after: bool = Field(
        default=False,
        description="Skip feature rows created (created_timestamp) after the prediction time.",
    )
    owner: str | None = None
