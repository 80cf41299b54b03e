"""Options shared by commands, so every command spells them the same way.

Importing the CLI must stay cheap (`featureops --help` loads every command module), so
the project, rich and every library module are imported when a command runs."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def project_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --project-dir, --manifest and dbt's profile options, and pass a located
    `Project` as `project`."""

    @click.option("--project-dir", type=click.Path(file_okay=False), default=None,
                  help="dbt project directory [default: $DBT_PROJECT_DIR or .].")
    @click.option("--manifest", "-m", "manifest_path", type=click.Path(dir_okay=True),
                  default=None,
                  help="manifest.json to read [default: <project>/<target-path>/manifest.json].")
    @click.option("--profiles-dir", type=click.Path(file_okay=False), default=None,
                  help="Folder of profiles.yml [default: $DBT_PROFILES_DIR, else the project "
                       "folder if it has one, else ~/.dbt].")
    @click.option("--profile", default=None,
                  help="dbt profile [default: $DBT_PROFILE, else dbt_project.yml's profile].")
    @click.option("--target", "-t", default=None,
                  help="Profile target to read [default: $DBT_TARGET, else the profile's "
                       "target].")
    @functools.wraps(command)
    def wrapper(*args: Any, project_dir: str | None, manifest_path: str | None,
                profiles_dir: str | None, profile: str | None, target: str | None,
                **kwargs: Any) -> Any:
        from featureops.project import Project

        project = Project.locate(project_dir, manifest_path, profiles_dir=profiles_dir,
                                 profile=profile, target=target)
        return command(*args, project=project, **kwargs)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def console() -> Console:
    """Rich console on stdout. Piped output (logs, CI, tests) gets a wide fixed width
    instead of rich's 80 columns, so tables are not squeezed into ellipses."""
    from rich.console import Console

    probe = Console()
    return Console(soft_wrap=False, highlight=False,
                   width=None if probe.is_terminal else max(probe.width, 160))


def error_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def new_table(**kwargs: Any) -> Table:
    """A rich table (rich is imported when a command prints one, not at start-up)."""
    from rich.table import Table

    return Table(**kwargs)
