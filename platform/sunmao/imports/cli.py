"""``sunmao import ENTITY FILE``: the screen's importer from the shell, for scripts and big files.

Prints what was read (sheet, header row, records and child rows, skipped rows) and every
problem with its row and column; exits 1 when nothing was imported (a dry run: when it found
problems), 2 when the file or the template cannot be used.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa

from sunmao import accounts
from sunmao.console import command_runtime
from sunmao.errors import SunmaoError
from sunmao.imports.plan import UnknownTemplate, prepare
from sunmao.imports.reader import SheetError
from sunmao.imports.runner import run_import
from sunmao.records import SYSTEM, Actor
from sunmao.runtime import Runtime
from sunmao.storage import system as sm


def _actor(runtime: Runtime, username: str | None) -> Actor:
    if not username:
        return SYSTEM
    with runtime.db.read() as conn:
        user_id = conn.execute(sa.select(sm.user.c.id).where(sm.user.c.username == username)).scalar()
    user = accounts.get_user(runtime.db, user_id) if user_id is not None else None
    if user is None:
        raise click.ClickException(f"no active user named {username!r}")
    return user.actor


@click.command("import")
@click.argument("entity")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--template", default=None, help="an import template's key or name (default: recognised by headers)")
@click.option("--dry-run", is_flag=True, help="check every row through the record service; write nothing")
@click.option("--good-rows-only", is_flag=True, help="import the records whose rows are all good, skip the others")
@click.option("--sheet", default=None, help="the sheet to read (default: the first with data)")
@click.option("--as", "username", default=None, help="write as this user (their rights; audit names them)")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def command(entity: str, file: Path, template: str | None, dry_run: bool, good_rows_only: bool, sheet: str | None,
            username: str | None, lang: str) -> None:
    """Import FILE (.xlsx, .xls, .csv) into ENTITY, all rows or none unless --good-rows-only."""
    runtime = command_runtime()
    records = runtime.records()
    actor = _actor(runtime, username)
    try:
        prepared = prepare(records, entity, file.read_bytes(), file.name, template=template, sheet=sheet)
    except SheetError as exc:
        click.secho(exc.text.get(lang), fg="red", err=True)
        sys.exit(2)
    except UnknownTemplate:
        click.secho(f"no import template {template!r} for {entity}", fg="red", err=True)
        sys.exit(2)
    except SunmaoError as exc:
        click.secho(exc.title.get(lang), fg="red", err=True)
        sys.exit(2)
    table = prepared.table
    used = f", template {prepared.template.label.get(lang)}" if prepared.template else ""
    click.echo(f"{file.name}: sheet {table.sheet}, header in row {table.header_row}, {len(table.rows)} data rows{used}")
    for i, path in sorted(prepared.plan.columns.items()):
        click.echo(f"  {table.letter(i)} {table.headers[i]} → {prepared.targets[path].label.get(lang)}")
    outcome = run_import(records, actor, table, prepared.plan, prepared.targets, commit=not dry_run,
                         good_rows_only=good_rows_only)
    for number, reason in outcome.skipped:
        click.echo(f"  row {number}: {reason.get(lang)}")
    for problem in outcome.problems:
        click.secho(f"  {table.sheet}: {problem.text(lang)}", fg="red")
    click.echo(f"{len(outcome.groups)} records ({outcome.child_rows} child rows), {len(outcome.bad_rows)} rows with "
               f"problems; " + (f"created {outcome.created}, updated {outcome.updated}, unchanged {outcome.unchanged}"
                                + "".join(f", new {k} {n}" for k, n in outcome.linked_created.items())
                                if outcome.committed else ("dry run: nothing written" if dry_run else
                                                           "nothing imported")))
    if dry_run:
        sys.exit(1 if outcome.problems else 0)
    sys.exit(0 if outcome.committed and (outcome.created or outcome.updated or outcome.unchanged) else 1)
