"""A new starter feature repository: the template files of ``templates/starter/`` with the
project's name, this install's dbt package path and version filled in, plus sample data
generated for "now" (see sample_data)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from featureops.init.errors import InitError
from featureops.init.names import check_project_name, project_name_for
from featureops.init.sample_data import generate_sample_data, write_seeds
from featureops.package import cli_version, package_dir

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "starter"
#: Template files stored under another name (a dot file would be hidden in the package).
_RENAMED = {"gitignore": ".gitignore"}
_PLACEHOLDER = re.compile(r"__[A-Z][A-Z_]*__")


@dataclass(frozen=True)
class Starter:
    """What `featureops init` created."""

    directory: Path
    project_name: str
    files: list[Path]
    orders: int
    returns: int


def create_starter(directory: Path, name: str | None = None, now: datetime | None = None,
                   seed: int = 42) -> Starter:
    """Create the starter project in ``directory`` (missing or empty). ``now`` (naive UTC,
    default: the current time) is where the sample data ends; ``seed`` makes it repeatable."""
    directory = Path(directory)
    _require_empty(directory)
    project_name = check_project_name(name) if name else project_name_for(directory)
    values = {
        "__PROJECT_NAME__": project_name,
        # A JSON string is a valid YAML scalar, whatever characters the path holds.
        "__PACKAGE_DIR__": json.dumps(str(package_dir())),
        "__FEATUREOPS_VERSION__": cli_version(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for template in sorted(TEMPLATE_DIR.rglob("*")):
        if not template.is_file():
            continue
        relative = template.relative_to(TEMPLATE_DIR)
        destination = directory / relative.with_name(_RENAMED.get(relative.name, relative.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(render(template.read_text(encoding="utf-8"), values, relative),
                               encoding="utf-8")
        files.append(destination)
    if now is None:
        now = datetime.now(timezone.utc).replace(tzinfo=None)
    data = generate_sample_data(now, seed=seed)
    files.extend(write_seeds(data, directory / "seeds"))
    return Starter(directory, project_name, sorted(files), len(data.orders), len(data.returns))


def render(text: str, values: dict[str, str], where: Path | str = "template") -> str:
    """``text`` with every placeholder replaced; an unknown one is a bug in the template."""
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    left = _PLACEHOLDER.search(text)
    if left:
        raise AssertionError(f"{where}: unknown placeholder {left.group(0)}")
    return text


def _require_empty(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise InitError(f"{directory}: exists and is not a folder")
    if directory.is_dir() and any(directory.iterdir()):
        hint = (" it is a dbt project: add featureops to it with `featureops init --existing"
                f" {directory}`" if (directory / "dbt_project.yml").is_file()
                else " choose a new or empty folder")
        raise InitError(f"{directory}: folder is not empty;{hint}")
