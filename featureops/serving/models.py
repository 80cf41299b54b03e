"""Request bodies of the feature server (they also make its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

KeyValue = StrictInt | StrictStr | StrictFloat


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
    full_feature_names: bool = Field(default=True, description="Accepted for Feast clients; "
                                     "names are always 'view:feature'.")
    as_of: datetime | None = Field(default=None, description="Evaluate ttl and freshness as "
                                   "of this time instead of now.")

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
