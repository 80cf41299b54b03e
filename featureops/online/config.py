"""Where the online store is configured, and how a store is opened.

The project chooses its store in ``dbt_project.yml``::

    vars:
      featureops:
        online_store:
          type: redis            # sqlite (default) | redis | package.module.NameOnlineStore
          key_prefix: fraud_prod # default: featureops:<dbt project name>

or in a ``featureops.yml`` beside it (top-level ``online_store:``; it wins over the vars).
``FEATUREOPS_ONLINE_STORE`` overrides the type (handy to point the same project at Redis).
Connection settings (Redis URL, password, TLS) come only from environment variables, never
from committed files: a ``url`` or ``password`` key in the config is an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from featureops.exceptions import FeatureopsError
from featureops.online.base import OnlineStore
from featureops.online.registry import config_class, store_class
from featureops.project import Project
from featureops.settings import CONFIG_FILE, describe_config_error, featureops_settings

__all__ = ["CONFIG_FILE", "OnlineConfigError", "StoreConfigBase", "describe_config_error",
           "featureops_settings", "load_store_config", "open_online_store",
           "parse_store_config"]
DEFAULT_STORE = "sqlite"
STORE_ENV = "FEATUREOPS_ONLINE_STORE"
#: Keys that would put connection secrets into committed files.
_FORBIDDEN_KEYS = {"url", "password", "host", "port", "username", "ssl", "tls", "db"}


class OnlineConfigError(FeatureopsError):
    """The online_store or serving block of the project config is invalid."""


class StoreConfigBase(BaseModel):
    """Fields every store config shares; subclasses narrow ``type`` to a Literal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    embedding_dtype: str = "float32"


def parse_store_config(raw: dict[str, Any], where: str = "online_store") -> Any:
    """Validate a raw online_store block into its store's pydantic config."""
    raw = dict(raw)
    configured = raw.get("type") or DEFAULT_STORE
    override = os.environ.get(STORE_ENV)
    if override and override != configured:
        # the file's settings belong to another store: keep only the shared ones
        raw = {key: raw[key] for key in StoreConfigBase.model_fields if key in raw}
    raw["type"] = override or configured
    secret_keys = sorted(_FORBIDDEN_KEYS & set(raw))
    if secret_keys:
        raise OnlineConfigError(
            f"{where}.{secret_keys[0]}: connection settings are never read from committed "
            "files; set FEATUREOPS_REDIS_URL (and FEATUREOPS_REDIS_PASSWORD, "
            "FEATUREOPS_REDIS_TLS=1) in the environment instead"
        )
    config_cls = config_class(raw["type"])
    try:
        return config_cls.model_validate(raw)
    except ValidationError as error:
        raise OnlineConfigError(describe_config_error(error, where)) from None


def load_store_config(project: Project) -> Any:
    raw, where = featureops_settings(project, "online_store", OnlineConfigError)
    return parse_store_config(raw, where)


def open_online_store(project: Project, config: Any = None) -> OnlineStore:
    """Open the project's configured online store (or the one ``config`` describes)."""
    config = config if config is not None else load_store_config(project)
    store = store_class(config.type)(config, Path(project.project_dir))
    return store
