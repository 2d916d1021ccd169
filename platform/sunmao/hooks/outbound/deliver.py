"""Outbound deliveries: from an outbox event to a delivery row, and from the row to the receiver.

The ``webhooks`` subscriber runs inside the outbox dispatcher's transaction: for every
enabled webhook whose topic patterns and condition match the event, it renders the body and
inserts an ``sm_delivery`` row (``pending``) — the event is marked dispatched in the same
commit, so a delivery exists exactly when its event has been dispatched. The pump then
reserves the row and a runner performs it (:func:`perform_delivery`): one attempt, judged by
the target (:mod:`.targets`), recorded, and retried with backoff or dead-lettered.

A delivery whose secret is not set is created ``dead`` with an error saying which secret to
set; it can be replayed once it is. Replaying (:func:`replay`) sends the stored body again
under the same event id, as Standard Webhooks expects.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sunmao.hooks.outbound import ratelimit, targets
from sunmao.hooks.outbound.model import Webhook
from sunmao.hooks.outbound.settings import OutboundSettings
from sunmao.hooks.outbound.tables import delivery
from sunmao.hooks.outbound.transport import post
from sunmao.jobs import work
from sunmao.jobs.backoff import backoff_delay
from sunmao.jobs.dbutil import insert_ignoring_conflict, utcnow
from sunmao.jobs.notify import notify_work
from sunmao.jobs.outbox import DispatchContext, Event, subscribe
from sunmao.jobs.secrets import MissingSecret, SecretKeyError, secret_store
from sunmao.jobs.settings import JobSettings
from sunmao.jobs.tables import secret as secret_table
from sunmao.rules import RuleError

if TYPE_CHECKING:
    from sunmao.runtime import Runtime
    from sunmao.storage import Database

log = logging.getLogger(__name__)
QUEUE = "delivery"
_SECRETS_CACHE = "webhooks.secret_names"


def _truthy(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) > 0
    return bool(value) and value == value  # NaN is false, as in JSONLogic


def _secret_names(ctx: DispatchContext) -> set[str]:
    names = ctx.cache.get(_SECRETS_CACHE)
    if names is None:
        names = ctx.cache[_SECRETS_CACHE] = set(ctx.conn.execute(sa.select(secret_table.c.name)).scalars())
    return names


@subscribe("webhooks", "*")
def on_event(ctx: DispatchContext, event: Event) -> None:
    """Create the deliveries of one event (inside the dispatcher's transaction)."""
    if ctx.snapshot is None:
        return
    hooks: tuple[Webhook, ...] = ctx.snapshot.features.get("webhooks", ())
    for hook in hooks:
        if hook.wants(event.topic):
            _create_delivery(ctx, hook, event)


def _create_delivery(ctx: DispatchContext, hook: Webhook, event: Event) -> None:
    status, error, body = work.PENDING, None, ""
    try:
        if hook.condition is not None and not _truthy(hook.condition(event.data())):
            return
        body = hook.render_body(event)
    except RuleError as exc:
        status, error = work.DEAD, f"the condition or payload could not be evaluated: {exc}"
    except Exception as exc:  # noqa: BLE001 - recorded where a person sees it, instead of a stuck event
        log.exception("webhook %s could not render event %s", hook.key, event.id)
        status, error = work.DEAD, f"the payload could not be rendered: {type(exc).__name__}: {exc}"
    target = dict(hook.target)
    names = list(hook.secret_names)
    if "secret_field" in target:  # the robot is the record's own (a production line's leader group)
        name = (event.data().get("record") or {}).get(target.pop("secret_field"))
        if not name:
            return
        target["secret"] = str(name)
        names.append(target["secret"])
    missing = [name for name in names if name not in _secret_names(ctx)]
    if status == work.PENDING and missing:
        status, error = work.DEAD, str(MissingSecret(missing[0])) + "; then replay this delivery"
    insert_ignoring_conflict(ctx.conn, delivery, {
        "event_id": event.id, "topic": event.topic, "webhook": hook.key, "target_type": hook.target_type,
        "target": target, "body": body, "status": status, "attempts": 0,
        "max_attempts": hook.max_attempts, "next_attempt_at": ctx.now, "last_error": error,
        "created_at": ctx.now, "updated_at": ctx.now, "replays": 0,
    }, ("event_id", "webhook"))


def perform_delivery(runtime: Runtime, delivery_id: int, token: str) -> None:
    """Make one attempt of a reserved delivery and record its outcome."""
    settings = OutboundSettings.from_env()
    db = runtime.db
    with db.write() as conn:
        row = work.claim(conn, delivery, delivery_id, token, now=utcnow(), lease=JobSettings.from_env().lease)
    if row is None:
        return
    target = row["target"]
    try:
        request = targets.prepare(row["target_type"], target, row["body"], row["event_id"], secret_store(db),
                                  settings, utcnow())
    except MissingSecret as exc:
        _record(db, row, targets.Outcome(False, False, None, f"{exc}; then replay this delivery", None), None)
        return
    except SecretKeyError as exc:
        _record(db, row, targets.Outcome(False, True, None, str(exc), None), None)
        return
    bucket = targets.rate_bucket(row["target_type"], target, settings)
    if bucket is not None:
        wait = ratelimit.reserve(db, bucket.key, bucket.limit, bucket.window, margin=settings.rate_margin)
        if wait > 0:
            now = utcnow()
            until = now + timedelta(seconds=wait + random.uniform(0, bucket.window / bucket.limit / 4))  # noqa: S311
            with db.write() as conn:
                work.postpone(conn, delivery, delivery_id, row["lease_token"], until=until, now=now,
                              note=f"queued: the robot takes {bucket.limit} messages per {bucket.window:g} s")
            return
    result = post(request.url, request.body, request.headers, request.timeout)
    outcome = targets.judge(row["target_type"], result)
    _record(db, row, outcome, request.shown_url)


def _record(db: Database, row: sa.RowMapping, outcome: targets.Outcome, shown_url: str | None) -> None:
    retry = row["target"].get("retry", {})
    delay = backoff_delay(row["attempts"] + 1, float(retry.get("backoff_seconds", 30)),
                          float(retry.get("max_backoff_seconds", 21600)))
    if outcome.retry_after:
        delay = max(delay, outcome.retry_after)
    now = utcnow()
    with db.write() as conn:
        status = work.finish(conn, delivery, row, ok=outcome.ok, retry=outcome.retry, now=now, delay=delay,
                             error=outcome.error, last_attempt_at=now, last_status_code=outcome.status_code,
                             request_url=shown_url, response_excerpt=outcome.response,
                             succeeded_at=now if outcome.ok else None)
    if status == work.DEAD:
        log.warning("delivery #%s of event %s to webhook %s is dead after %s attempts: %s", row["id"],
                    row["event_id"], row["webhook"], row["attempts"] + 1, outcome.error)


#: The queue of webhook deliveries (declared in ``hooks/outbound/feature.py``).
DELIVERIES = work.register_queue(work.WorkQueue(QUEUE, delivery, perform_delivery))


# -- the delivery log, dead letters and replay (for the CLI and the screens) -----------------

def deliveries(db: Database, *, status: str | None = None, webhook: str | None = None,
               event_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The delivery log, newest first (what the screens and `sunmao webhooks list` show)."""
    query = sa.select(delivery).order_by(delivery.c.id.desc()).limit(limit)
    if status:
        query = query.where(delivery.c.status == status)
    if webhook:
        query = query.where(delivery.c.webhook == webhook)
    if event_id:
        query = query.where(delivery.c.event_id == event_id)
    with db.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def get_delivery(db: Database, delivery_id: int) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(sa.select(delivery).where(delivery.c.id == delivery_id)).mappings().first()
    return dict(row) if row else None


def dead_letters(db: Database, *, webhook: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries that will not be tried again until a person replays them."""
    return deliveries(db, status=work.DEAD, webhook=webhook, limit=limit)


class ReplayRefused(ValueError):
    """The delivery cannot be replayed as asked (the message says why and what to do)."""


def replay(db: Database, delivery_id: int, *, force: bool = False) -> dict[str, Any]:
    """Send a delivery again: a dead one (or, with ``force``, a succeeded one) gets fresh attempts.

    The same body goes out under the same ``webhook-id``; the attempt count starts over.
    """
    now = utcnow()
    with db.write() as conn:
        row = conn.execute(sa.select(delivery).where(delivery.c.id == delivery_id)).mappings().first()
        if row is None:
            raise LookupError(f"there is no delivery #{delivery_id}")
        if not row["body"]:
            raise ReplayRefused(f"delivery #{delivery_id} has nothing to send: its condition or payload failed "
                                f"({row['last_error']}); fix webhook {row['webhook']!r}, later events will use it")
        if row["status"] == work.SUCCEEDED and not force:
            raise ReplayRefused(f"delivery #{delivery_id} already succeeded; replay with force to send it again")
        if row["status"] in work.DUE_STATUSES and row["locked_until"] is not None and row["locked_until"] > now:
            raise ReplayRefused(f"delivery #{delivery_id} is being attempted right now; wait for its outcome")
        conn.execute(delivery.update().where(delivery.c.id == delivery_id).values(
            status=work.PENDING, attempts=0, next_attempt_at=now, locked_until=None, lease_token=None,
            replays=row["replays"] + 1, updated_at=now))
        updated = conn.execute(sa.select(delivery).where(delivery.c.id == delivery_id)).mappings().one()
    notify_work()
    return dict(updated)


def replay_dead(db: Database, *, webhook: str | None = None) -> list[int]:
    """Replay every dead delivery (of one webhook); return their ids."""
    ids = [row["id"] for row in dead_letters(db, webhook=webhook, limit=100_000)]
    for delivery_id in ids:
        replay(db, delivery_id)
    return ids
