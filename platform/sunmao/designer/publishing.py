"""Publish a draft, merge it with what was published since, roll back, revert one document.

Publishing goes through ``Runtime.publish`` with the draft's base as the expected version: the
check and the version switch happen under the publishing lock, so of two designers working
from the same version the second is refused with what the first changed — never a silent
overwrite — and offered a three-way merge. Rollback and revert are drafts too: they are
checked and published the same way, and history keeps every step.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sunmao.designer import audit
from sunmao.designer.audit import Designer
from sunmao.designer.checks import problem_dict, split_conflict
from sunmao.designer.drafts import DraftClosed, DraftInfo, DraftMoved, Drafts, split
from sunmao.designer.history import diff_apps
from sunmao.designer.jsonpath import MISSING, from_json, put, render
from sunmao.designer.merge import Conflict as MergeConflict
from sunmao.designer.merge import merge3, merge_apps, resolve
from sunmao.errors import Conflict, NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.errors import MetadataError
from sunmao.runtime import PublishResult, Runtime, VersionMoved
from sunmao.storage.migrate import MigrationRefused


class BaseMoved(Conflict):
    """The draft was made from a version that is no longer the published one."""

    kind = "base-moved"
    title = Text("发布的版本已变化", "A newer version was published")


class PendingConflicts(Conflict):
    kind = "merge-conflicts"
    title = Text("还有冲突需要决定", "Conflicts still need a decision")


class PublishRefused(ValidationFailed):
    kind = "publish-refused"
    title = Text("检查未通过，未发布", "The check failed; nothing was published")


def base_moved(runtime: Runtime, info: DraftInfo, documents: Mapping[str, Mapping[str, Any]]) -> BaseMoved:
    current = runtime.current_version(fresh=True)
    base_docs = runtime.revision_documents(info.base_version)
    current_docs = runtime.revision_documents(current) if current is not None else {}
    merged = merge_apps(base_docs, documents, current_docs)
    since = diff_apps(base_docs, current_docs)
    return BaseMoved(
        Text(f"草稿基于第 {info.base_version} 版，而现在发布的是第 {current} 版：请先合并"
             f"（{'可自动合并' if merged.clean else f'有 {len(merged.conflicts)} 处冲突需要决定'}）",
             f"the draft is based on version {info.base_version} but version {current} is published: merge first "
             f"({'it merges cleanly' if merged.clean else f'{len(merged.conflicts)} conflicts need a decision'})"),
        base_version=info.base_version, current_version=current, since=[d.as_dict() for d in since],
        conflicts=[split_conflict(c.as_dict()) for c in merged.conflicts], mergeable=merged.clean)


@dataclass(frozen=True)
class Published:
    draft: DraftInfo
    result: PublishResult


def publish_draft(runtime: Runtime, drafts: Drafts, draft_id: int, who: Designer, comment: str, *,
                  expect_rev: int | None = None) -> Published:
    info = drafts.info(draft_id)
    if info.state != "open":
        raise DraftClosed(Text(f"草稿 {draft_id} 已关闭", f"draft {draft_id} is {info.state}"))
    if expect_rev is not None and expect_rev != info.rev:
        raise DraftMoved(info.rev)
    if info.conflicts:
        raise PendingConflicts(Text(f"还有 {len(info.conflicts)} 处冲突未决定", f"{len(info.conflicts)} conflicts "
                                    "are still undecided"), conflicts=info.conflicts)
    documents = drafts.documents(draft_id)
    note = comment.strip() or f"draft {draft_id}: {info.title}"
    try:
        result = runtime.publish(documents, by=who.username, note=note[:2000], texts=drafts.texts(draft_id),
                                 expect_version=info.base_version)
    except VersionMoved:
        raise base_moved(runtime, info, documents) from None
    except MetadataError as exc:
        raise PublishRefused(Text(f"有 {len(exc.problems)} 个问题，未发布", f"{len(exc.problems)} problems; "
                                  "nothing was published"), problems=[problem_dict(p) for p in exc.problems]) from None
    except MigrationRefused as exc:
        raise PublishRefused(exc.text, refused=[exc.as_dict()]) from None
    with runtime.db.write() as conn:
        drafts.close(conn, draft_id, who, "published", result.version)
        audit.record(conn, who, "draft.publish", draft_id=draft_id, version=result.version,
                     detail={"comment": note, "steps": [s.as_dict() for s in result.steps],
                             "warnings": [w.as_dict() if hasattr(w, "as_dict") else str(w) for w in result.warnings]})
    return Published(drafts.info(draft_id), result)


def merge_draft(runtime: Runtime, drafts: Drafts, draft_id: int, who: Designer, *,
                choices: Mapping[str, Any] | None = None, expect_rev: int | None = None) -> DraftInfo:
    """Bring a draft onto the published version: base = its base, ours = the draft, theirs =
    the published documents. What does not conflict is merged; each conflict keeps the
    draft's value and waits in ``conflicts`` for a decision (``choices`` decides some now)."""
    info = drafts.info(draft_id)
    current = runtime.current_version(fresh=True)
    if current is None or current == info.base_version:
        return info
    base_docs = runtime.revision_documents(info.base_version)
    result = merge_apps(base_docs, drafts.documents(draft_id), runtime.revision_documents(current))
    decided = dict(choices or {})
    merged = resolve(result.merged, result.conflicts, decided)
    left = [split_conflict(c.as_dict()) for c in result.conflicts if c.where not in decided]
    texts = {**runtime.revision_texts(current)}
    for app, app_texts in drafts.texts(draft_id).items():
        texts.setdefault(app, app_texts)
    summary = Text(f"合并第 {current} 版（{len(left)} 处冲突待决定）",
                   f"merged version {current} ({len(left)} conflicts to decide)")
    return drafts.replace_all(draft_id, who, merged, summary=summary, expect_rev=expect_rev, action="draft.merge",
                              base_version=current, conflicts=info.conflicts + left, texts=texts)


