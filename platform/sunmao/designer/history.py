"""History in words: the revisions, and what changed between any two of them.

An entity's fields are compared by id, so a renamed key reads "renamed", not "removed and
added"; every other document is compared path by path, with identified items (workflow
states, form rules, view filters...) matched by their ``id``/``key``. Each line says what
happened in both languages and points at the document and the JSON path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sunmao.designer.diff import Change, describe, short
from sunmao.designer.jsonpath import MISSING, Ident, render
from sunmao.i18n import Text
from sunmao.storage import Database
from sunmao.storage import system as sm
from sunmao.storage.migrate import type_word

KIND_WORDS = {
    "app": Text("应用清单", "App manifest"), "entity": Text("实体", "Entity"), "form": Text("表单", "Form"),
    "view": Text("视图", "View"), "workflow": Text("流程", "Workflow"), "channel": Text("渠道", "Channel"),
    "webhook": Text("Webhook", "Webhook"), "job": Text("定时任务", "Job"), "print": Text("打印模板", "Print layout"),
    "import": Text("导入模板", "Import template"), "calendar": Text("工作日历", "Calendar"),
    "dashboard": Text("看板", "Dashboard"),
}

FIELD_PROPERTY_WORDS = {
    "label": Text("名称", "label"), "type": Text("类型", "type"), "required": Text("必填", "required"),
    "unique": Text("唯一", "unique"), "read_only": Text("只读", "read-only"), "hidden": Text("隐藏", "hidden"),
    "default": Text("默认值", "default"), "options": Text("选项", "options"), "formula": Text("公式", "formula"),
    "help": Text("帮助文字", "help text"), "to": Text("关联到", "links to"), "of": Text("子表", "child table"),
    "length": Text("长度", "length"), "scale": Text("小数位", "decimal places"), "min": Text("最小值", "minimum"),
    "max": Text("最大值", "maximum"), "validate": Text("校验", "checks"),
    "result_type": Text("结果类型", "result type"),
}


def kind_word(kind: str | None) -> Text:
    return KIND_WORDS.get(kind or "", Text(kind or "文档", kind or "document"))


@dataclass(frozen=True)
class Line:
    """One change in words, and where it is."""

    text: Text
    path: str
    action: str

    def as_dict(self) -> dict[str, Any]:
        return {"zh": self.text.zh, "en": self.text.en, "path": self.path, "action": self.action}


@dataclass
class DocumentDiff:
    address: str
    kind: str | None
    key: str | None
    label: Text | None
    action: str  # added · removed · changed
    lines: list[Line] = field(default_factory=list)

    @property
    def title(self) -> Text:
        kind = kind_word(self.kind)
        name = self.label or Text(self.key or self.address, self.key or self.address)
        return Text(f"{kind.zh}「{name.zh}」", f"{kind.en} “{name.en}”")

    def as_dict(self) -> dict[str, Any]:
        return {"document": self.address, "kind": self.kind, "key": self.key, "action": self.action,
                "title": self.title.as_dict(), "lines": [line.as_dict() for line in self.lines]}


def _label(doc: Any) -> Text | None:
    if isinstance(doc, Mapping) and isinstance(doc.get("label"), Mapping):
        return Text.of(doc["label"])
    return None


def diff_apps(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> list[DocumentDiff]:
    """What changed from ``old`` to ``new`` (``{app: {path: document}}``), document by document."""
    out: list[DocumentDiff] = []
    for app in list(old) + [a for a in new if a not in old]:
        before, after = old.get(app, {}), new.get(app, {})
        for path in list(before) + [p for p in after if p not in before]:
            a, b = before.get(path, MISSING), after.get(path, MISSING)
            found = diff_document(f"{app}/{path}", a, b)
            if found is not None:
                out.append(found)
    return out


def diff_document(address: str, a: Any, b: Any) -> DocumentDiff | None:
    changes = describe(a, b)
    if not changes:
        return None
    doc = b if b is not MISSING else a
    kind = doc.get("kind") if isinstance(doc, Mapping) else None
    key = doc.get("key") if isinstance(doc, Mapping) else None
    if a is MISSING or b is MISSING:
        action = "added" if a is MISSING else "removed"
        words = Text("新增文档", "document added") if a is MISSING else Text("删除文档", "document removed")
        return DocumentDiff(address, kind, key, _label(doc), action, [Line(words, "$", action)])
    result = DocumentDiff(address, kind, key, _label(doc), "changed")
    if kind == "entity":
        result.lines = _entity_lines(a, b, changes)
    else:
        result.lines = [_line(c) for c in changes if not _is_manifest_list(kind, c)]
    return result if result.lines else None


def _is_manifest_list(kind: str | None, change: Change) -> bool:
    """The manifest's document list follows the documents (their own diffs say it)."""
    return kind == "app" and change.path[:1] == ("documents",)


def _names(value: Any) -> list[Any] | None:
    """A list's items as names — scalars, or objects named by ``field`` (a form's items) — else None."""
    if not isinstance(value, list):
        return None
    names = []
    for x in value:
        if isinstance(x, str | int | float | bool):
            names.append(x)
        elif isinstance(x, Mapping) and isinstance(x.get("field"), str):
            names.append(x["field"])
        else:
            return None
    return names


