"""A data version per entity: a counter moved by every write, in the write's transaction.

Whatever is derived from an entity's rows and kept for later (a dashboard's cached aggregate)
is keyed by the versions of the entities it read: a write moves the counter, so the next
reader looks under a new key and computes again. The counter is bumped in the same
transaction as the change, so a reader that sees the new version also sees the new rows
(the reader reads the versions first). On PostgreSQL concurrent writers of one entity queue
on the counter row only between their last statement and their commit.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sunmao.storage import system as sm
from sunmao.storage.prepared import Prepared

data_version = sa.Table(
    "sm_data_version", sm.system_metadata,
    sa.Column("entity", sa.String(40), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

_BUMPS: dict[str, Prepared] = {}


def _bump(dialect: str) -> Prepared:
    statement = _BUMPS.get(dialect)
    if statement is None:
        module = postgresql if dialect == "postgresql" else sqlite
        insert = module.insert(data_version).values(entity=sa.bindparam("e"), version=1)
        statement = _BUMPS[dialect] = Prepared(insert.on_conflict_do_update(
            index_elements=["entity"], set_={"version": data_version.c.version + 1}))
    return statement


def bump(conn: sa.Connection, entities: Iterable[str]) -> None:
    """Move the version of each entity written (in the writer's transaction)."""
    statement = _bump(conn.dialect.name)
    for entity in sorted(set(entities)):  # a fixed order: two writers never wait on each other in a circle
        statement.execute(conn, {"e": entity})


def read(conn: sa.Connection, entities: Iterable[str]) -> tuple[tuple[str, int], ...]:
    """The current versions of ``entities`` (0 for one never written), in a stable order."""
    wanted = sorted(set(entities))
    found = dict(conn.execute(sa.select(data_version.c.entity, data_version.c.version)
                              .where(data_version.c.entity.in_(wanted))).all())
    return tuple((e, int(found.get(e, 0))) for e in wanted)
