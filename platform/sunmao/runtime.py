"""The runtime: one database, the published metadata version, and its compiled snapshot.

Every process (web worker, job worker, CLI) holds one Runtime. The published version is a
row in ``sm_setting``; a process checks it cheaply (at most every ``check_interval``
seconds) and builds the snapshot of a new version under a lock, keeping the last two so
that requests still running on the previous version finish undisturbed.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sunmao.cache import LastVersions
from sunmao.errors import RevisionNotFound
from sunmao.feature import Feature, check_features
from sunmao.i18n import Text
from sunmao.meta.errors import MetadataError, Problem
from sunmao.meta.model import Entity
from sunmao.meta.package import AppPackage, export_package, load_package
from sunmao.records import RecordService
from sunmao.snapshot import Apps, FeatureCompiler, Snapshot, compile_snapshot
from sunmao.storage import Database
from sunmao.storage import system as sm
from sunmao.storage.migrate import MigrationRefused, Migrator, Step
from sunmao.storage.upgrade import upgrade_platform

PUBLISHED = "published_version"
KEEP_SNAPSHOTS = 2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishResult:
    version: int
    steps: list[Step]
    #: Entities whose stored formulas or roll-ups changed and were recomputed.
    recomputed: tuple[str, ...] = ()
    #: What the published documents will meet in the data and should be looked at (``Text``s).
    warnings: tuple[Any, ...] = ()
    #: A dry run's changes that would lose data (``MigrationRefused``s, each with its rows); a
    #: real publish raises the first instead.
    refused: tuple[MigrationRefused, ...] = ()


class VersionMoved(Exception):
    """The published version is no longer the one the caller based its documents on."""

    def __init__(self, expected: int | None, current: int | None):
        self.expected, self.current = expected, current
        super().__init__(f"version {current} is published, not {expected}")


def changed_formulas(old: Mapping[str, Entity], new: Mapping[str, Entity]) -> tuple[str, ...]:
    """Entities with existing rows whose stored computed values a publish made stale."""
    def signature(entity: Entity) -> list[Any]:
        # the search key (pinyin of the search fields) is a stored derived value too
        key = [(entity.search_key, entity.search_fields)] if entity.search_key else []
        return key + [(f.id, f.formula, f.rollup, f.result_type, f.scale) for f in entity.fields
                      if f.type == "computed"]

    stale = {key for key, entity in new.items() if key in old and signature(old[key]) != signature(entity)}
    # A child's formulas are stored in its parent's write: recompute the parents.
    parents = {e.key for e in new.values() for f in e.table_fields if f.of in stale}
    return tuple(sorted({k for k in stale | parents if not new[k].child}))


class _DryRun(Exception):
    """Unwinds the publishing transaction of a dry run (nothing is written)."""

    def __init__(self, result: PublishResult):
        self.result = result


class Runtime:
    """One database and the engine features it runs with (``sunmao.assembly.runtime`` makes one
    with every feature; a test may pass fewer)."""

    def __init__(self, db: Database | str | None = None, *, features: Sequence[Feature],
                 check_interval: float = 0.5):
        self.db = db if isinstance(db, Database) else Database(db)
        self.features: tuple[Feature, ...] = check_features(features)
        #: The snapshot compilers of the features, in feature order.
        self.compilers: tuple[FeatureCompiler, ...] = tuple(c for f in self.features for c in f.compilers)
        self.check_interval = check_interval
        self._snapshots: LastVersions[int, Snapshot] = LastVersions(KEEP_SNAPSHOTS)
        self._known: tuple[float, int | None] = (0.0, None)

    # -- setup -----------------------------------------------------------------------------

    def setup(self) -> None:
        """Create the platform's own tables (idempotent)."""
        with self.db.write() as conn:
            self.db.lock(conn, "platform-schema")  # two processes starting at once upgrade once
            upgrade_platform(conn, [t for f in self.features for t in f.tables])
            version = self._read_version(conn)
            if version is not None:  # indexes a newer platform asks of the published entities
                made = Migrator(conn, version).add_missing_indexes(self.snapshot(version).entities.values())
                if made:
                    log.info("created indexes the platform now asks for: %s", ", ".join(made))

    # -- versions --------------------------------------------------------------------------

    def _read_version(self, conn: sa.Connection) -> int | None:
        value = conn.execute(sa.select(sm.setting.c.value).where(sm.setting.c.key == PUBLISHED)).scalar()
        return int(value) if value is not None else None

    def current_version(self, *, fresh: bool = False) -> int | None:
        """The published version, read from the database at most every ``check_interval`` seconds."""
        checked_at, known = self._known
        now = time.monotonic()
        if fresh or known is None or now - checked_at >= self.check_interval:
            with self.db.read() as conn:
                known = self._read_version(conn)
            self._known = (now, known)
        return known

    def snapshot(self, version: int | None = None) -> Snapshot:
        """The compiled snapshot of a version (the published one by default)."""
        version = version if version is not None else self.current_version()
        if version is None:
            raise LookupError("no metadata is published yet: run `sunmao app install PATH`")
        return self._snapshots.get(version, self._compile_revision)

    def _compile_revision(self, version: int) -> Snapshot:
        return compile_snapshot(version, self.revision_documents(version), features=self.compilers)

    def revision_documents(self, version: int) -> dict[str, dict[str, Any]]:
        with self.db.read() as conn:
            docs = conn.execute(sa.select(sm.revision.c.documents).where(sm.revision.c.version == version)).scalar()
        if docs is None:
            raise RevisionNotFound(Text(f"版本 {version} 不存在", f"revision {version} does not exist"))
        return docs

    def revision_texts(self, version: int) -> dict[str, dict[str, str]]:
        with self.db.read() as conn:
            return conn.execute(sa.select(sm.revision.c.texts).where(sm.revision.c.version == version)).scalar() or {}

    def records(self, snapshot: Snapshot | None = None) -> RecordService:
        return RecordService(self.db, snapshot or self.snapshot())

    # -- publishing ------------------------------------------------------------------------

    def publish(self, apps: Apps, *, by: str | None = None, note: str | None = None,
                texts: Mapping[str, Mapping[str, str]] | None = None, dry_run: bool = False,
                expect_version: int | None = None) -> PublishResult:
        """Validate, migrate and publish a full set of documents as a new version.

        The schema migration, the revision row and the version switch are one transaction: if
        any step fails (a refused type change, a database error) nothing changes. With
        ``expect_version``, the publish is refused (``VersionMoved``) unless that version is
        still the published one when the transaction holds the lock — two designers never
        overwrite each other.
        """
        apps = copy.deepcopy({k: dict(v) for k, v in apps.items()})
        try:
            return self._publish(apps, by=by, note=note, texts=texts, dry_run=dry_run, expect=expect_version)
        except _DryRun as done:
            return done.result

    def _publish(self, apps: dict[str, dict[str, Any]], *, by: str | None, note: str | None,
                 texts: Mapping[str, Mapping[str, str]] | None, dry_run: bool, expect: int | None) -> PublishResult:
        with self.db.write() as conn:
            if not self.db.is_sqlite:
                conn.execute(sa.select(sm.setting).where(sm.setting.c.key == PUBLISHED).with_for_update())
            current = self._read_version(conn)
            if expect is not None and current != expect:
                raise VersionMoved(expect, current)
            latest = conn.execute(sa.select(sa.func.max(sm.revision.c.version))).scalar() or 0
            version = latest + 1
            snap = compile_snapshot(version, apps, features=self.compilers)
            old_entities = self.snapshot(current).entities if current is not None else {}
            migrator = Migrator(conn, version)
            refused: list[MigrationRefused] | None = [] if dry_run else None
            steps = migrator.plan(old_entities, snap.entities, refused)
            if dry_run:
                raise _DryRun(PublishResult(version, steps, refused=tuple(refused or ())))
            migrator.apply(steps)
            conn.execute(sm.revision.insert().values(
                version=version, documents=apps, texts={k: dict(v) for k, v in (texts or {}).items()},
                note=note, created_at=datetime.now(UTC), created_by=by))
            self._set_version(conn, version)
        self._snapshots.put(version, snap)
        self._known = (time.monotonic(), version)
        stale = changed_formulas(old_entities, snap.entities)
        if stale:
            records = RecordService(self.db, snap)
            for entity_key in stale:
                records.recompute(entity_key)
        with self.db.read() as conn:
            warnings = tuple(w for f in self.features for check in f.data_checks
                             for w in check(snap, conn))
        return PublishResult(version, steps, stale, warnings)

    def _set_version(self, conn: sa.Connection, version: int) -> None:
        updated = conn.execute(sm.setting.update().where(sm.setting.c.key == PUBLISHED).values(value=str(version)))
        if updated.rowcount == 0:
            conn.execute(sm.setting.insert().values(key=PUBLISHED, value=str(version)))

    def current_apps(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
        version = self.current_version(fresh=True)
        if version is None:
            return {}, {}
        return self.revision_documents(version), self.revision_texts(version)

    def install_app(self, path: str | Path, *, by: str | None = None) -> PublishResult:
        """Install (or upgrade) an app package from a directory as a new published version."""
        package = load_package(path)
        apps, texts = self.current_apps()
        apps[package.key] = package.documents
        texts[package.key] = package.texts
        return self.publish(apps, by=by, note=f"install {package.key} {package.manifest['version']}", texts=texts)

    def export_app(self, key: str, path: str | Path) -> list[Path]:
        apps, texts = self.current_apps()
        if key not in apps:
            raise MetadataError([Problem(key, "$", f"app {key!r} is not installed; installed: {', '.join(apps)}")])
        return export_package(AppPackage(key, apps[key], texts.get(key, {})), path)

    def rollback(self, version: int, *, by: str | None = None) -> PublishResult:
        """Publish the documents of an earlier version again (as a new version: history is kept)."""
        return self.publish(self.revision_documents(version), by=by, note=f"rollback to {version}",
                            texts=self.revision_texts(version))
