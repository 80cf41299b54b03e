"""Online store types: short names to dotted paths, and any dotted path ending in
``OnlineStore`` for stores that live outside featureops (STYLE.md convention 19)."""

from __future__ import annotations

import importlib
from typing import Any

from featureops.exceptions import FeatureopsError

STORE_TYPES = {
    "sqlite": "featureops.online.sqlite.SqliteOnlineStore",
    "redis": "featureops.online.redis.RedisOnlineStore",
}


class UnknownStoreTypeError(FeatureopsError):
    """``online_store.type`` names no known store."""


def store_class(store_type: str) -> type[Any]:
    """The store class for a short name or a dotted path ``package.module.NameOnlineStore``."""
    dotted = STORE_TYPES.get(store_type, store_type)
    module_name, _, class_name = dotted.rpartition(".")
    if not module_name or not class_name.endswith("OnlineStore"):
        raise UnknownStoreTypeError(
            f"online_store.type '{store_type}' is not one of {', '.join(STORE_TYPES)} nor a "
            "dotted path to a class whose name ends in OnlineStore"
        )
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except ImportError as error:
        raise UnknownStoreTypeError(
            f"online_store.type '{store_type}': cannot import {module_name} ({error})"
        ) from None
    except AttributeError:
        raise UnknownStoreTypeError(
            f"online_store.type '{store_type}': {module_name} has no class {class_name}"
        ) from None


def config_class(store_type: str) -> type[Any]:
    """The pydantic config class that sits beside a store class (``<Name>OnlineStoreConfig``)."""
    cls = store_class(store_type)
    module = importlib.import_module(cls.__module__)
    try:
        return getattr(module, f"{cls.__name__}Config")
    except AttributeError:
        raise UnknownStoreTypeError(
            f"online_store.type '{store_type}': {cls.__module__} has no {cls.__name__}Config"
        ) from None
