"""The org model: departments, managers, delegations.

It routes approvals (the submitter's manager, the department head) and will scope data in the
screens (mine / my department / my subordinates). Kept as platform tables, not metadata:
people move between departments every week, and that is data, not a published design.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from sunmao.storage import Database
from sunmao.storage.system import system_metadata
from sunmao.storage.system import user as user_table
from sunmao.storage.types import IdType, UTCDateTime

department = sa.Table(
    "sm_department", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(40), nullable=False, unique=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("parent_id", sa.BigInteger),
    sa.Column("head_user_id", sa.BigInteger),
)

membership = sa.Table(
    "sm_membership", system_metadata,
    sa.Column("user_id", sa.BigInteger, primary_key=True),
    sa.Column("department_id", sa.BigInteger),
    sa.Column("position", sa.String(128)),
    sa.Column("manager_id", sa.BigInteger),
)

delegation = sa.Table(
    "sm_delegation", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("delegate_id", sa.BigInteger, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("ends_at", UTCDateTime, nullable=False),
)


def user_id(conn: sa.Connection, username: str) -> int | None:
    return conn.execute(sa.select(user_table.c.id).where(user_table.c.username == username)).scalar()


def add_department(db: Database, key: str, name: str, *, parent: str | None = None, head: str | None = None) -> int:
    with db.write() as conn:
        parent_id = conn.execute(sa.select(department.c.id).where(department.c.key == parent)).scalar() \
            if parent else None
        return conn.execute(department.insert().values(
            key=key, name=name, parent_id=parent_id, head_user_id=user_id(conn, head) if head else None,
        )).inserted_primary_key[0]


def assign(db: Database, username: str, *, department_key: str | None = None, manager: str | None = None,
           position: str | None = None) -> None:
    """Place a user in a department under a manager (replaces the previous placement)."""
    with db.write() as conn:
        uid = user_id(conn, username)
        if uid is None:
            raise LookupError(f"no user named {username!r}")
        dept = conn.execute(sa.select(department.c.id).where(department.c.key == department_key)).scalar() \
            if department_key else None
        conn.execute(membership.delete().where(membership.c.user_id == uid))
        conn.execute(membership.insert().values(user_id=uid, department_id=dept, position=position,
                                                manager_id=user_id(conn, manager) if manager else None))


def delegate(db: Database, username: str, to: str, until: datetime, *, starts: datetime | None = None) -> None:
    """While away, ``username``'s new approval tasks go to ``to`` until ``until``."""
    with db.write() as conn:
        conn.execute(delegation.insert().values(
            user_id=user_id(conn, username), delegate_id=user_id(conn, to),
            starts_at=starts or datetime.now(UTC), ends_at=until))


def manager_of(conn: sa.Connection, uid: int) -> int | None:
    return conn.execute(sa.select(membership.c.manager_id).where(membership.c.user_id == uid)).scalar()


def department_head_of(conn: sa.Connection, uid: int) -> int | None:
    return conn.execute(
        sa.select(department.c.head_user_id).join(membership, membership.c.department_id == department.c.id)
        .where(membership.c.user_id == uid)).scalar()


def delegate_for(conn: sa.Connection, uid: int, at: datetime) -> int | None:
    return conn.execute(sa.select(delegation.c.delegate_id).where(
        delegation.c.user_id == uid, delegation.c.starts_at <= at, delegation.c.ends_at > at)
        .order_by(delegation.c.id.desc())).scalar()


def users_with_role(conn: sa.Connection, role: str) -> list[int]:
    rows = conn.execute(sa.select(user_table.c.id, user_table.c.roles).where(user_table.c.active.is_(True))
                        .order_by(user_table.c.id))
    return [r.id for r in rows if role in (r.roles or ())]


def department_members(conn: sa.Connection, uid: int) -> list[int]:
    """Everyone in the user's department (the user included)."""
    dept = conn.execute(sa.select(membership.c.department_id).where(membership.c.user_id == uid)).scalar()
    if dept is None:
        return [uid]
    return list(conn.execute(sa.select(membership.c.user_id).where(membership.c.department_id == dept)).scalars())


def subordinates(conn: sa.Connection, uid: int, limit: int = 10_000) -> list[int]:
    """Everyone under the user in the reporting lines, at any depth."""
    found: list[int] = []
    frontier = [uid]
    seen = {uid}
    while frontier and len(found) < limit:
        rows = conn.execute(sa.select(membership.c.user_id).where(membership.c.manager_id.in_(frontier))).scalars()
        frontier = [r for r in rows if r not in seen]
        seen.update(frontier)
        found += frontier
    return found
