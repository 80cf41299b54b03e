"""The `featureops` command: a click group whose commands live in one module per area
(see docs/decisions/0002-cli-package.md). Commands are thin: they parse options, call one
library function and render its result.
Every command module is imported to list the commands, so a module imports only click and
the standard library at its top, and its library (and rich) inside the command:
`featureops --help` loads no library module (tests/unit/test_cli_startup.py).

Exit codes: 0 OK, 1 a check failed (validate, audit, ...), 2 usage or runtime error with a
one-line message on stderr, never a traceback for a user mistake.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys

import click

from featureops.exceptions import FeatureopsError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="featureops")
@click.option("--debug", is_flag=True, help="Show debug logs and full tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """featureops: feature views, training sets and online features from one dbt project."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def _register_commands() -> None:
    """Add the COMMANDS of every featureops/cli/*_commands.py module, so a capability adds
    its commands by adding one module."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.endswith("_commands"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            for command in module.COMMANDS:
                cli.add_command(command)


_register_commands()


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; user errors become one line on stderr."""
    try:
        # Without standalone mode click returns the code of a ctx.exit()/Exit instead of
        # calling sys.exit, so run() stays testable in-process.
        result = cli.main(args=argv, prog_name="featureops", standalone_mode=False)
    except FeatureopsError as error:
        if "--debug" in (argv if argv is not None else sys.argv) or os.environ.get(
            "FEATUREOPS_DEBUG"
        ):
            raise
        click.echo(f"error: {error}", err=True)
        return 2
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except click.ClickException as error:
        error.show()
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return result if isinstance(result, int) else 0
