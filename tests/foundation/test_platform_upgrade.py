"""The platform's own tables have versioned upgrades: a new database starts at the head revision, a
database from a release before revisions (its tables, no version) is upgraded in place with every
row kept, and a database of a newer release stops the process with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sunmao import accounts, assembly
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from sunmao.storage.upgrade import VERSION_TABLE, DatabaseTooNew, current, head


def _rows(runtime: Runtime) -> dict[str, list[tuple]]:
    out = {}
    with runtime.db.read() as conn:
        for name in sorted(sa.inspect(conn).get_table_names()):
            if name == VERSION_TABLE:
                continue
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            out[name] = [tuple(r) for r in conn.execute(sa.select(*table.c).order_by(*table.c)).all()]
    return out


def _audit_is_append_only(runtime: Runtime) -> bool:
    """Whether changing an audit row is refused (a row is written first: a row trigger needs one)."""
    with runtime.db.write() as conn:
        conn.execute(sm.audit.insert().values(entity="probe", record_id=1, action="created",
                                              at=datetime.now(UTC), revision=1, diff={}))
    try:
        with runtime.db.write() as conn:
            conn.execute(sm.audit.update().values(diff={"changed": True}))
    except sa.exc.DatabaseError as exc:
        return "append-only" in str(exc)
    return False


def test_a_new_database_starts_at_the_head(runtime: Runtime) -> None:
    with runtime.db.read() as conn:
        assert current(conn) == head()
    assert _audit_is_append_only(runtime)
    runtime.setup()  # again: nothing to do
    with runtime.db.read() as conn:
        assert current(conn) == head()


def test_a_database_from_before_revisions_is_upgraded_with_every_row_kept(db_url: str, lab_dir: Path) -> None:
    """The release before revisions made its tables with create_all and knew no triggers: build that,
    fill it through the platform, and start today's code on it."""
    old = assembly.runtime(db_url, check_interval=0)
    with old.db.write() as conn:  # what the previous release's setup did
        sm.create_system_tables(conn, [t for f in old.features for t in f.tables])
    old.install_app(lab_dir)
    records = old.records()
    for i in range(20):
        records.create("widget", {"title": f"旧版本 {i}", "qty": i})
    accounts.create_user(old.db, "dora", "correct horse battery", ["clerk"])
    with old.db.read() as conn:
        assert current(conn) is None and not sa.inspect(conn).has_table(VERSION_TABLE)
    assert not _audit_is_append_only(old)  # the old schema had no guard
    before = _rows(old)
    old.db.dispose()

    new = assembly.runtime(db_url, check_interval=0)
    new.setup()
    with new.db.read() as conn:
        assert current(conn) == head()
    assert _rows(new) == before
    assert _audit_is_append_only(new)
    assert new.records().create("widget", {"title": "升级后"})["name"]
    new.db.dispose()


def test_a_database_of_a_newer_release_stops_everything_with_a_clear_message(runtime: Runtime, db_url: str,
                                                                            tmp_path: Path) -> None:
    with runtime.db.write() as conn:
        conn.execute(sa.text("UPDATE sm_platform_version SET version_num = '9999'"))
    with pytest.raises(DatabaseTooNew, match="revision 9999, which this version of Sunmao does not know"):
        runtime.setup()
    env = {**os.environ, "DATABASE_URL": db_url}
    cli = subprocess.run([sys.executable, "-m", "sunmao.cli", "db", "upgrade"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, check=False)
    assert cli.returncode != 0 and "upgraded by a newer release" in cli.stderr
    wsgi = subprocess.run([sys.executable, "-c", "import sunmao.wsgi"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert wsgi.returncode != 0 and "upgraded by a newer release" in wsgi.stderr


def test_processes_starting_together_upgrade_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            assembly.runtime(db_url, check_interval=0).setup()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    probe = assembly.runtime(db_url, check_interval=0)
    with probe.db.read() as conn:
        assert current(conn) == head()
        assert conn.execute(sa.text("SELECT count(*) FROM sm_platform_version")).scalar_one() == 1
    probe.db.dispose()
