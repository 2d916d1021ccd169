"""The board editor's server side: what a widget may be built from, and its live preview.

A preview compiles one widget of a draft's board with the dashboards' own compiler
(``dashboards.model.compile_widget``) against the draft's snapshot, then runs it through the
dashboards' service as the previewing user: the same SQL with GROUP BY, the same row scope and
field rights, the same figure builder. The draft is compiled with its dashboard documents left
out (nothing else refers to them), so a half-made widget elsewhere does not stop the preview of
this one and editing a board does not recompile the rest. The result cache is off: a draft's
widget shares its board key, id and base version with the published one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from sunmao.cache import LastVersions
from sunmao.dashboards.model import compile_widget
from sunmao.dashboards.service import DashboardService
from sunmao.dashboards.web import payload
from sunmao.designer.drafts import split
from sunmao.errors import NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.errors import MetadataError
from sunmao.meta.schemas import validate_document
from sunmao.records import RecordService
from sunmao.snapshot import Snapshot, compile_snapshot

_SNAPSHOTS: LastVersions[tuple[str, int, str], Any] = LastVersions(4)
SYSTEM = (("name", "string", "单号", "Number"), ("created_at", "datetime", "创建时间", "Created"),
          ("updated_at", "datetime", "修改时间", "Updated"))


def without_boards(apps: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {app: {path: doc for path, doc in docs.items()
                  if not (isinstance(doc, dict) and doc.get("kind") == "dashboard")} for app, docs in apps.items()}


def snapshot(runtime: Any, apps: Mapping[str, Mapping[str, Any]], base_version: int) -> Snapshot:
    """The draft compiled without its boards (cached per content); 422 when the rest does not compile."""
    rest = without_boards(apps)
    digest = hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()
    key = (str(runtime.db.url), base_version, digest)

    def build(_key: Any) -> Any:
        try:
            return compile_snapshot(base_version, rest, features=runtime.compilers)
        except MetadataError as exc:
            return exc

    found = _SNAPSHOTS.get(key, build)
    if isinstance(found, MetadataError):
        first = found.problems[0]
        raise ValidationFailed(Text(f"草稿中其他文档有 {len(found.problems)} 个问题，先修正才能预览：{first}",
                                    f"other documents of the draft have {len(found.problems)} problems; fix them "
                                    f"to preview: {first}"))
    return found


def query_fields(snap: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Per entity, the fields a widget may group, measure or list: its stored fields that are not
    hidden, the system fields, and one hop through a link (``customer.grade``) or to a row's
    parent (``parent.order_date``) — each with its value type, so the editor offers a sum only
    over numbers and date buckets only over dates."""
    def own(entity: Any) -> list[dict[str, Any]]:
        out = [] if entity.child else [{"path": k, "type": t, "label": {"zh": zh, "en": en}}
                                       for k, t, zh, en in SYSTEM]
        for f in entity.fields:
            if f.is_stored and not f.hidden:
                item = {"path": f.key, "type": f.value_type, "label": f.label.as_dict()}
                if f.type == "link":
                    item["to"] = f.to
                out.append(item)
        return out

    parents = {f.of: e.key for e in snap.entities.values() for f in e.table_fields}
    found: dict[str, list[dict[str, Any]]] = {}
    for key, entity in snap.entities.items():
        items = own(entity)
        hops = [(f["path"], f["label"], f["to"]) for f in items if f.get("to") in snap.entities]
        if entity.child and key in parents:
            hops.append(("parent", snap.entities[parents[key]].label.as_dict(), parents[key]))
        for name, label, target in hops:
            for f in own(snap.entities[target]):
                found_label = {lang: f"{label[lang]} · {f['label'][lang]}" for lang in ("zh", "en")}
                items.append({"path": f"{name}.{f['path']}", "type": f["type"], "label": found_label})
        found[key] = [{k: v for k, v in f.items() if k != "to"} for f in items]
    return found


def entity_choices(snap: Snapshot) -> list[dict[str, Any]]:
    return [{"key": e.key, "label": e.label.as_dict(), "child": e.child} for e in snap.entities.values()]


def _where(path: str) -> str:
    return path.replace("$.widgets[0].", "", 1).replace("$.widgets[0]", "", 1) or "widget"


def preview(runtime: Any, apps: Mapping[str, Mapping[str, Any]], base_version: int, address: str,
            widget: Any, actor: Any, lang: str) -> dict[str, Any]:
    """One widget of the board at ``address`` as the board page would draw it, from the draft."""
    app, path = split(address)
    board = apps.get(app, {}).get(path)
    if not isinstance(board, dict) or board.get("kind") != "dashboard":
        raise NotFound(Text(f"草稿中没有看板 {address}", f"the draft has no board {address}"))
    if not isinstance(widget, dict):
        raise ValidationFailed(Text("widget 应为一个部件对象", "widget must be a widget object"))
    wid = str(widget.get("id") or "?")
    title = Text.of(widget["title"]) if isinstance(widget.get("title"), dict) else Text(wid, wid)
    doc = {**board, "widgets": [widget]}
    found = validate_document(doc, address, kind="dashboard")
    problems = [p for p in found if p.path.startswith("$.widgets[0]")]
    elsewhere = [p for p in found if not p.path.startswith("$.widgets[0]")]
    if elsewhere:  # the board itself (its filters, roles...) must be sound before a widget of it can run
        first = elsewhere[0]
        raise ValidationFailed(Text(f"看板 {address} 本身有问题，先修正才能预览：{first.path}：{first.message}",
                                    f"the board {address} has problems of its own; fix them to preview: "
                                    f"{first.path}: {first.message}"),
                               errors={p.path.removeprefix("$."): [Text(p.message, p.message)] for p in elsewhere})
    snap = snapshot(runtime, apps, base_version)
    compiled = None
    if not problems:
        compiled, problems = compile_widget(snap, address, board, widget)
    if problems:
        errors = {f"widgets.{wid}.{_where(p.path)}": [Text(f"部件“{title.zh}”（{wid}）的 {_where(p.path)}：{p.message}",
                                                           f"widget “{title.en}” ({wid}), {_where(p.path)}: "
                                                           f"{p.message}")] for p in problems}
        first = problems[0]
        raise ValidationFailed(Text(f"部件“{title.zh}”（{wid}）不能预览：{_where(first.path)}：{first.message}",
                                    f"widget “{title.en}” ({wid}) cannot be previewed: {_where(first.path)}: "
                                    f"{first.message}"), errors=errors)
    assert compiled is not None
    service = DashboardService(RecordService(runtime.db, snap), cache=False)
    state = service.state(compiled, {})
    try:
        return payload(service, compiled, compiled.widgets[0], actor, state, lang)
    except sa.exc.DBAPIError:
        raise ValidationFailed(Text(f"部件“{title.zh}”（{wid}）用到尚未发布的字段或实体：发布后才有数据可以预览",
                                    f"widget “{title.en}” ({wid}) reads a field or entity that is not published "
                                    "yet: it has data to preview once published")) from None
