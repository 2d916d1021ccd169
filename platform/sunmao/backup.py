"""Backing up an installation and restoring it into an empty database.

A backup is one ``.tar.gz`` file holding:

* ``manifest.json`` — what was saved: the dialect, every table with its row count, the app
  revisions, the platform version, when, and the *fingerprint* of the secret key (never the key);
* the database — on SQLite a copy made with SQLite's online backup API (consistent while the
  server keeps writing), on PostgreSQL a ``pg_dump --format=custom`` of the installation's schema
  (one snapshot, taken without stopping anyone);
* ``data/`` — the installation's stored files (attachments, printed PDFs, reports) and pending
  imports.

Restoring refuses a database that already holds tables (``--force`` replaces them), refuses a
backup of the other dialect, and verifies the row count of every table against the manifest
before it says done. PostgreSQL restores run in one transaction (``pg_restore
--single-transaction``): a failure leaves the target as it was. The secrets in ``sm_secret`` are
encrypted with ``SUNMAO_SECRET_KEY``: a backup is useless for them without that key, so the
manifest keeps its fingerprint and a restore says plainly when the running key is another one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import unquote

import sqlalchemy as sa

from sunmao.storage.db import Database

FORMAT = 1
#: The folders beside the database that belong to the installation (``Database.data_dir``).
DATA_DIRS = ("files", "imports")
_DB_MEMBER = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class Manifest:
    dialect: str
    tables: dict[str, int]
    created_at: str = ""
    platform_version: str = ""
    schema: str | None = None
    key_fingerprint: str | None = None
    files: int = 0
    #: PostgreSQL extensions the schema's objects use (name → schema), created before a restore.
    extensions: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        raw = json.loads(data)
        if raw.get("format") != FORMAT:
            raise BackupError(f"this backup has format {raw.get('format')!r}; this version reads format {FORMAT}")
        return cls(**{k: v for k, v in raw.items() if k in cls.__dataclass_fields__})


def key_fingerprint() -> str | None:
    """The first 16 hex digits of SHA-256 over the secret key in use (``SUNMAO_SECRET_KEY`` or its
    file), or None when there is none yet. The key itself never goes into a backup."""
    env = os.environ.get("SUNMAO_SECRET_KEY", "").strip()
    if not env:
        path = Path(os.environ.get("SUNMAO_SECRET_KEY_FILE") or "instance/secret.key")
        if not path.is_file():
            return None
        env = path.read_text(encoding="ascii").strip()
    first = env.replace("\n", ",").split(",")[0].strip()
    return hashlib.sha256(first.encode()).hexdigest()[:16]


def table_counts(db: Database) -> dict[str, int]:
    """Every table of the installation and its number of rows."""
    with db.read() as conn:
        names = sorted(sa.inspect(conn).get_table_names())
        return {name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
                for name in names}


def pg_schema(url: sa.URL) -> str:
    """The schema a PostgreSQL URL works in: its ``-csearch_path=`` option, else ``public``."""
    options = unquote(str(url.query.get("options", "")))
    for part in options.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0].strip('"')
    return "public"


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore, and the environment carrying the password
    (so it never shows in the process list)."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed; install the PostgreSQL client of the server's version "
                          "(Debian: apt install postgresql-client)")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _version() -> str:
    try:
        return version("sunmao")
    except PackageNotFoundError:
        return "unknown"


def backup(db: Database, target: Path) -> Manifest:
    """Write a backup of ``db`` (and its stored files) to ``target`` (a ``.tar.gz``)."""
    target = Path(target)
    dialect = db.dialect
    if dialect not in _DB_MEMBER:
        raise BackupError(f"backups of {dialect} databases are not supported")
    with tempfile.TemporaryDirectory(prefix="sunmao-backup-") as tmp:
        dump = Path(tmp) / _DB_MEMBER[dialect]
        if dialect == "sqlite":
            _sqlite_copy(Path(db.url.database), dump)
            counts = table_counts(Database(f"sqlite:///{dump}"))
            schema, extensions = None, {}
        else:
            schema = pg_schema(db.url)
            counts = table_counts(db)
            extensions = _extensions(db)
            conninfo, env = _libpq(db.url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--schema={schema}",
                  f"--file={dump}", f"--dbname={conninfo}"], env)
        files = list(_data_files(db))
        manifest = Manifest(dialect=dialect, tables=counts, schema=schema, key_fingerprint=key_fingerprint(),
                            extensions=extensions if dialect == "postgresql" else {},
                            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                            platform_version=_version(), files=len(files))
        if dialect == "postgresql":
            manifest.notes.append("row counts were read just before pg_dump's snapshot; writes in between "
                                  "show as a difference on restore")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, "manifest.json", manifest.as_json())
            tar.add(dump, arcname=dump.name)
            for path, name in files:
                tar.add(path, arcname=f"data/{name}")
        partial.replace(target)  # a backup file is whole or absent
    return manifest


def _extensions(db: Database) -> dict[str, str]:
    """The database's extensions (but the built-in plpgsql) and the schema each lives in: a dump of
    one schema does not carry them, and its indexes may need them (pg_trgm's operator classes)."""
    with db.read() as conn:
        rows = conn.execute(sa.text("SELECT e.extname, n.nspname FROM pg_extension e JOIN pg_namespace n "
                                    "ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'")).all()
    return {name: schema for name, schema in rows}


def _create_extensions(db: Database, extensions: dict[str, str]) -> None:
    with db.write() as conn:
        for name, schema in extensions.items():
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            conn.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS "{name}" SCHEMA "{schema}"'))


def _sqlite_copy(source: Path, dest: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API; WAL included)."""
    if not source.is_file():
        raise BackupError(f"the database file {source} does not exist")
    _sqlite_pages(sqlite3.connect(f"file:{source}?mode=ro", uri=True), dest)


def _sqlite_pages(src: sqlite3.Connection, dest: Path) -> None:
    out = sqlite3.connect(dest)
    try:
        src.backup(out)
    finally:
        out.close()
        src.close()


def _data_files(db: Database) -> Iterator[tuple[Path, str]]:
    for name in DATA_DIRS:
        base = _data_base(db) / name
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    yield path, f"{name}/{path.relative_to(base).as_posix()}"


def _data_base(db: Database) -> Path:
    # the parent of data_dir(name), without creating anything
    return Path(db.url.database).parent if db.is_sqlite and db.url.database else Path("instance")


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def read_manifest(source: Path) -> Manifest:
    with _open(source) as tar:
        member = tar.extractfile("manifest.json") if "manifest.json" in tar.getnames() else None
        if member is None:
            raise BackupError(f"{source} holds no manifest.json: it is not a Sunmao backup")
        return Manifest.from_json(member.read())


@contextmanager
def _open(source: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(source, "r:gz") as tar:
            yield tar
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} cannot be read as a Sunmao backup: {exc}") from None


@dataclass
class Restored:
    manifest: Manifest
    counts: dict[str, int]
    files: int
    warnings: list[str]


def restore(db: Database, source: Path, *, force: bool = False) -> Restored:
    """Restore the backup ``source`` into ``db``, which must hold no tables (or ``force``)."""
    source = Path(source)
    manifest = read_manifest(source)
    if manifest.dialect != db.dialect:
        raise BackupError(f"this is a backup of a {manifest.dialect} database; the target is {db.dialect} "
                          "(restore into the same kind of database)")
    existing = table_counts(db)
    if existing and not force:
        raise BackupError(f"the target database already holds {len(existing)} tables; restore into an empty "
                          "database, or pass --force to replace them")
    with tempfile.TemporaryDirectory(prefix="sunmao-restore-") as tmp, _open(source) as tar:
        members = {m.name: m for m in tar.getmembers()}
        dump_name = _DB_MEMBER[manifest.dialect]
        if dump_name not in members:
            raise BackupError(f"{source} lacks {dump_name}")
        tar.extract(members[dump_name], tmp, filter="data")
        dump = Path(tmp) / dump_name
        if manifest.dialect == "sqlite":
            db.dispose()
            _sqlite_replace(dump, Path(db.url.database))
        else:
            schema = pg_schema(db.url)
            if schema != manifest.schema:
                raise BackupError(f"the backup is of schema {manifest.schema!r} and the target URL works in "
                                  f"{schema!r}; restore with search_path={manifest.schema}")
            _create_extensions(db, manifest.extensions)
            conninfo, env = _libpq(db.url)
            command = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                       f"--dbname={conninfo}"]
            if existing:
                command += ["--clean", "--if-exists"]
            _run([*command, str(dump)], env)
            db.dispose()
        files = 0
        for name, member in members.items():
            if name.startswith("data/") and member.isfile():
                tar.extract(member, tmp, filter="data")
                files += 1
        _settle_data(Path(tmp) / "data", _data_base(db))
    counts = table_counts(db)
    differ = {t: (n, counts.get(t)) for t, n in manifest.tables.items() if counts.get(t) != n}
    if differ and manifest.dialect == "sqlite":
        raise BackupError(f"the restored tables differ from the backup: {differ}")
    warnings = [f"table {t}: {n} rows in the manifest, {m} restored" for t, (n, m) in differ.items()]
    current = key_fingerprint()
    if manifest.key_fingerprint and current != manifest.key_fingerprint:
        warnings.append("the secret key in use is not the one the backup's secrets were encrypted with "
                        f"(fingerprint {manifest.key_fingerprint}); set SUNMAO_SECRET_KEY to that key, or set the "
                        "channel and webhook secrets again with `sunmao secret set`")
    return Restored(manifest=manifest, counts=counts, files=files, warnings=warnings)


def _sqlite_replace(dump: Path, target: Path) -> None:
    """Copy ``dump`` page by page over ``target`` (SQLite's backup API: other connections see the old
    database or the new one, never a mix)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_pages(sqlite3.connect(dump), target)


def _settle_data(staged: Path, base: Path) -> None:
    """Move the extracted ``data/<dir>/...`` into ``<dir>/...`` beside the database."""
    if not staged.is_dir():
        return
    for path in sorted(staged.rglob("*")):
        if path.is_file():
            dest = base / path.relative_to(staged)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, dest)
