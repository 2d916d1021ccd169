"""A delivery tried without consequences: what a sample payload would become, and its problems.

The channel designer pastes a sample (or picks a stored raw delivery) and asks what the channel
would make of it. The answer comes from the intake's own path (``intake._handle_in``: pings,
skip rules, the de-duplication key, the raw delivery claiming it, mapping, cleaning, customer
matching, duplicates, the record service) run in one write transaction that is always rolled
back: the order, its customer, the stored delivery, audit entries and outbox events are read
back as they would be, then undone. The signature is checked on its own against the secret
store; a sample without a valid signature is still previewed, with that said as a problem.

One thing escapes the rollback on PostgreSQL: the naming counters advance in their own autocommit
statement (``records/naming.py``, gaps allowed by design), so a preview that would create an
order uses up its number. On SQLite the counter is part of the rolled-back transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sunmao.errors import SunmaoError
from sunmao.records import RecordService
from sunmao.records.values import json_value
from sunmao.snapshot import Snapshot
from sunmao.storage import Database

from . import intake, store
from .auth import redact, verify
from .model import Channel
from .secrets import bound, secret_store


class _Undo(Exception):
    pass


class _Stored(Exception):
    pass


def preview_delivery(db: Database, snapshot: Snapshot, channel: Channel, body: bytes,
                     headers: Mapping[str, str] | None = None, *, lang: str = "zh", check_signature: bool = True
                     ) -> dict[str, Any]:
    """The answer the sender would get, the records that would be written (as the API shows them),
    and the problems; nothing is kept. ``check_signature=False``: a stored delivery, judged when it came."""
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    req = intake.Request("POST", lower, {}, body, size=len(body), received_at=datetime.now(UTC))
    hidden_headers, query = redact(channel.auth, dict(lower), {})
    raw = store.RawDelivery(channel.key, "push", "POST", hidden_headers, query, body, False, len(body),
                            req.received_at)
    records = RecordService(db, snapshot)
    out: dict[str, Any] = {"signature": None, "answer": None, "status": None, "order": None, "customer": None,
                           "problems": []}
    try:
        with db.write() as conn:
            try:
                if not check_signature:
                    raise _Stored
                verify(channel.auth, bound(secret_store(db), conn), lower, {}, body, req.received_at)
                out["signature"] = "ok" if channel.auth.type != "none" else "none"
            except _Stored:
                out["signature"] = "stored"
            except SunmaoError as exc:
                out["signature"] = "bad"
                out["problems"].append(_problem(exc, lang, "signature"))
            ctx = intake._Ctx(channel, snapshot, records, secret_store(db), raw, lang, verified=True)
            try:
                answer = intake._handle_in(ctx, req, conn)
            except SunmaoError as exc:
                out["status"] = exc.status
                out["problems"].append(_problem(exc, lang, "delivery"))
                raise _Undo from None
            out["status"], out["answer"] = answer.status, json_value(answer.body)
            made = answer.body.get("order") if isinstance(answer.body, dict) else None
            if made:
                record = records.fetch(conn, channel.entity, made["id"])
                out["order"] = records.dump(records.compiled(channel.entity), record)
                if channel.customer:
                    cid = record.get(channel.customer.field)
                    if cid:
                        target = channel.customer.entity
                        out["customer"] = records.dump(records.compiled(target), records.fetch(conn, target, cid))
            for name in ("holds", "warnings"):
                for item in (answer.body.get(name) or []) if isinstance(answer.body, dict) else []:
                    out["problems"].append({"kind": name[:-1], "code": item.get("code"), "path": item.get("path"),
                                            "message": item.get("message")})
            raise _Undo
    except _Undo:
        pass
    return out


def _problem(exc: SunmaoError, lang: str, kind: str) -> dict[str, Any]:
    body = exc.problem(lang)
    errors = body.get("errors") or {}
    return {"kind": kind, "code": str(body.get("type", "")).rsplit("/", 1)[-1], "path": None,
            "message": body.get("detail") or body.get("title"),
            "errors": {k: [str(m) for m in v] for k, v in errors.items()}}
