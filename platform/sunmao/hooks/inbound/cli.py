"""``sunmao hooks``: the delivery log, replay and pulling from the shell (secrets are ``sunmao secret``)."""

from __future__ import annotations

import json
import sys

import click

from sunmao.console import command_runtime
from sunmao.errors import SunmaoError

from . import store
from .intake import replay as replay_delivery
from .pull import pull as pull_channel


def _fail(exc: SunmaoError) -> None:
    click.secho(f"{exc.title.en}: {exc.detail.en if exc.detail else ''}", fg="red", err=True)
    for path, messages in exc.errors.items():
        for message in messages:
            click.echo(f"  {path}: {message.en}", err=True)
    sys.exit(1)


@click.group("hooks")
def command() -> None:
    """Inbound channels: deliveries, replay, pulling (secrets: `sunmao secret`)."""


@command.command("list")
@click.option("--channel", default=None, help="only this channel")
@click.option("--status", default=None, help="received, processed, held, rejected, duplicate or ignored")
@click.option("--limit", default=20, show_default=True)
def list_command(channel: str | None, status: str | None, limit: int) -> None:
    """The newest deliveries, with what became of them."""
    rows = store.list_deliveries(command_runtime().db, channel=channel, status=status, limit=limit)
    for row in rows:
        order = ((row.get("outcome") or {}).get("order") or {}).get("name") or ""
        click.echo(f"#{row['id']:<6} {row['received_at']:%Y-%m-%d %H:%M:%S} {row['channel']:<16} "
                   f"{row['status']:<10} {row['http_status'] or '':<4} {order} {row['error'] or ''}".rstrip())
    if not rows:
        click.echo("No deliveries.")


@command.command("show")
@click.argument("delivery_id", type=int)
def show_command(delivery_id: int) -> None:
    """One delivery: headers, body and outcome."""
    row = store.get(command_runtime().db, delivery_id)
    if row is None:
        raise click.ClickException(f"delivery #{delivery_id} does not exist")
    body = bytes(row.pop("body"))
    row.pop("claim", None)
    click.echo(json.dumps(row, ensure_ascii=False, indent=2, default=str))
    click.echo("--- body" + (" (truncated)" if row["truncated"] else ""))
    click.echo(body.decode("utf-8", "replace"))


@command.command("replay")
@click.argument("delivery_id", type=int)
def replay_command(delivery_id: int) -> None:
    """Process a held or rejected delivery again with the current metadata and secrets."""
    runtime = command_runtime()
    try:
        answer = replay_delivery(runtime.db, runtime.snapshot(), delivery_id)
    except SunmaoError as exc:
        _fail(exc)
        return
    click.echo(f"{answer.status} {json.dumps(answer.body, ensure_ascii=False, default=str)}")


@command.command("pull")
@click.argument("channel")
@click.option("--base-url", default=None, help="override the provider URL of the channel document")
def pull_command(channel: str, base_url: str | None) -> None:
    """Fetch new and changed orders of a pull channel now."""
    runtime = command_runtime()
    try:
        result = pull_channel(runtime.db, runtime.snapshot(), channel, base_url=base_url)
    except SunmaoError as exc:
        _fail(exc)
        return
    click.echo(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
