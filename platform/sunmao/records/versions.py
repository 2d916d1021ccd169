"""The data version of an entity: what cached derivations of its rows are keyed by.

Whatever is derived from an entity's rows and kept for later (a dashboard's cached aggregate)
is keyed by the versions of the entities it read: after a write the next reader finds a new
key and computes again. A version is the pair

- the id of the entity's latest audit entry — every write through the record service writes
  one, in the write's own transaction, so a reader that sees the new id also sees the new rows;
  one indexed look-up per entity, and no row that every writer must update (concurrent writers
  of one entity never queue on a counter);
- a counter for what changes derived data without a record write (a back-fill of the stage
  history), moved only by those rare jobs.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sunmao.storage import Prepared
from sunmao.storage import system as sm

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
    """Move the counter of each entity whose derived data changed without a record write."""
    statement = _bump(conn.dialect.name)
    for entity in sorted(set(entities)):  # a fixed order: two writers never wait on each other in a circle
        statement.execute(conn, {"e": entity})


def read(conn: sa.Connection, entities: Iterable[str]) -> tuple[tuple[str, int, int], ...]:
    """(entity, latest audit id, counter) of each entity, in a stable order (0 for none)."""
    wanted = sorted(set(entities))
    if not wanted:
        return ()
    audit = sm.audit
    latest = [sa.select(sa.func.max(audit.c.id)).where(audit.c.entity == e).scalar_subquery().label(f"a{i}")
              for i, e in enumerate(wanted)]  # one index probe each (ix_sm_audit_entity_id)
    marks = conn.execute(sa.select(*latest)).one()
    counters = dict(conn.execute(sa.select(data_version.c.entity, data_version.c.version)
                                 .where(data_version.c.entity.in_(wanted))).all())
    return tuple((e, int(marks[i] or 0), int(counters.get(e, 0))) for i, e in enumerate(wanted))
