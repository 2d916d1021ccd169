"""Every designer action leaves a row: who, when, what, on which draft or version.

Written in the transaction of the action itself, so an action that failed left no row and
one that happened cannot lack one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.designer.tables import design_audit
from sunmao.storage import Database


@dataclass(frozen=True)
class Designer:
    """Who acts in the designer (a signed-in user, a token's user, or the CLI)."""

    username: str
    id: int | None = None


CLI = Designer("cli")


def record(conn: sa.Connection, who: Designer, action: str, *, draft_id: int | None = None,
           version: int | None = None, detail: Mapping[str, Any] | None = None) -> None:
    conn.execute(design_audit.insert().values(
        at=datetime.now(UTC), user_id=who.id, username=who.username, action=action, draft_id=draft_id,
        version=version, detail=dict(detail or {})))


def entries(db: Database, *, limit: int = 200, draft_id: int | None = None) -> list[dict[str, Any]]:
    query = sa.select(design_audit).order_by(design_audit.c.id.desc()).limit(limit)
    if draft_id is not None:
        query = query.where(design_audit.c.draft_id == draft_id)
    with db.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
