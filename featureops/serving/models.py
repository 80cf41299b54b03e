"""Request and response bodies of the feature server: they make its OpenAPI schema (the
responses are written directly, these models document them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

KeyValue = StrictInt | StrictStr | StrictFloat
StrictDatetime = Annotated[datetime, Strict()]  # a string, as the schema says: no epoch numbers


class FeaturesRequest(BaseModel):
    """``features`` or ``exposure`` (alias ``feature_service``), and the entities."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    features: list[StrictStr] | None = Field(
        default=None, min_length=1, examples=[["feat_user__profile:card_tier"]],
        description="'view:feature' or whole 'view' references.")
    exposure: StrictStr | None = Field(default=None, description="An ml exposure name.")
    feature_service: StrictStr | None = Field(default=None,
                                              description="Feast's name for exposure.")
    # key values are checked against the key columns' types by the lookup (clear messages)
    entities: dict[StrictStr, list[Any]] = Field(
        examples=[{"user_id": [1, 2]}], description="Entity key columns, one value per entity.")
    full_feature_names: StrictBool = Field(default=True, description="Accepted for Feast clients; "
                                     "names are always 'view:feature'.")
    as_of: StrictDatetime | None = Field(
        default=None, description="Evaluate ttl and freshness as of this time instead of "
        "now (RFC 3339; no time zone means UTC).")
    bundle: StrictStr | None = Field(
        default=None, max_length=100, examples=["bd-3f2a9c0e51d4b7a8"],
        description="A model bundle id (featureops bundle), instead of features or "
        "exposure: the bundle's features in its order; 404 for an unknown bundle, 409 "
        "(naming the features) when their definitions changed since it was built.")
    preprocess: StrictBool = Field(default=False, description="With bundle: apply the "
                                   "bundle's preprocessing to the values.")

    @property
    def service_name(self) -> str | None:
        return self.exposure or self.feature_service


class SimilarRequest(BaseModel):
    """A query vector (or an entity whose embedding is the query), k, and filters."""

    model_config = ConfigDict(extra="forbid")

    view: StrictStr
    feature: StrictStr | None = Field(default=None, description="Embedding feature; optional "
                                      "when the view has one.")
    vector: list[StrictFloat | StrictInt] | None = None
    entity: dict[StrictStr, KeyValue] | None = None
    k: StrictInt = 10
    filter: dict[StrictStr, Any] | None = Field(
        default=None, description="Equality filters on the view's scalar features.")


class FeatureColumn(BaseModel):
    values: list[Any]
    statuses: list[str] = Field(description="present, not_found, outside_ttl or stale; "
                                "present for entity key columns")
    event_timestamps: list[datetime | None]


class FeaturesMetadata(BaseModel):
    feature_names: list[str] = Field(description="Entity keys, then 'view:feature'.")
    service: str | None = None
    offline_views: list[str] | None = Field(default=None, description="Views of the service "
                                            "that are not online (skipped).")


class FeaturesResponse(BaseModel):
    """Feast's column-oriented answer: entity key columns, then one column per feature."""

    request_id: str
    metadata: FeaturesMetadata
    results: list[FeatureColumn]


class SimilarEntityModel(BaseModel):
    entity: dict[str, int | str]
    distance: float = Field(description="Cosine distance, nearest first.")


class SimilarResponse(BaseModel):
    view: str
    results: list[SimilarEntityModel]


class HealthResponse(BaseModel):
    status: str = Field(examples=["ok"])
    store: str | None = Field(default=None, description="Where the store is; only for "
                              "authorized requests.")


class ErrorResponse(BaseModel):
    detail: str = Field(description="What was wrong, in one line.")
