"""``sunmao stages backfill``: fill the stage history of records written before it existed."""

from __future__ import annotations

import click

from sunmao.console import command_runtime
from sunmao.records.stages import backfill


@click.group("stages")
def command() -> None:
    """Stage history (every workflow state a record entered and left)."""


@command.command("backfill")
@click.option("--entity", default=None, help="one entity (default: every entity with a workflow)")
@click.option("--rebuild", is_flag=True, help="delete and rebuild the rows (after a holiday calendar change)")
def backfill_command(entity: str | None, rebuild: bool) -> None:
    """Rebuild stage rows from the audit log for records that have none (idempotent)."""
    runtime = command_runtime()
    written = backfill(runtime.db, runtime.snapshot(), entity, rebuild=rebuild)
    for key, count in written.items():
        click.echo(f"{key}: {count} stage rows written")
