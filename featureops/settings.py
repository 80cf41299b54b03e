"""Project settings of featureops: each capability reads its own block (online_store,
serving, sla, ...) from a ``featureops.yml`` beside dbt_project.yml (top-level key; it wins)
or from ``vars: featureops: <block>`` in dbt_project.yml, and validates it with a strict
pydantic model, so a typo is a one-line error naming the file, block and field."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from featureops.exceptions import FeatureopsError
from featureops.project import Project

CONFIG_FILE = "featureops.yml"

SettingsModel = TypeVar("SettingsModel", bound=BaseModel)


class SettingsError(FeatureopsError):
    """A featureops settings block is unreadable or invalid."""


def featureops_settings(project: Project, key: str,
                        error: type[FeatureopsError] = SettingsError
                        ) -> tuple[dict[str, Any], str]:
    """The raw ``key`` block and where it came from (for error messages)."""
    config_path = project.project_dir / CONFIG_FILE
    if config_path.is_file():
        try:
            data = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as problem:
            raise error(f"{config_path}: cannot read: {problem}") from None
        if not isinstance(data, dict):
            raise error(f"{config_path}: must be a mapping at the top level")
        if key in data:
            where = f"{config_path}: {key}"
            return _mapping(data[key], where, error), where
    block = project.var("featureops") or {}
    where = f"{project.project_dir / 'dbt_project.yml'}: vars.featureops.{key}"
    if not isinstance(block, dict):
        raise error(f"{where}: vars.featureops must be a mapping")
    return _mapping(block.get(key), where, error), where


def load_settings(project: Project, key: str, model: type[SettingsModel],
                  error: type[FeatureopsError] = SettingsError) -> SettingsModel:
    """The ``key`` block validated by ``model``; a one-line ``error`` when it is invalid."""
    raw, where = featureops_settings(project, key, error)
    try:
        return model.model_validate(raw)
    except ValidationError as problem:
        raise error(describe_config_error(problem, where)) from None


def describe_config_error(error: ValidationError, where: str) -> str:
    """One line naming the file, block and field of the first problem."""
    item = error.errors()[0]
    location = ".".join(str(part) for part in item["loc"])
    message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
    place = f"{where}.{location}" if location else where  # a check of the whole block
    return f"{place}: {message.removeprefix('Value error, ')}"


def _mapping(value: Any, where: str, error: type[FeatureopsError]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise error(f"{where}: must be a mapping, got {type(value).__name__}")
    return dict(value)
