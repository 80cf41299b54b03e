"""The dbt profile target a project builds with, found the way dbt finds it, so featureops
reads the warehouse dbt wrote with the same credentials (docs/decisions/0005).

* profiles.yml: ``--profiles-dir``, else ``DBT_PROFILES_DIR``, else the project folder
  when it has one, else ``~/.dbt/``;
* the profile: ``--profile``, else ``DBT_PROFILE``, else ``profile:`` in dbt_project.yml;
* the target: ``--target``, else ``DBT_TARGET``, else the profile's ``target:``, else
  ``default`` (dbt's fallback);
* values rendered one by one as dbt renders them (``env_var()``, ``as_number``...); only
  the selected target is rendered, so variables of other targets need not be set;
* relative DuckDB paths (``path``, ``external_root``, extension files) are resolved against
  the project folder, not the current directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from featureops.dbt_rendering import RenderError, ValueRenderer
from featureops.exceptions import FeatureopsError
from featureops.project import Project

PROFILES_FILE = "profiles.yml"
PROFILES_DIR_ENV = "DBT_PROFILES_DIR"
PROFILE_ENV = "DBT_PROFILE"
TARGET_ENV = "DBT_TARGET"
DEFAULT_TARGET = "default"
#: A DuckDB file that replaces the path of a DuckDB target (or stands in for a profile the
#: project does not have); the example's profiles.yml reads the same variable.
DUCKDB_ENV = "FEATUREOPS_DUCKDB_PATH"
#: Where the example project's DuckDB target writes (the serving-log default mirrors it).
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
#: DuckDB paths that are not files of the project.
_NOT_FILES = (":memory:", "md:", "motherduck:")


class ProfileError(FeatureopsError):
    """profiles.yml cannot be read or rendered, or lacks the selected profile or target."""


class NoProfileError(ProfileError):
    """The project has no profile at all: no profile name, or no profiles.yml to find it in."""


@dataclass(frozen=True)
class ProfileTarget:
    """The rendered output of the selected target."""

    path: Path  # the profiles.yml it came from
    profile: str
    name: str
    credentials: Mapping[str, Any]

    @property
    def adapter_type(self) -> str:
        return str(self.credentials.get("type") or "")

    def describe(self) -> str:
        return f"target '{self.name}' of profile '{self.profile}' ({self.path})"


def profiles_dirs(project: Project) -> list[Path]:
    """Where profiles.yml is looked for, first match wins: an explicit directory or
    DBT_PROFILES_DIR is the only place looked at, as in dbt."""
    explicit = project.profiles_dir or os.environ.get(PROFILES_DIR_ENV)
    if explicit:
        return [Path(explicit).expanduser().resolve()]
    return [project.project_dir, Path.home() / ".dbt"]


def find_profiles_file(project: Project) -> Path:
    candidates = profiles_dirs(project)
    for directory in candidates:
        if (directory / PROFILES_FILE).is_file():
            return directory / PROFILES_FILE
    looked = ", ".join(str(directory) for directory in candidates)
    raise NoProfileError(f"no {PROFILES_FILE} for the dbt project {project.project_dir} "
                         f"(looked in {looked}); pass --profiles-dir or set {PROFILES_DIR_ENV}")


def load_target(project: Project) -> ProfileTarget:
    """The selected target of the project's profile, rendered, with paths resolved."""
    renderer = ValueRenderer()
    profile_name = _profile_name(project, renderer)
    path = find_profiles_file(project)
    profiles = _read_profiles(path)
    profile = profiles.get(profile_name)
    if not isinstance(profile, Mapping):
        known = ", ".join(sorted(str(k) for k in profiles if k != "config")) or "none"
        raise ProfileError(f"{path}: no profile '{profile_name}' (profiles: {known}); the "
                           "profile is named in dbt_project.yml (or pass --profile)")
    target = _target_name(project, profile, path, profile_name, renderer)
    outputs = profile.get("outputs")
    output = outputs.get(target) if isinstance(outputs, Mapping) else None
    if not isinstance(output, Mapping):
        known = ", ".join(sorted(map(str, outputs))) if isinstance(outputs, Mapping) else "none"
        raise ProfileError(f"{path}: profile '{profile_name}' has no target '{target}' "
                           f"(targets: {known}); pass --target or set {TARGET_ENV}")
    try:
        rendered = renderer.render_data(dict(output), ("outputs", target))
    except RenderError as error:
        raise ProfileError(f"{path}: profile '{profile_name}': {error}") from None
    if not rendered.get("type"):
        raise ProfileError(f"{path}: target '{target}' of profile '{profile_name}' has no type")
    if rendered["type"] == "duckdb":
        rendered = _resolve_duckdb_paths(rendered, project.project_dir)
    return ProfileTarget(path, profile_name, target, rendered)


def _profile_name(project: Project, renderer: ValueRenderer) -> str:
    name = project.profile or os.environ.get(PROFILE_ENV)
    if not name:
        try:
            name = renderer.render_value(project.dbt_config.get("profile"))
        except RenderError as error:
            raise ProfileError(f"{project.project_dir / 'dbt_project.yml'}: profile: {error}"
                               ) from None
    if not name:
        raise NoProfileError(f"{project.project_dir / 'dbt_project.yml'} names no profile "
                             "(profile:); pass --profile")
    return str(name)


def _read_profiles(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ProfileError(f"{path}: cannot read {PROFILES_FILE}: {detail}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: {PROFILES_FILE} must be a mapping of profiles")
    return data


def _target_name(project: Project, profile: Mapping[str, Any], path: Path, profile_name: str,
                 renderer: ValueRenderer) -> str:
    chosen = project.target or os.environ.get(TARGET_ENV)
    if chosen:
        return chosen
    if "target" not in profile:
        return DEFAULT_TARGET
    try:
        return str(renderer.render_value(profile["target"]))
    except RenderError as error:
        raise ProfileError(f"{path}: profile '{profile_name}': target: {error}") from None


def _resolve_duckdb_paths(output: dict[str, Any], root: Path) -> dict[str, Any]:
    resolved = dict(output)
    resolved["path"] = project_path(root, output.get("path") or ":memory:")
    if output.get("external_root"):
        resolved["external_root"] = project_path(root, output["external_root"])
    if isinstance(output.get("extensions"), list):
        resolved["extensions"] = [
            project_path(root, item) if _is_extension_file(item) else item
            for item in output["extensions"]]
    return resolved


def project_path(root: Path, value: Any) -> str:
    """``value`` as an absolute path, relative ones taken from ``root``; special DuckDB
    locations (``:memory:``, MotherDuck, URLs) are kept as they are."""
    text = str(value)
    if text.startswith(_NOT_FILES) or "://" in text:
        return text
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else root / path)


def _is_extension_file(item: Any) -> bool:
    return isinstance(item, str) and (item.endswith(".duckdb_extension") or "/" in item)
