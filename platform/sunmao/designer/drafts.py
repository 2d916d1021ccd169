"""Drafts: a full copy of the app documents, edited in the database, never lost with a tab.

A draft starts as a copy of a published version (its *base*). Every change — one document
saved by an editor, a rename that rewrites references in five documents, a merge — is one
*edit*: the replacements it made, in ``sm_draft_edit``, so undo and redo replay them backwards
and forwards after a reload or a restart. Each change raises the draft's ``rev``; a save that
names an older ``rev`` is refused with the current one (two tabs never overwrite each other).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.designer import audit
from sunmao.designer.audit import Designer
from sunmao.designer.diff import Change, apply, changes
from sunmao.designer.jsonpath import MISSING
from sunmao.designer.tables import draft, draft_document, draft_edit
from sunmao.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.model import IDENTIFIER
from sunmao.runtime import Runtime

MANIFEST = "app.json"
#: A document's address in a draft: ``<app key>/<path in the package>``.
Address = str
#: A document's path in its package: folders and a ``.json`` file, nothing that leaves the package.
PATH = re.compile(r"^[a-z0-9_][a-z0-9_./-]{0,200}\.json$")


def split(address: Address) -> tuple[str, str]:
    app, sep, path = address.partition("/")
    if not sep or not IDENTIFIER.match(app) or not PATH.match(path) or ".." in path.split("/"):
        raise ValidationFailed(Text(f"文档地址 {address!r} 无效，应为 应用/路径，如 my_app/entities/thing.json",
                               f"{address!r} is not a document address; use app/path, e.g. "
                               "my_app/entities/thing.json"))
    return app, path


def join(app: str, path: str) -> Address:
    return f"{app}/{path}"


@dataclass(frozen=True)
class DraftInfo:
    id: int
    title: str
    base_version: int
    state: str
    rev: int
    origin: dict[str, Any]
    conflicts: list[dict[str, Any]]
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    published_version: int | None
    can_undo: bool = False
    can_redo: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "base_version": self.base_version, "state": self.state,
                "rev": self.rev, "origin": self.origin, "conflicts": self.conflicts, "created_by": self.created_by,
                "created_at": self.created_at.isoformat(), "updated_by": self.updated_by,
                "updated_at": self.updated_at.isoformat(), "published_version": self.published_version,
                "can_undo": self.can_undo, "can_redo": self.can_redo}


class DraftMoved(PreconditionFailed):
    title = Text("草稿已在别处修改", "The draft was changed elsewhere")

    def __init__(self, current: int):
        super().__init__(Text(f"草稿已更新到第 {current} 版（可能在另一个标签页）：请重新载入后再改",
                              f"the draft is now at revision {current} (another tab?): reload it, then edit again"),
                         rev=current)


class DraftClosed(Conflict):
    title = Text("草稿已关闭", "The draft is closed")


def draft_not_found(draft_id: int) -> NotFound:
    return NotFound(Text(f"草稿 {draft_id} 不存在", f"draft {draft_id} does not exist"))


def document_not_found(address: str) -> NotFound:
    return NotFound(Text(f"草稿中没有文档 {address}", f"the draft has no document {address}"))


def sync_manifest(docs: dict[str, Any]) -> None:
    """Keep an app manifest's ``documents`` list equal to the documents there are (its order
    kept, new ones appended): a package is loaded from that list."""
    manifest = docs.get(MANIFEST)
    if not isinstance(manifest, dict):
        return
    listed = [p for p in manifest.get("documents", []) if p in docs and p != MANIFEST]
    listed += sorted(p for p in docs if p != MANIFEST and p not in listed)
    if listed != manifest.get("documents"):
        manifest["documents"] = listed


@dataclass(frozen=True)
class Edit:
    seq: int
    summary: Text
    changes: list[tuple[Address, Change]]
    undone: bool
    at: datetime
    by: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "summary": self.summary.as_dict(), "undone": self.undone,
                "at": self.at.isoformat(), "by": self.by,
                "documents": sorted({address for address, _ in self.changes})}


class Drafts:
    """The drafts of one database."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.db = runtime.db

    # -- reading ---------------------------------------------------------------------------

    def _info(self, conn: sa.Connection, draft_id: int) -> DraftInfo:
        row = conn.execute(sa.select(draft).where(draft.c.id == draft_id)).mappings().first()
        if row is None:
            raise draft_not_found(draft_id)
        done = conn.execute(sa.select(draft_edit.c.undone, sa.func.count()).where(draft_edit.c.draft_id == draft_id)
                            .group_by(draft_edit.c.undone)).all()
        counts = {bool(undone): n for undone, n in done}
        return DraftInfo(row["id"], row["title"], row["base_version"], row["state"], row["rev"], row["origin"] or {},
                         row["conflicts"] or [], row["created_by"], row["created_at"], row["updated_by"],
                         row["updated_at"], row["published_version"], counts.get(False, 0) > 0,
                         counts.get(True, 0) > 0)

    def info(self, draft_id: int) -> DraftInfo:
        with self.db.read() as conn:
            return self._info(conn, draft_id)

    def list(self, states: Iterable[str] = ("open",)) -> list[DraftInfo]:
        with self.db.read() as conn:
            ids = conn.execute(sa.select(draft.c.id).where(draft.c.state.in_(list(states)))
                               .order_by(draft.c.updated_at.desc())).scalars().all()
            return [self._info(conn, i) for i in ids]

    def _documents(self, conn: sa.Connection, draft_id: int) -> dict[str, dict[str, Any]]:
        apps: dict[str, dict[str, Any]] = {}
        rows = conn.execute(sa.select(draft_document.c.app, draft_document.c.path, draft_document.c.document)
                            .where(draft_document.c.draft_id == draft_id)
                            .order_by(draft_document.c.app, draft_document.c.path))
        for app, path, doc in rows:
            apps.setdefault(app, {})[path] = doc
        # The manifest's order is the package's order (documents are read in that order).
        for app, docs in apps.items():
            manifest = docs.get(MANIFEST)
            if isinstance(manifest, dict):
                order = [MANIFEST, *[p for p in manifest.get("documents", []) if p in docs]]
                apps[app] = {p: docs[p] for p in order + [p for p in docs if p not in order]}
        return apps

    def documents(self, draft_id: int) -> dict[str, dict[str, Any]]:
        with self.db.read() as conn:
            self._info(conn, draft_id)
            return self._documents(conn, draft_id)

    def document(self, draft_id: int, address: Address) -> Any:
        app, path = split(address)
        with self.db.read() as conn:
            self._info(conn, draft_id)
            doc = conn.execute(sa.select(draft_document.c.document).where(
                draft_document.c.draft_id == draft_id, draft_document.c.app == app,
                draft_document.c.path == path)).scalar()
        if doc is None:
            raise document_not_found(address)
        return doc

    def texts(self, draft_id: int) -> dict[str, dict[str, str]]:
        with self.db.read() as conn:
            texts = conn.execute(sa.select(draft.c.texts).where(draft.c.id == draft_id)).scalar()
        return texts or {}

    def log(self, draft_id: int) -> list[Edit]:
        with self.db.read() as conn:
            self._info(conn, draft_id)
            rows = conn.execute(sa.select(draft_edit).where(draft_edit.c.draft_id == draft_id)
                                .order_by(draft_edit.c.seq)).mappings().all()
        return [_edit(r) for r in rows]

    # -- creating --------------------------------------------------------------------------

    def create(self, who: Designer, *, title: str, base_version: int | None = None,
               documents: Mapping[str, Mapping[str, Any]] | None = None,
               texts: Mapping[str, Mapping[str, str]] | None = None, origin: Mapping[str, Any] | None = None,
               conflicts: list[dict[str, Any]] | None = None) -> DraftInfo:
        """A draft of ``documents`` (default: the documents of ``base_version``, default the published one)."""
        base = base_version if base_version is not None else self.runtime.current_version(fresh=True)
        if base is None:
            raise Conflict(Text("尚未发布任何版本：请先安装应用", "nothing is published yet: install an app first"))
        docs = copy.deepcopy(dict(documents) if documents is not None else self.runtime.revision_documents(base))
        texts = dict(texts) if texts is not None else self.runtime.revision_texts(base)
        for app_docs in docs.values():
            sync_manifest(app_docs)
        now = datetime.now(UTC)
        with self.db.write() as conn:
            draft_id = conn.execute(draft.insert().values(
                title=title[:200] or "draft", base_version=base, state="open", rev=0, texts=texts,
                origin=dict(origin or {"kind": "new"}), conflicts=list(conflicts or []), created_by=who.username,
                created_at=now, updated_by=who.username, updated_at=now)).inserted_primary_key[0]
            rows = [{"draft_id": draft_id, "app": app, "path": path, "document": doc}
                    for app, app_docs in docs.items() for path, doc in app_docs.items()]
            if rows:
                conn.execute(draft_document.insert(), rows)
            audit.record(conn, who, "draft.create", draft_id=draft_id, version=base,
                         detail={"title": title, "origin": dict(origin or {"kind": "new"})})
            return self._info(conn, draft_id)

    # -- editing ---------------------------------------------------------------------------

    def _lock(self, conn: sa.Connection, draft_id: int, expect_rev: int | None, *, open_only: bool = True
              ) -> DraftInfo:
        self.db.lock(conn, f"draft:{draft_id}")
        info = self._info(conn, draft_id)
        if open_only and info.state != "open":
            raise DraftClosed(Text(f"草稿 {draft_id} 已{_STATE_WORDS.get(info.state, info.state)}，不能再修改",
                                   f"draft {draft_id} is {info.state}; it can no longer be changed"))
        if expect_rev is not None and expect_rev != info.rev:
            raise DraftMoved(info.rev)
        return info

    def edit(self, draft_id: int, who: Designer, puts: Mapping[Address, Any], *, summary: Text,
             expect_rev: int | None = None, action: str = "draft.edit") -> tuple[DraftInfo, list[Address]]:
        """Replace documents (``MISSING`` removes one, an unknown address adds one) as one edit.

        Returns the draft and the addresses that really changed (an edit that changes nothing is
        not logged and does not raise ``rev``)."""
        with self.db.write() as conn:
            self._lock(conn, draft_id, expect_rev)
            current = self._documents(conn, draft_id)
            after = copy.deepcopy(current)
            for address, doc in puts.items():
                app, path = split(address)
                if app not in current:
                    raise ValidationFailed(Text(f"草稿中没有应用 {app}；可用：{'、'.join(current)}",
                                           f"the draft has no app {app}; there is {', '.join(current)}"))
                if doc is MISSING:
                    after.get(app, {}).pop(path, None)
                else:
                    after.setdefault(app, {})[path] = copy.deepcopy(doc)
            for app in {split(a)[0] for a in puts}:
                if app in after:
                    sync_manifest(after[app])
            found = _changes_between(current, after)
            if not found:
                return self._info(conn, draft_id), []
            self._write(conn, draft_id, who, current, after, found, summary, action)
            return self._info(conn, draft_id), sorted({a for a, _ in found})

    def _write(self, conn: sa.Connection, draft_id: int, who: Designer, before: Mapping[str, Mapping[str, Any]],
               after: Mapping[str, Mapping[str, Any]], found: list[tuple[Address, Change]], summary: Text,
               action: str) -> None:
        self._store(conn, draft_id, before, after)
        conn.execute(sa.delete(draft_edit).where(draft_edit.c.draft_id == draft_id, draft_edit.c.undone.is_(True)))
        last = conn.execute(sa.select(sa.func.max(draft_edit.c.seq)).where(draft_edit.c.draft_id == draft_id)
                            ).scalar() or 0
        conn.execute(draft_edit.insert().values(
            draft_id=draft_id, seq=last + 1, summary=summary.as_dict(), undone=False, at=datetime.now(UTC),
            by=who.username, changes=[{"d": a, **c.to_json()} for a, c in found]))
        self._touch(conn, draft_id, who)
        audit.record(conn, who, action, draft_id=draft_id,
                     detail={"summary": summary.as_dict(), "documents": sorted({a for a, _ in found})})

    def _store(self, conn: sa.Connection, draft_id: int, before: Mapping[str, Mapping[str, Any]],
               after: Mapping[str, Mapping[str, Any]]) -> None:
        """Write the documents that differ between ``before`` and ``after`` (and only those)."""
        where = (draft_document.c.draft_id == draft_id,)
        for app in set(before) | set(after):
            old, new = before.get(app, {}), after.get(app, {})
            for path in set(old) | set(new):
                key = (*where, draft_document.c.app == app, draft_document.c.path == path)
                if path not in new:
                    conn.execute(sa.delete(draft_document).where(*key))
                elif path not in old:
                    conn.execute(draft_document.insert().values(draft_id=draft_id, app=app, path=path,
                                                                document=new[path]))
                elif old[path] != new[path]:
                    conn.execute(sa.update(draft_document).where(*key).values(document=new[path]))

    def _touch(self, conn: sa.Connection, draft_id: int, who: Designer, **values: Any) -> None:
        conn.execute(sa.update(draft).where(draft.c.id == draft_id).values(
            rev=draft.c.rev + 1, updated_by=who.username, updated_at=datetime.now(UTC), **values))

    def undo(self, draft_id: int, who: Designer, *, expect_rev: int | None = None) -> tuple[DraftInfo, Edit | None]:
        return self._replay(draft_id, who, expect_rev, undo=True)

    def redo(self, draft_id: int, who: Designer, *, expect_rev: int | None = None) -> tuple[DraftInfo, Edit | None]:
        return self._replay(draft_id, who, expect_rev, undo=False)

    def _replay(self, draft_id: int, who: Designer, expect_rev: int | None, *, undo: bool
                ) -> tuple[DraftInfo, Edit | None]:
        with self.db.write() as conn:
            self._lock(conn, draft_id, expect_rev)
            order = draft_edit.c.seq.desc() if undo else draft_edit.c.seq.asc()
            row = conn.execute(sa.select(draft_edit).where(draft_edit.c.draft_id == draft_id,
                                                           draft_edit.c.undone.is_(not undo))
                               .order_by(order).limit(1)).mappings().first()
            if row is None:
                return self._info(conn, draft_id), None
            edit = _edit(row)
            before = self._documents(conn, draft_id)
            after = copy.deepcopy(before)
            by_app: dict[Address, list[Change]] = {}
            for address, change in edit.changes:
                by_app.setdefault(address, []).append(change)
            for address, items in (reversed(list(by_app.items())) if undo else by_app.items()):
                app, path = split(address)
                doc = apply(after.get(app, {}).get(path, MISSING), items, reverse=undo)
                if doc is MISSING:
                    after.get(app, {}).pop(path, None)
                else:
                    after.setdefault(app, {})[path] = doc
            self._store(conn, draft_id, before, after)
            conn.execute(sa.update(draft_edit).where(draft_edit.c.id == row["id"]).values(undone=undo))
            self._touch(conn, draft_id, who)
            audit.record(conn, who, "draft.undo" if undo else "draft.redo", draft_id=draft_id,
                         detail={"seq": edit.seq, "summary": edit.summary.as_dict()})
            return self._info(conn, draft_id), edit

    def replace_all(self, draft_id: int, who: Designer, documents: Mapping[str, Mapping[str, Any]], *,
                    summary: Text, expect_rev: int | None = None, action: str = "draft.edit",
                    **values: Any) -> DraftInfo:
        """Replace every document at once (a merge, an upgrade), as one undoable edit; ``values``
        also updates the draft row (``base_version``, ``conflicts``...)."""
        with self.db.write() as conn:
            self._lock(conn, draft_id, expect_rev)
            before = self._documents(conn, draft_id)
            after = copy.deepcopy({k: dict(v) for k, v in documents.items()})
            for docs in after.values():
                sync_manifest(docs)
            found = _changes_between(before, after)
            if found:
                self._write(conn, draft_id, who, before, after, found, summary, action)
            if values:
                conn.execute(sa.update(draft).where(draft.c.id == draft_id).values(**values))
                if not found:
                    self._touch(conn, draft_id, who)
                    audit.record(conn, who, action, draft_id=draft_id, detail={"summary": summary.as_dict()})
            return self._info(conn, draft_id)

    def update(self, draft_id: int, who: Designer, *, expect_rev: int | None = None, **values: Any) -> DraftInfo:
        """Change the draft row itself (title, conflicts), not its documents."""
        with self.db.write() as conn:
            self._lock(conn, draft_id, expect_rev)
            self._touch(conn, draft_id, who, **values)
            return self._info(conn, draft_id)

    def close(self, conn: sa.Connection, draft_id: int, who: Designer, state: str,
              published_version: int | None = None) -> None:
        """Mark a draft published (with its version) or discarded, in the caller's transaction."""
        self._touch(conn, draft_id, who, state=state, published_version=published_version)

    def discard(self, draft_id: int, who: Designer) -> DraftInfo:
        with self.db.write() as conn:
            self._lock(conn, draft_id, None)
            self.close(conn, draft_id, who, "discarded")
            audit.record(conn, who, "draft.discard", draft_id=draft_id)
            return self._info(conn, draft_id)


_STATE_WORDS = {"published": "发布", "discarded": "放弃"}


def _changes_between(before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
                     ) -> list[tuple[Address, Change]]:
    found: list[tuple[Address, Change]] = []
    for app in list(before) + [a for a in after if a not in before]:
        old, new = before.get(app, {}), after.get(app, {})
        for path in list(old) + [p for p in new if p not in old]:
            found += [(join(app, path), c) for c in changes(old.get(path, MISSING), new.get(path, MISSING))]
    return found


def _edit(row: Mapping[str, Any]) -> Edit:
    items = [(c["d"], Change.from_json(c)) for c in row["changes"]]
    return Edit(row["seq"], Text.of(row["summary"]), items, bool(row["undone"]), row["at"], row["by"])
