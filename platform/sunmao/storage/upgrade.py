"""Versioned upgrades of the platform's own tables, with Alembic's revision chain.

``Runtime.setup`` (and ``sunmao db upgrade``) calls :func:`upgrade_platform` in its write
transaction: missing tables are created from the features' definitions; then the revisions in
:mod:`sunmao.storage.platform_versions` that the database has not had run in order, and the
database records the head in ``sm_platform_version``. A database without a version row — a new
one, or one from a release before revisions were kept — is stamped at the baseline and every
revision runs; so a revision that changes an existing table must also work on the table as
``create_all`` makes it today (add a column only when it is missing, create a trigger if not
there): the tests run every revision on both kinds.

A database stamped with a revision this code does not know was upgraded by a newer release:
:class:`DatabaseTooNew` says so and nothing starts — running old code on it could write what the
newer code no longer reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sunmao.storage import system as sm

VERSION_TABLE = "sm_platform_version"
BASELINE = "0001"
_VERSIONS = Path(__file__).resolve().parent / "platform_versions"


class DatabaseTooNew(RuntimeError):
    """The database's platform tables are of a newer release than this code."""


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(_VERSIONS.parent), version_locations=[str(_VERSIONS)])


def head() -> str:
    return _script().get_current_head()


def _context(conn: sa.Connection, fn: object = None) -> MigrationContext:
    opts = {"version_table": VERSION_TABLE}
    if fn is not None:
        opts["fn"] = fn
    return MigrationContext.configure(connection=conn, opts=opts)


def current(conn: sa.Connection) -> str | None:
    """The revision the database's platform tables are at (None: never stamped)."""
    return _context(conn).get_current_revision()


def upgrade_platform(conn: sa.Connection, tables: Iterable[sa.Table] = ()) -> tuple[str | None, str]:
    """Bring the platform tables to the head revision in ``conn``'s transaction; returns
    (revision before, revision after)."""
    script = _script()
    before = current(conn)
    if before is not None:
        try:
            script.get_revision(before)
        except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown id
            raise DatabaseTooNew(
                f"the database's platform tables are at revision {before}, which this version of Sunmao does not "
                f"know (its newest is {head()}): it was upgraded by a newer release. Run that release, or restore "
                "a backup made before the upgrade.") from None
    sm.create_system_tables(conn, tables)
    if before is None:  # a new database, or one from before revisions: every revision runs once
        _context(conn).stamp(script, BASELINE)
    target = head()

    def steps(rev: object, context: MigrationContext) -> list[object]:
        return script._upgrade_revs(target, rev)  # noqa: SLF001 - what `alembic upgrade` itself calls

    context = _context(conn, steps)
    with Operations.context(context):
        context.run_migrations()
    return before, target
