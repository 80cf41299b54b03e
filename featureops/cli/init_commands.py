"""`featureops init`: a new starter feature repository, or featureops added to an existing
dbt project (--existing)."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

#: What a user adds to a model's YAML to make it a feature view (printed by --existing).
FEATURE_VIEW_SNIPPET = """\
      models:
        - name: my_feature_model
          config:
            contract: {enforced: true}   # every column needs a data_type
            meta:
              featureops:
                kind: feature_view
                entities: [customer_id]  # entity key column(s)
                timestamp: event_at      # the time the features are as of
                ttl: 30d                 # how long a row stays valid
                online: true             # `featureops materialize` serves it
          columns:
            - {name: customer_id, data_type: bigint}
            - {name: event_at, data_type: timestamp}
            - {name: order_count_7d, data_type: bigint}"""


@click.command(name="init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--existing", is_flag=True,
              help="Add featureops to the existing dbt project in DIRECTORY [default: .]: the "
                   "package entry in packages.yml and vars.featureops in dbt_project.yml.")
@click.option("--name", default=None,
              help="dbt project name of a new project [default: from the folder name].")
@click.option("--seed", type=int, default=42, show_default=True,
              help="Seed of the generated sample data of a new project.")
def init(directory: Path | None, existing: bool, name: str | None, seed: int) -> None:
    """Create a runnable starter feature repository in DIRECTORY (new or empty): a DuckDB
    profile, the featureops dbt package, sample data, a feature view, a training set, an
    ml exposure and monitoring. With --existing, adopt featureops in a dbt project."""
    if existing:
        if name is not None:
            raise click.UsageError("--name is for a new project, not with --existing")
        _adopt(directory or Path("."))
        return
    if directory is None:
        raise click.UsageError("give the DIRECTORY to create (or --existing inside a dbt "
                               "project)")
    _create(directory, name, seed)


def _create(directory: Path, name: str | None, seed: int) -> None:
    from featureops.init import create_starter

    starter = create_starter(directory, name=name, seed=seed)
    click.echo(f"Created the featureops starter project '{starter.project_name}' in "
               f"{directory}: {starter.orders} sample orders and {starter.returns} returns "
               "(ending now), the feature view feat_customer__order_windows, the training "
               "set train_return_model__orders, the ml exposure return_model, monitoring on.")
    click.echo(f"\nNext (README.md has more):\n  cd {shlex.quote(str(directory))}\n"
               "  dbt deps && dbt build\n  featureops validate\n"
               "  featureops materialize\n"
               "  featureops lookup -f feat_customer__order_windows --entity customer_id=1\n"
               "  featureops serve")


def _adopt(directory: Path) -> None:
    from featureops.init import adopt_existing

    result = adopt_existing(directory)
    for line in result.changes:
        click.echo(f"changed {line}")
    for line in result.kept:
        click.echo(f"kept    {line}")
    if not result.changes:
        click.echo(f"Nothing to change: {directory} already has featureops.")
    click.echo(
        "\nNext:\n"
        "  1. dbt deps    installs the featureops dbt package\n"
        "  2. mark a model as a feature view, in its YAML:\n"
        f"{FEATURE_VIEW_SNIPPET}\n"
        "  3. dbt build, then featureops validate, featureops list, featureops materialize\n"
        "  Monitoring: set vars.featureops.monitoring.enabled: true and list the models in "
        "monitored (the comment in dbt_project.yml shows how).")


COMMANDS = [init]
