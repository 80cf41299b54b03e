"""Where a dbt project and its artifacts are.

Every command that reads dbt artifacts takes ``--project-dir`` (default: ``DBT_PROJECT_DIR``
or the current directory) and ``--manifest`` (default: ``<target-path>/manifest.json``
under the project, with target-path from ``DBT_TARGET_PATH`` or dbt_project.yml), so
featureops runs on any dbt project, not only ours; ``--profiles-dir``, ``--profile`` and
``--target`` select the warehouse as they do for dbt (featureops.profiles).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from featureops.exceptions import FeatureopsError
from featureops.manifest import Manifest, load_manifest
from featureops.spec import IDENTIFIER_PATTERN

logger = logging.getLogger(__name__)


class ProjectConfigError(FeatureopsError):
    """dbt_project.yml is unreadable or malformed."""


@dataclass(frozen=True)
class Project:
    project_dir: Path
    manifest_path: Path
    #: dbt's --profiles-dir, --profile and --target (None: dbt's defaults; featureops.profiles).
    profiles_dir: Path | None = None
    profile: str | None = None
    target: str | None = None

    @classmethod
    def locate(cls, project_dir: str | os.PathLike[str] | None = None,
               manifest: str | os.PathLike[str] | None = None, *,
               profiles_dir: str | os.PathLike[str] | None = None,
               profile: str | None = None, target: str | None = None) -> Project:
        root = Path(project_dir or os.environ.get("DBT_PROJECT_DIR") or ".").resolve()
        selection = {"profiles_dir": Path(profiles_dir).resolve() if profiles_dir else None,
                     "profile": profile, "target": target}
        if manifest is not None:
            return cls(root, Path(manifest).resolve(), **selection)
        config = _read_dbt_project(root)
        target_path = os.environ.get("DBT_TARGET_PATH") or config.get("target-path") or "target"
        return cls(root, (root / target_path / "manifest.json").resolve(), **selection)

    @cached_property
    def manifest(self) -> Manifest:
        from featureops.package import version_mismatch

        manifest = load_manifest(self.manifest_path)
        mismatch = version_mismatch(manifest)
        if mismatch:
            logger.warning("%s", mismatch)
        return manifest

    @cached_property
    def dbt_config(self) -> dict[str, Any]:
        """The parsed dbt_project.yml (empty when the folder has none)."""
        return _read_dbt_project(self.project_dir)

    def var(self, name: str, default: Any = None) -> Any:
        """A project-level var from dbt_project.yml (unrendered)."""
        return (self.dbt_config.get("vars") or {}).get(name, default)


def project_name(root: Path) -> str:
    """The ``name`` in ``root``'s dbt_project.yml, checked to be an identifier (it is put
    into storage keys, so it must not smuggle separators or glob characters into them)."""
    path = root / "dbt_project.yml"
    name = _read_dbt_project(root).get("name")
    if not path.is_file():
        raise ProjectConfigError(f"{path}: not found (the project name comes from it)")
    if not isinstance(name, str) or not IDENTIFIER_PATTERN.fullmatch(name):
        raise ProjectConfigError(f"{path}: name: {name!r} is not a dbt project name "
                                 "(letters, digits and '_', not starting with a digit)")
    return name


def _read_dbt_project(root: Path) -> dict[str, Any]:
    path = root / "dbt_project.yml"
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ProjectConfigError(f"{path}: cannot read dbt_project.yml: {detail}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProjectConfigError(f"{path}: dbt_project.yml must be a mapping at the top level")
    return data
