"""``sunmao webhooks``: the delivery log, dead letters and replay."""

from __future__ import annotations

import click

from sunmao.console import command_runtime
from sunmao.hooks.outbound.deliver import ReplayRefused, deliveries, get_delivery, replay, replay_dead
from sunmao.jobs.work import STATUSES


@click.group("webhooks")
def command() -> None:
    """Outbound webhook deliveries: list them, see the dead letters, replay."""


@command.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--webhook", default=None, help="only this webhook's deliveries")
@click.option("--event", "event_id", default=None, help="only this event's deliveries")
@click.option("--limit", default=50, show_default=True)
def list_deliveries(status: str | None, webhook: str | None, event_id: str | None, limit: int) -> None:
    """The delivery log, newest first (`--status dead` for the dead letters)."""
    rows = deliveries(command_runtime().db, status=status, webhook=webhook, event_id=event_id, limit=limit)
    if not rows:
        click.echo("No deliveries.")
    for r in rows:
        code = r["last_status_code"] if r["last_status_code"] is not None else "-"
        click.echo(f"#{r['id']:<6} {r['status']:<9} {r['attempts']}/{r['max_attempts']} {code!s:<4} "
                   f"{r['webhook']:<24} {r['topic']:<24} {r['event_id']}  {(r['last_error'] or '')[:80]}")


@command.command("show")
@click.argument("delivery_id", type=int)
def show(delivery_id: int) -> None:
    """Everything about one delivery: target, body, last answer."""
    row = get_delivery(command_runtime().db, delivery_id)
    if row is None:
        raise click.ClickException(f"there is no delivery #{delivery_id}")
    for key, value in row.items():
        if key not in ("lease_token",):
            click.echo(f"{key:>17}: {value}")


@command.command("replay")
@click.argument("delivery_ids", type=int, nargs=-1)
@click.option("--all-dead", is_flag=True, help="replay every dead delivery")
@click.option("--webhook", default=None, help="with --all-dead: only this webhook's")
@click.option("--force", is_flag=True, help="send succeeded deliveries again too")
def replay_command(delivery_ids: tuple[int, ...], all_dead: bool, webhook: str | None, force: bool) -> None:
    """Send deliveries again (same body, same webhook-id); a running worker or server delivers them."""
    db = command_runtime().db
    if all_dead:
        ids = replay_dead(db, webhook=webhook)
        click.echo(f"Replaying {len(ids)} dead deliveries.")
        return
    if not delivery_ids:
        raise click.UsageError("give delivery ids, or --all-dead")
    for delivery_id in delivery_ids:
        try:
            replay(db, delivery_id, force=force)
        except (LookupError, ReplayRefused) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Delivery #{delivery_id} queued again.")
