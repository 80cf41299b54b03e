"""The featureops dbt package: the macros, generic tests and monitoring models a project
installs with one ``packages.yml`` entry. It ships inside this Python package (the
``dbt_package/`` folder beside this module); its version is this package's version.

The Python side never renders macros from that folder for a project: it renders the
macros the project was built with, which dbt copies into ``manifest.json`` (every
installed macro's SQL), wherever the package was installed from. This module says where
the shipped package is, which version a manifest was built with, and whether the two
agree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from featureops.exceptions import FeatureopsError
from featureops.manifest import Manifest

#: The dbt package's name (its dbt_project.yml `name`, the macros' namespace).
PACKAGE_NAME = "featureops"
#: The macro whose SQL carries the installed package's version.
VERSION_MACRO = f"macro.{PACKAGE_NAME}.featureops_package_version"
_VERSION_RETURN = re.compile(r"return\(\s*'([^']+)'\s*\)")


class PackageNotInstalledError(FeatureopsError):
    """The project's manifest holds no featureops dbt package."""


@dataclass(frozen=True)
class PackageMacro:
    """One macro of the installed package, as the manifest holds it."""

    unique_id: str
    name: str
    path: str
    sql: str


def package_dir() -> Path:
    """The dbt package shipped with this Python package (a `local:` packages.yml path)."""
    return Path(__file__).resolve().parent / "dbt_package"


def local_entry_line() -> str:
    """The packages.yml list item installing the shipped package, with a comment naming
    this version. The path is a JSON string, a valid YAML scalar whatever characters it
    holds (spaces, `#`, `: `)."""
    return f"- local: {json.dumps(str(package_dir()))}  # featureops {cli_version()}"


def cli_version() -> str:
    """The installed featureops version (the wheel's metadata)."""
    try:
        return metadata.version("featureops")
    except metadata.PackageNotFoundError:  # running from a bare source tree
        return _shipped_version()


def _shipped_version() -> str:
    text = (package_dir() / "macros" / "package" / "featureops_package_version.sql").read_text(
        encoding="utf-8")
    found = _VERSION_RETURN.search(text)
    return found.group(1) if found else "unknown"


def package_macros(manifest: Manifest) -> list[PackageMacro]:
    """Every macro of the featureops package in the manifest (empty when not installed)."""
    raw = manifest._raw.get("macros")
    macros = raw if isinstance(raw, dict) else {}
    found = []
    for unique_id, entry in macros.items():
        if not isinstance(entry, dict) or entry.get("package_name") != PACKAGE_NAME:
            continue
        sql = entry.get("macro_sql")
        if isinstance(sql, str):
            found.append(PackageMacro(unique_id, str(entry.get("name", "")),
                                      str(entry.get("original_file_path", "")), sql))
    return found


def require_package_macros(manifest: Manifest) -> list[PackageMacro]:
    """The package's macros, or a one-line error saying how to install the package."""
    macros = package_macros(manifest)
    if not macros:
        raise PackageNotInstalledError(
            f"{manifest.path}: the project does not install the featureops dbt package (no "
            "featureops macros in the manifest); add it to packages.yml (`featureops init "
            "--existing` does, `featureops package-path` prints the local path), then run "
            "`dbt deps` and `dbt parse`"
        )
    return macros


def installed_version(manifest: Manifest) -> str | None:
    """The featureops dbt package version the manifest was built with (None: not installed
    or older than version reporting)."""
    raw = manifest._raw.get("macros")
    entry = raw.get(VERSION_MACRO) if isinstance(raw, dict) else None
    sql = entry.get("macro_sql") if isinstance(entry, dict) else None
    found = _VERSION_RETURN.search(sql) if isinstance(sql, str) else None
    return found.group(1) if found else None


def version_mismatch(manifest: Manifest) -> str | None:
    """One line when the project's installed dbt package is not this CLI's version."""
    installed = installed_version(manifest)
    if installed is None:
        return None
    mine = cli_version()
    if installed == mine:
        return None
    return (f"the project's featureops dbt package is {installed} but this featureops is "
            f"{mine}: run `dbt deps` (and `dbt build`) so they match, or install featureops "
            f"{installed}")
