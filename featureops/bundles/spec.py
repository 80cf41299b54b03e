"""The preprocessing spec of a bundle: per feature column, an optional null fill and an
optional transform. A YAML or JSON file:

```yaml
features:
  feat_user__spend_windows__amount_usd_sum_24h: {fill: median, transform: standardize}
  feat_user__profile__credit_limit_usd: {fill: 0, transform: minmax}
  feat_merchant__risk_windows__chargeback_rate_30d: {transform: bucketize, buckets: 5}
  feat_user__profile__card_tier: {fill: mode, transform: vocabulary}
```

``fill``: mean, median, mode or a literal value; ``transform``: standardize, minmax,
bucketize (``buckets``, default 10) or vocabulary (``max_size``: keep the most frequent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from featureops.bundles.errors import BundleError
from featureops.settings import describe_config_error

FILL_STATISTICS = ("mean", "median", "mode")


class FeatureStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fill: float | int | bool | str | None = None
    transform: Literal["standardize", "minmax", "bucketize", "vocabulary"] | None = None
    buckets: int = Field(default=10, ge=2, le=1000)
    max_size: int | None = Field(default=None, ge=1)


class PreprocessingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: dict[str, FeatureStep]


def read_spec(path: str | Path) -> PreprocessingSpec:
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BundleError(f"{path}: cannot read the preprocessing spec ({error.strerror})"
                          ) from None
    except yaml.YAMLError as error:
        raise BundleError(f"{path}: not YAML or JSON ({error})") from None
    try:
        return PreprocessingSpec.model_validate(data)
    except ValidationError as error:
        raise BundleError(describe_config_error(error, str(path))) from None