def _list_line(old: list[Any], new: list[Any], p: Text, where: str) -> Line | None:
    """A list of names (columns, a section's fields): what joined, what left, or the order."""
    if old == new:
        return None  # the same names: something inside an item changed
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    zh, en = [], []
    if added:
        zh.append(f"加入 {'、'.join(map(str, added))}")
        en.append(f"added {', '.join(map(str, added))}")
    if removed:
        zh.append(f"移除 {'、'.join(map(str, removed))}")
        en.append(f"removed {', '.join(map(str, removed))}")
    if not zh:
        zh, en = ["顺序调整"], ["reordered"]
    return Line(Text(f"{p.zh}：{'；'.join(zh)}", f"{p.en}: {'; '.join(en)}"), where, "changed")


def _line(change: Change, prefix: Text | None = None) -> Line:
    where = render(change.path)
    p = prefix or Text(where, where)
    old, new = _names(change.old), _names(change.new)
    if old is not None and new is not None:
        line = _list_line(old, new, p, where)
        if line is not None:
            return line
    if change.moved:
        return Line(Text(f"{p.zh}：顺序调整", f"{p.en}: reordered"), where, "moved")
    if change.old is MISSING:
        return Line(Text(f"{p.zh}：新增 {short(change.new)}", f"{p.en}: added {short(change.new)}"), where, "added")
    if change.new is MISSING:
        return Line(Text(f"{p.zh}：删除（原为 {short(change.old)}）", f"{p.en}: removed (was {short(change.old)})"),
                    where, "removed")
    return Line(Text(f"{p.zh}：{short(change.old)} → {short(change.new)}",
                     f"{p.en}: {short(change.old)} → {short(change.new)}"), where, "changed")


def _field_name(f: Mapping[str, Any]) -> Text:
    label = Text.of(f.get("label") or f.get("key", "?"))
    return Text(f"{label.zh}（{f.get('key')}）", f"{label.en} ({f.get('key')})")


def _entity_lines(a: Mapping[str, Any], b: Mapping[str, Any], changes: list[Change]) -> list[Line]:
    old_fields = {f["id"]: f for f in a.get("fields", []) if isinstance(f, Mapping) and "id" in f}
    new_fields = {f["id"]: f for f in b.get("fields", []) if isinstance(f, Mapping) and "id" in f}
    lines: list[Line] = []
    handled: set[str] = set()
    for c in changes:
        if c.path[:1] != ("fields",) or len(c.path) < 2 or not isinstance(c.path[1], Ident):
            continue
        fid = c.path[1].value
        where = render(c.path[:2])
        if len(c.path) == 2:
            handled.add(fid)
            if c.old is MISSING:
                f = new_fields[fid]
                lines.append(Line(Text(f"新增字段 {_field_name(f).zh}：{type_word(f.get('type', '')).zh}",
                                       f"added field {_field_name(f).en}: {type_word(f.get('type', '')).en}"),
                                  where, "added"))
            else:
                f = old_fields[fid]
                lines.append(Line(Text(f"移除字段 {_field_name(f).zh}（数据归档保留，可恢复）",
                                       f"removed field {_field_name(f).en} (its data is archived, restorable)"),
                                  where, "removed"))
            continue
        prop = c.path[2]
        name = _field_name(new_fields.get(fid) or old_fields[fid])
        if prop == "key" and len(c.path) == 3:
            lines.append(Line(Text(f"字段改名：{short(c.old)} → {short(c.new)}（{name.zh}，数据不变）",
                                   f"renamed field {short(c.old)} → {short(c.new)} ({name.en}; data unchanged)"),
                              render(c.path), "renamed"))
            continue
        if prop == "type" and len(c.path) == 3:
            lines.append(Line(Text(f"字段 {name.zh} 的类型：{type_word(c.old).zh} → {type_word(c.new).zh}",
                                   f"field {name.en} type: {type_word(c.old).en} → {type_word(c.new).en}"),
                              render(c.path), "changed"))
            continue
        word = FIELD_PROPERTY_WORDS.get(str(prop), Text(str(prop), str(prop)))
        rest = render(c.path[3:], "") if len(c.path) > 3 else ""
        lines.append(_line(c, Text(f"字段 {name.zh} 的{word.zh}{rest}", f"field {name.en} {word.en}{rest}")))
    for c in changes:
        if c.path[:1] == ("fields",) and (len(c.path) == 1 and c.moved):
            lines.append(Line(Text("字段顺序调整", "fields reordered"), "$.fields", "moved"))
        elif c.path[:1] != ("fields",):
            lines.append(_line(c))
    return lines


# -- revisions -------------------------------------------------------------------------------

def revisions(db: Database, *, limit: int = 200) -> list[dict[str, Any]]:
    query = (sa.select(sm.revision.c.version, sm.revision.c.note, sm.revision.c.created_at,
                       sm.revision.c.created_by).order_by(sm.revision.c.version.desc()).limit(limit))
    with db.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
