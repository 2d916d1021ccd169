"""`sunmao backup` and `sunmao restore`: a backup restored into an empty database holds every row of
every table and every stored file; a restore that cannot be done says why and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sunmao import accounts, assembly
from sunmao.backup import BackupError, backup, read_manifest, restore, table_counts
from sunmao.runtime import Runtime
from sunmao.storage.db import Database
from tests.conftest import PG_URL


def _rows(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order (values as the database returns them)."""
    out = {}
    with db.read() as conn:
        for name in sorted(sa.inspect(conn).get_table_names()):
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            columns = list(table.c)
            rows = conn.execute(sa.select(*columns).order_by(*columns)).all()
            out[name] = [tuple(row) for row in rows]
    return out


@pytest.fixture
def empty_target(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind: a new SQLite file, or a new PostgreSQL database whose
    search_path is the source's schema (pg_restore recreates the schema there)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'sunmao.db'}"
        return
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield str(sa.make_url(db_url).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def filled(lab: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The lab app with records, lines, audit entries, outbox events, a user, a token and a stored file."""
    monkeypatch.chdir(tmp_path)  # PostgreSQL installations keep their files under ./instance
    records = lab.records()
    supplier = records.create("supplier", {"title": "宁波精工"})
    for i in range(40):
        records.create("widget", {"title": f"部件 {i}", "qty": i, "price": f"{i}.25", "supplier": supplier["id"],
                                  "tags": ["rush"], "extra": {"n": i},
                                  "parts": [{"part": f"p{i}", "qty": "2", "unit_price": "1.50"}]} if i % 3 == 0 else
                       {"title": f"widget {i}", "qty": i})
    accounts.create_user(lab.db, "dora", "correct horse battery", ["clerk"])
    accounts.create_token(lab.db, "dora", "backup test")
    (lab.db.data_dir("files") / "f0e1").write_bytes(b"%PDF-1.4 attachment")
    return lab


def test_a_backup_restores_every_row_of_every_table_and_every_file(filled: Runtime, empty_target: str,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "nightly.tar.gz"
    manifest = backup(filled.db, path)
    assert manifest.tables["t_widget"] == 40 and manifest.files == 1
    assert read_manifest(path).tables == manifest.tables

    target = Database(empty_target)
    try:
        done = restore(target, path)
        assert done.warnings == [] and done.files == 1
        source_rows, restored_rows = _rows(filled.db), _rows(target)
        assert sorted(restored_rows) == sorted(source_rows)
        for table, rows in source_rows.items():
            assert restored_rows[table] == rows, f"table {table} differs after restore"
        base = Path(target.url.database).parent if target.is_sqlite else tmp_path / "instance"
        assert (base / "files" / "f0e1").read_bytes() == b"%PDF-1.4 attachment"

        # the restored installation runs: it reads its app and takes new records with the next numbers
        restored = assembly.runtime(empty_target, check_interval=0)
        restored.setup()
        made = restored.records().create("widget", {"title": "after restore"})
        with filled.db.read() as conn:
            names = conn.execute(sa.text("SELECT name FROM t_widget")).scalars().all()
        assert made["name"] not in names and made["name"] > max(names)
        restored.db.dispose()
    finally:
        target.dispose()


def test_a_restore_into_a_database_with_tables_is_refused_and_changes_nothing(filled: Runtime,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / "b.tar.gz"
    backup(filled.db, path)
    before = table_counts(filled.db)
    with pytest.raises(BackupError, match="already holds .* tables; restore into an empty database, or pass --force"):
        restore(filled.db, path)
    assert table_counts(filled.db) == before


def test_what_is_not_a_backup_or_of_the_other_kind_is_refused_by_name(filled: Runtime, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(BackupError, match="cannot be read as a Sunmao backup"):
        restore(filled.db, junk)
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        tar.add(__file__, arcname="readme.txt")
    with pytest.raises(BackupError, match="holds no manifest.json"):
        read_manifest(other)

    path = tmp_path / "b.tar.gz"
    backup(filled.db, path)
    other_kind = "sqlite:///" + str(tmp_path / "x.db") if not filled.db.is_sqlite else PG_URL
    with pytest.raises(BackupError, match="restore into the same kind of database"):
        restore(Database(other_kind), path)


def test_the_commands_back_up_and_restore_and_name_the_secret_key(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'a' / 'sunmao.db'}",
           "SUNMAO_SECRET_KEY_FILE": str(tmp_path / "secret.key")}
    env.pop("SUNMAO_SECRET_KEY", None)
    cli = [sys.executable, "-m", "sunmao.cli"]

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cli, *args], env={**env, **extra}, cwd=tmp_path, capture_output=True, text=True,
                              check=False, timeout=120)

    assert run("db", "upgrade").returncode == 0
    secret = subprocess.run([*cli, "secret", "set", "erp"], input="s3cr3t-erp\n", env=env, cwd=tmp_path,
                            capture_output=True, text=True, check=False, timeout=120)
    assert secret.returncode == 0, secret.stderr  # creates the key file
    made = run("backup", str(tmp_path / "b.tar.gz"))
    assert made.returncode == 0, made.stderr
    assert "fingerprint" in made.stdout and "tables" in made.stdout

    target = f"sqlite:///{tmp_path / 'b' / 'sunmao.db'}"
    done = run("restore", str(tmp_path / "b.tar.gz"), DATABASE_URL=target)
    assert done.returncode == 0 and "Restored" in done.stdout and "warning" not in done.stderr
    again = run("restore", str(tmp_path / "b.tar.gz"), DATABASE_URL=target)
    assert again.returncode == 1 and "--force" in again.stderr
    other_key = run("restore", str(tmp_path / "b.tar.gz"), "--force", DATABASE_URL=target,
                    SUNMAO_SECRET_KEY_FILE=str(tmp_path / "other.key"))
    assert other_key.returncode == 0
    assert "not the one the backup's secrets were encrypted with" in other_key.stderr