def resolve_conflicts(drafts: Drafts, draft_id: int, who: Designer, choices: Mapping[str, Any], *,
                      expect_rev: int | None = None) -> DraftInfo:
    """Decide pending conflicts: ``choices`` maps a conflict's id to ours, theirs, base or
    ``{"value": ...}``. The draft already holds *ours*; the other choices are written as an edit."""
    info = drafts.info(draft_id)
    by_id = {c["id"]: c for c in info.conflicts}
    unknown = sorted(set(choices) - set(by_id))
    if unknown:
        raise ValidationFailed(Text(f"没有这些冲突：{', '.join(unknown)}", f"no such conflicts: {', '.join(unknown)}"))
    documents = drafts.documents(draft_id)
    for cid, choice in choices.items():
        c = by_id[cid]
        steps = from_json(c["steps"])
        if c["kind"] == "order":
            documents = resolve(documents, [_order_conflict(c)], {cid: choice})
            continue
        if choice == "ours":
            continue
        if isinstance(choice, Mapping) and "value" in choice:
            value = copy.deepcopy(choice["value"])
        elif choice in ("theirs", "base"):
            value = MISSING if c[f"{choice}_missing"] else copy.deepcopy(c[choice])
        else:
            raise ValidationFailed(Text("请选择 ours、theirs、base 或给出 value",
                                        "choose ours, theirs, base or a value"))
        documents = put(documents, steps, value) if len(steps) > 2 else _put_document(documents, steps, value)
    left = [c for c in info.conflicts if c["id"] not in choices]
    summary = Text(f"决定了 {len(choices)} 处冲突", f"decided {len(choices)} conflicts")
    return drafts.replace_all(draft_id, who, documents, summary=summary, expect_rev=expect_rev,
                              action="draft.resolve", conflicts=left)


def _order_conflict(c: Mapping[str, Any]) -> Any:
    return MergeConflict(from_json(c["steps"]), c["base"], c["ours"], c["theirs"], "order")


def _put_document(documents: dict[str, Any], steps: tuple, value: Any) -> dict[str, Any]:
    app, path = steps[0], steps[1]
    if value is MISSING:
        documents.get(app, {}).pop(path, None)
    else:
        documents.setdefault(app, {})[path] = value
    return documents


# -- history actions ----------------------------------------------------------------------------

def rollback_draft(runtime: Runtime, drafts: Drafts, who: Designer, version: int) -> DraftInfo:
    """A draft holding the documents of ``version``, made on the published version: checked and
    published like any draft; archived fields come back with their data."""
    current = runtime.current_version(fresh=True)
    if current is None:
        raise Conflict(Text("尚未发布任何版本", "nothing is published yet"))
    return drafts.create(who, title=f"回滚到第 {version} 版 / roll back to version {version}", base_version=current,
                         documents=runtime.revision_documents(version), texts=runtime.revision_texts(version),
                         origin={"kind": "rollback", "version": version})


def revert_draft(runtime: Runtime, drafts: Drafts, who: Designer, version: int, address: str) -> DraftInfo:
    """A draft that takes back what ``version`` changed in one document and nothing else: a
    three-way merge of the document (base = as ``version`` left it, ours = as published now,
    theirs = as it was before ``version``), so later changes to the document stay."""
    current = runtime.current_version(fresh=True)
    if current is None or version < 2:
        raise NotFound(Text(f"第 {version} 版之前没有版本可以恢复", f"there is no version before {version}"))
    app, path = split(address)
    before = runtime.revision_documents(version - 1).get(app, {}).get(path, MISSING)
    after = runtime.revision_documents(version).get(app, {}).get(path, MISSING)
    documents = runtime.revision_documents(current)
    now = documents.get(app, {}).get(path, MISSING)
    result = merge3(after, now, before)
    conflicts = []
    for c in result.conflicts:
        body = c.as_dict()
        body["steps"] = [app, path, *body["steps"]]

        body["path"] = render(from_json(body["steps"]))
        conflicts.append(split_conflict(body))
    _put_document(documents, (app, path), result.merged)
    return drafts.create(who, title=f"撤销第 {version} 版对 {address} 的修改 / revert version {version} in {address}",
                         base_version=current, documents=documents, texts=runtime.revision_texts(current),
                         origin={"kind": "revert", "version": version, "document": address}, conflicts=conflicts)
