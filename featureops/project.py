"""Where a dbt project and its artifacts are.

Every command that reads dbt artifacts takes ``--project-dir`` (default: ``DBT_PROJECT_DIR``
or the current directory) and ``--manifest`` (default: ``<target-path>/manifest.json``
under the project, with target-path from ``DBT_TARGET_PATH`` or dbt_project.yml), so
featureops runs on any dbt project, not only ours.
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

logger = logging.getLogger(__name__)


class ProjectConfigError(FeatureopsError):
    """dbt_project.yml is unreadable or malformed."""


@dataclass(frozen=True)
class Project:
    project_dir: Path
    manifest_path: Path

    @classmethod
    def locate(cls, project_dir: str | os.PathLike[str] | None = None,
               manifest: str | os.PathLike[str] | None = None) -> Project:
        root = Path(project_dir or os.environ.get("DBT_PROJECT_DIR") or ".").resolve()
        if manifest is not None:
            return cls(root, Path(manifest).resolve())
        config = _read_dbt_project(root)
        target = os.environ.get("DBT_TARGET_PATH") or config.get("target-path") or "target"
        return cls(root, (root / target / "manifest.json").resolve())

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
