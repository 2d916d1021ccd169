"""Column mapping: which spreadsheet column fills which field.

Headers are matched to fields by label (either language) or key, ignoring case, spaces and
punctuation, so "客户名称", "Company name" and "company_name" all find ``company_name``. The
mapping a user confirms is remembered per user and entity and offered first next time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa

from sunmao.imports.tables import mapping as mapping_table
from sunmao.meta.model import Entity, Field
from sunmao.storage import Database

_JUNK = re.compile(r"[\s_\-./()（）:：*]+")


def importable(entity: Entity) -> list[Field]:
    """Fields a spreadsheet may fill: inputs, not tables or computed values."""
    return [f for f in entity.fields if f.is_input and not f.hidden and f.type not in ("table", "json", "attachment")]


def _norm(text: str) -> str:
    return _JUNK.sub("", text).lower()


def auto_map(entity: Entity, headers: list[str], remembered: dict[str, str] | None = None) -> dict[str, str]:
    """``{header: field key}`` for every header that names a field (remembered choices first)."""
    fields = importable(entity)
    by_name: dict[str, str] = {}
    for f in fields:
        for name in (f.key, f.label.zh, f.label.en):
            by_name.setdefault(_norm(name), f.key)
    keys = {f.key for f in fields}
    out: dict[str, str] = {}
    for header in headers:
        if not header:
            continue
        chosen = (remembered or {}).get(header)
        if chosen in keys or chosen == "":
            if chosen:
                out[header] = chosen
            continue
        match = by_name.get(_norm(header))
        if match and match not in out.values():
            out[header] = match
    return out


def remembered(db: Database, user_id: int, entity: str) -> dict[str, str]:
    with db.read() as conn:
        value = conn.execute(sa.select(mapping_table.c.mapping).where(mapping_table.c.user_id == user_id,
                                                                      mapping_table.c.entity == entity)).scalar()
    return dict(value or {})


def remember(db: Database, user_id: int, entity: str, chosen: dict[str, str]) -> None:
    now = datetime.now(UTC)
    with db.write() as conn:
        done = conn.execute(mapping_table.update().where(mapping_table.c.user_id == user_id,
                                                         mapping_table.c.entity == entity)
                            .values(mapping=chosen, updated_at=now))
        if done.rowcount == 0:
            conn.execute(mapping_table.insert().values(user_id=user_id, entity=entity, mapping=chosen, updated_at=now))
