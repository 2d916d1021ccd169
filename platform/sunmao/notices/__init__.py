"""The notification centre: what each person should look at — approvals, mentions, reminders, notices.

Notices are made from outbox events by a subscriber, so they follow the same at-least-once
path as webhooks (the same events can also go to WeCom or DingTalk through ``webhook``
documents). A notice is unique per (user, event): a redelivered event adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.jobs.outbox import DispatchContext, Event, subscribe
from sunmao.storage import Database
from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

notice = sa.Table(
    "sm_notice", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # approval | overdue | mention | notice
    sa.Column("entity", sa.String(40)),
    sa.Column("record_id", sa.BigInteger),
    sa.Column("title", JSONType, nullable=False),  # {"zh": ..., "en": ...}
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("read_at", UTCDateTime),
    sa.UniqueConstraint("user_id", "event_id", name="uq_sm_notice_user_event"),
    sa.Index("ix_sm_notice_inbox", "user_id", "read_at", "id"),
)

KINDS = {
    "workflow.task.created": "approval",
    "workflow.task.overdue": "overdue",
    "workflow.notify": "notice",
    "comment.mentioned": "mention",
}


def _title(event: Event) -> dict[str, str]:
    p = event.payload
    what = f"{p.get('entity') or ''} #{p.get('record_id') or ''}".strip()
    subject = p.get("subject") if isinstance(p.get("subject"), dict) else {"zh": p.get("name") or what,
                                                                         "en": p.get("name") or what}
    step = p.get("step_label") if isinstance(p.get("step_label"), dict) else {"zh": p.get("step") or "",
                                                                            "en": p.get("step") or ""}
    if event.topic == "workflow.task.created":
        return {"zh": f"待你审批：{subject['zh']}（{step['zh']}）",
                "en": f"Waiting for your approval: {subject['en']} ({step['en']})"}
    if event.topic == "workflow.task.overdue":
        return {"zh": f"审批已超时：{subject['zh']}（{step['zh']}）", "en": f"Approval overdue: {subject['en']}"}
    if event.topic == "comment.mentioned":
        who = p.get("author") or ""
        return {"zh": f"{who} 在 {what} 的评论中提到了你", "en": f"{who} mentioned you on {what}"}
    message = p.get("message") or {}
    subject = p.get("name") or what
    return {"zh": f"{message.get('zh', '')}（{subject}）", "en": f"{message.get('en', '')} ({subject})"}


def _recipients(event: Event) -> Iterable[int]:
    p = event.payload
    if event.topic in ("workflow.task.created", "workflow.task.overdue"):
        return [p["assignee_id"]] if p.get("assignee_id") else []
    return [u for u in p.get("user_ids") or () if isinstance(u, int)]


@subscribe("notices", *KINDS)
def on_event(ctx: DispatchContext, event: Event) -> None:
    """Turn an event into notices for the people it concerns (inside the dispatcher's transaction)."""
    rows = [{"user_id": uid, "event_id": event.id, "kind": KINDS[event.topic], "entity": event.payload.get("entity"),
             "record_id": event.payload.get("record_id"), "title": _title(event), "created_at": ctx.now}
            for uid in dict.fromkeys(_recipients(event))]
    if not rows:
        return
    have = set(ctx.conn.execute(sa.select(notice.c.user_id).where(notice.c.event_id == event.id)).scalars())
    fresh = [r for r in rows if r["user_id"] not in have]
    if fresh:
        ctx.conn.execute(notice.insert(), fresh)


def notices(db: Database, user_id: int, *, unread_only: bool = False, limit: int = 100) -> list[dict[str, Any]]:
    query = sa.select(notice).where(notice.c.user_id == user_id).order_by(notice.c.id.desc()).limit(limit)
    if unread_only:
        query = query.where(notice.c.read_at.is_(None))
    with db.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def unread_count(db: Database, user_id: int) -> int:
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(notice).where(
            notice.c.user_id == user_id, notice.c.read_at.is_(None))).scalar_one()


def mark_read(db: Database, user_id: int, ids: Iterable[int] | None = None) -> int:
    """Mark some (or all) of a user's notices read; return how many changed."""
    query = notice.update().where(notice.c.user_id == user_id, notice.c.read_at.is_(None))
    if ids is not None:
        query = query.where(notice.c.id.in_(list(ids)))
    with db.write() as conn:
        return conn.execute(query.values(read_at=datetime.now(UTC))).rowcount


def as_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
