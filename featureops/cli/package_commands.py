"""Commands about the featureops dbt package itself: where it is, how to install it."""

from __future__ import annotations

import click


@click.command(name="package-path")
@click.option("--packages-yml", "as_entry", is_flag=True,
              help="Print the packages.yml entry instead of the bare path.")
def package_path(as_entry: bool) -> None:
    """Print where the featureops dbt package shipped with this install is, for a
    `local:` entry in packages.yml (then run `dbt deps`)."""
    from featureops.package import local_entry_line, package_dir

    if as_entry:
        click.echo(f"packages:\n  {local_entry_line()}")
    else:
        click.echo(str(package_dir()))


COMMANDS = [package_path]
