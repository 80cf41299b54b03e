"""Commands that produce the demo's raw data: generate, load-raw."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from featureops.cli.options import console, project_options

if TYPE_CHECKING:
    from featureops.project import Project


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="data/raw",
              show_default=True, help="Directory for the raw Parquet files.")
@click.option("--transactions", "n_transactions", type=click.IntRange(min=100),
              default=50_000, show_default=True, help="Number of card transactions.")
@click.option("--users", "n_users", type=click.IntRange(min=10), default=None,
              help="Number of cardholders [default: transactions / 25].")
@click.option("--merchants", "n_merchants", type=click.IntRange(min=50), default=None,
              help="Number of merchants [default: max(200, transactions / 100)].")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Length of the period covered.")
@click.option("--end", type=click.DateTime(), default="2026-11-01", show_default=True,
              help="End of the period (UTC); fixed so the data is reproducible.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
@click.option("--force", is_flag=True, help="Regenerate even if identical data exists.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(out_dir: str, n_transactions: int, n_users: int | None, n_merchants: int | None,
             days: int, end: datetime, seed: int, force: bool, quiet: bool) -> None:
    """Generate the deterministic card-payments demo data as Parquet."""
    from featureops.datagen import generate as generate_raw

    summary = generate_raw(Path(out_dir), n_transactions=n_transactions, seed=seed, end=end,
                           days=days, n_users=n_users, n_merchants=n_merchants,
                           progress=not quiet, force=force)
    console().print(f"raw data in {out_dir}: " + ", ".join(
        f"{name} {count:,}" for name, count in summary.row_counts.items()))


@click.command(name="load-raw")
@project_options
@click.option("--raw-dir", type=click.Path(file_okay=False, exists=True), default="data/raw",
              show_default=True, help="Directory written by `featureops generate`.")
@click.option("--schema", default=lambda: os.environ.get("FEATUREOPS_RAW_SCHEMA", "raw"),
              show_default="$FEATUREOPS_RAW_SCHEMA or raw", help="Target Postgres schema.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def load_raw(project: Project, raw_dir: str, schema: str, quiet: bool) -> None:
    """Copy the raw Parquet into Postgres tables (engines that cannot read Parquet).

    The Postgres is the one of the selected dbt profile target (--profiles-dir, --target;
    as dbt finds it), which must be a postgres target.
    """
    from featureops.engines import postgres_target
    from featureops.engines.postgres_engine import connect_kwargs
    from featureops.rawload import load_into_postgres

    target = postgres_target(project, "load-raw")
    counts = load_into_postgres(Path(raw_dir), connect_kwargs(target.credentials),
                                schema=schema, progress=not quiet)
    console().print(f"loaded into schema {schema}: " + ", ".join(
        f"{name} {count:,}" for name, count in counts.items()))


COMMANDS = [generate, load_raw]
