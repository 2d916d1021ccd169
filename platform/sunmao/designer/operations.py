"""Changes the designer makes across documents, so that one user action stays one edit.

Renaming a field changes its key and every place that names it — the entity's own lists, its
formulas and rules, forms, views, workflows and other entities' formulas through links — while
the field id stays, so the migration renames the column and keeps the data. What a rename
cannot find is left to the check, which names the document and the path. New entities come
with a form and a list; type changes are offered only where every existing value converts or
the person is told which rows stand in the way.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from sunmao.designer.drafts import split
from sunmao.errors import NotFound, ValidationFailed
from sunmao.fields import conversion_targets, field_type
from sunmao.i18n import Text
from sunmao.meta.model import IDENTIFIER, RESERVED_KEYS, build_field
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from sunmao.storage.convert import ConversionError, convert
from sunmao.storage.migrate import MAX_LISTED_ROWS, type_word
from sunmao.storage.tables import column_type

Apps = dict[str, dict[str, Any]]

#: Keys of documents about one entity whose string values (or lists of them) are that entity's field keys.
FIELD_VALUE_KEYS = frozenset({
    "field", "fields", "columns", "group_by", "card", "date_field", "start_field", "end_field", "color_by",
    "state_field", "user_field", "title_field", "naming_date", "summary_fields", "search_fields",
    "hidden_fields", "readonly_fields", "writable_fields", "owner_field", "sort", "table", "barcode",
    "key_field", "status_field", "duplicate_field", "fields_required", "target", "qty_field", "unit_field",
    "price_field", "start", "end", "color", "label", "owner", "link",  # dashboard widgets: options, checks, has
    "assign_field",
})


def _bad(path: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(errors={path: [Text(zh, en)]})


def check_key(key: Any, path: str = "key") -> str:
    if not isinstance(key, str) or not IDENTIFIER.match(key):
        raise _bad(path, "键只能用小写字母、数字和下划线，以字母开头，最多 40 个字符（如 coating_color）",
                   "a key is lower-case letters, digits and underscores, starting with a letter, at most 40 "
                   "characters (e.g. coating_color)")
    return key


def entity_address(apps: Mapping[str, Mapping[str, Any]], entity_key: str) -> str:
    for app, docs in apps.items():
        for path, doc in docs.items():
            if isinstance(doc, Mapping) and doc.get("kind") == "entity" and doc.get("key") == entity_key:
                return f"{app}/{path}"
    raise NotFound(Text(f"草稿中没有实体 {entity_key}", f"the draft has no entity {entity_key}"))


def _docs(apps: Apps) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for app, docs in apps.items():
        for path, doc in docs.items():
            if isinstance(doc, dict):
                yield app, path, doc


# -- rename --------------------------------------------------------------------------------------

def _rewrite_vars(node: Any, rename: Any) -> Any:
    """JSONLogic ``{"var": ...}`` references rewritten by ``rename(path) -> path``."""
    if isinstance(node, dict):
        if set(node) == {"var"}:
            ref = node["var"]
            if isinstance(ref, str):
                return {"var": rename(ref)}
            if isinstance(ref, list) and ref and isinstance(ref[0], str):
                return {"var": [rename(ref[0]), *ref[1:]]}
        return {k: _rewrite_vars(v, rename) for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_vars(v, rename) for v in node]
    return node


def _path_rename(old: str, new: str, prefixes: tuple[str, ...] = ("",)) -> Any:
    """``rename`` for var paths: ``old``/``old.x`` after one of ``prefixes`` (``""``, ``$record.``, ``link.``)."""
    def rename(ref: str) -> str:
        for prefix in prefixes:
            head = prefix + old
            if ref == head or ref.startswith(head + "."):
                return prefix + new + ref[len(head):]
        return ref
    return rename


class _Renamer:
    """Renames field ``old`` of ``entity`` to ``new`` in a document about entities, following
    which entity each part of the document speaks of: a dict with ``entity`` opens that entity
    (its ``field`` still names the parent's link), a table item (``{"field": "lines", ...}``)
    opens the child entity, ``fields`` objects are keyed by field, ``set`` too; ``link.field``
    paths follow the link."""

    def __init__(self, entity: str, old: str, new: str, fields: Mapping[str, Mapping[str, Any]]):
        self.entity, self.old, self.new, self.fields = entity, old, new, fields
        self.root: str | None = None
        self.rows: str | None = None

    def document(self, doc: Any, scope: str | None) -> Any:
        self.root = scope
        lines = doc.get("lines") if isinstance(doc, dict) else None  # a channel's order lines
        self.rows = self._child(scope, lines.get("field")) if isinstance(lines, dict) else None
        return self.walk(doc, scope)

    def _child(self, scope: str | None, key: Any) -> str | None:
        f = self.fields.get(scope or "", {}).get(key) if isinstance(key, str) else None
        return f.get("of") if isinstance(f, Mapping) and f.get("type") == "table" else None

    def key(self, value: Any, scope: str | None) -> Any:
        if not isinstance(value, str) or scope is None:
            return value
        sign, bare = ("-", value[1:]) if value.startswith("-") else ("", value)
        head, dot, tail = bare.partition(".")
        if scope == self.entity and head == self.old:
            return sign + self.new + dot + tail
        if dot and self._target(scope, head) == self.entity and tail.split(".")[0] == self.old:
            return sign + head + "." + self.new + tail[len(self.old):]
        return value

    def _target(self, scope: str | None, key: str) -> str | None:
        f = self.fields.get(scope or "", {}).get(key)
        return (f.get("to") or f.get("of")) if isinstance(f, Mapping) else None

    def var(self, ref: Any, scope: str | None) -> Any:
        return self.key(ref, scope) if not (isinstance(ref, str) and ref.startswith("-")) else ref

    def walk(self, node: Any, scope: str | None, parent: str | None = None) -> Any:
        """Rename in ``node``, which speaks of ``scope``; rules (``var``) always read the
        document's own record (``self.root``)."""
        if isinstance(node, list):
            return [self.walk(v, scope, parent) for v in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"var"}:
            ref = node["var"]
            if isinstance(ref, list) and ref:
                return {"var": [self.var(ref[0], self.root), *ref[1:]]}
            return {"var": self.var(ref, self.root)}
        query = node.get("query")  # a dashboard widget: its options speak of its query's entity
        inner = node["entity"] if isinstance(node.get("entity"), str) else \
            query["entity"] if isinstance(query, dict) and isinstance(query.get("entity"), str) else scope
        outer = scope if inner != scope else parent
        child = self._child(scope, node.get("field")) if inner == scope else None
        columns_of = self._child(scope, node.get("table")) if inner == scope else None  # a portal's lines
        out = {}
        for k, v in node.items():
            if k in ("field", "table") and isinstance(v, str):
                out[k] = self.key(v, outer if inner != scope else scope)
            elif child is not None:  # a table's item: the rest speaks of the child entity's rows
                out[k] = self.walk({k: v}, child, scope)[k]
            elif k == "columns" and columns_of and isinstance(v, list):
                out[k] = [self.key(x, columns_of) for x in v]
            elif k == "fields" and isinstance(v, dict) and v and all(
                    e in self.fields and isinstance(path, str) for e, path in v.items()):
                out[k] = {e: self.key(path, e) for e, path in v.items()}  # a board filter: entity → its field
            elif k in ("fields", "set", "values", "links") and isinstance(v, dict):
                out[k] = self._keyed(v, inner)
            elif k in FIELD_VALUE_KEYS | {"by", "phone", "external_id", "channel_field"} and isinstance(v, str):
                out[k] = self.key(v, inner)
            elif k in FIELD_VALUE_KEYS and isinstance(v, list):
                out[k] = [self.key(x, inner) if isinstance(x, str) else self.walk(x, inner, outer) for x in v]
            elif k == "compare" and isinstance(v, list) and self.rows:  # a channel's duplicate check
                out[k] = [self.key(x, self.rows) for x in v]
            else:
                out[k] = self.walk(v, inner, outer)
        return out

    def _keyed(self, mapping: dict[str, Any], scope: str | None) -> dict[str, Any]:
        out = {}
        for k, v in mapping.items():
            sub = self._target(scope, k)
            out[self.key(k, scope)] = self.walk(v, sub if isinstance(v, dict) and "fields" in v and sub else scope)
        return out


def _rewrite_row_keys(node: Any, tables: set[str], old: str, new: str) -> Any:
    """Operations over a table's rows name the row field as a string after the table:
    ``{"sum": [{"var": "rows"}, "amount"]}``."""
    if isinstance(node, list):
        items = [_rewrite_row_keys(v, tables, old, new) for v in node]
        if items and isinstance(items[0], dict) and set(items[0]) == {"var"} and items[0]["var"] in tables:
            items = [items[0], *[new if x == old else x for x in items[1:]]]
        return items
    if isinstance(node, dict):
        return {k: _rewrite_row_keys(v, tables, old, new) for k, v in node.items()}
    return node


def _rename_in_entity(doc: dict[str, Any], field_id: str, old: str, new: str) -> dict[str, Any]:
    """The entity's own places that name a field by key, and its rules and formulas."""
    def one(value: Any) -> Any:
        return new if value == old else value
    for name in ("title_field", "naming_date", "owner_field"):
        if name in doc:
            doc[name] = one(doc[name])
    for name in ("search_fields", "summary_fields", "task_fields"):
        if name in doc:
            doc[name] = [new + s[len(old):] if s == old or s.startswith(old + ".") else s for s in doc[name]]
    for f in doc["fields"]:  # a link's filter names this entity's fields as its values; money its currency
        if isinstance(f.get("link_filter"), dict):
            f["link_filter"] = {k: one(v) for k, v in f["link_filter"].items()}
        if "currency" in f:
            f["currency"] = one(f["currency"])
    for index in doc.get("indexes", []):
        index["fields"] = [one(k) for k in index["fields"]]
    for perm in doc.get("permissions", []):
        for name in ("hidden_fields", "readonly_fields", "writable_fields"):
            if name in perm:
                perm[name] = [one(k) for k in perm[name]]
    for rule in doc.get("rules", []):
        if "fields" in rule:
            rule["fields"] = [one(k) for k in rule["fields"]]
    for f in doc["fields"]:
        if f.get("id") == field_id:
            f["key"] = new
    # A roll-up's or a lookup's condition reads the other entity's fields; only its $record. paths are ours
    holders = [("fields", i, "rollup") for i, f in enumerate(doc["fields"]) if isinstance(f.get("rollup"), dict)]
    holders += [("lookups", i, None) for i in range(len(doc.get("lookups", [])))]

    def holder(d: dict[str, Any], where: tuple[str, int, str | None]) -> dict[str, Any]:
        item = d[where[0]][where[1]]
        return item[where[2]] if where[2] else item
    foreign = [w for w in holders if "where" in holder(doc, w) and holder(doc, w).get("entity") != doc.get("key")]
    renamed = _rewrite_vars(doc, _path_rename(old, new, ("", "$record.")))
    for w in foreign:
        holder(renamed, w)["where"] = _rewrite_vars(holder(doc, w)["where"], _path_rename(old, new, ("$record.",)))
    return renamed


def rename_field(apps: Apps, entity_key: str, field_id: str, new_key: str) -> tuple[Apps, Text]:
    """The documents with field ``field_id`` of ``entity_key`` renamed to ``new_key`` everywhere it is named."""
    check_key(new_key)
    apps = copy.deepcopy(apps)
    app, path = split(entity_address(apps, entity_key))
    entity = apps[app][path]
    f = next((f for f in entity["fields"] if f.get("id") == field_id), None)
    if f is None:
        raise NotFound(Text(f"实体 {entity_key} 没有字段 {field_id}", f"{entity_key} has no field {field_id}"))
    old = f["key"]
    if old == new_key:
        return apps, Text("字段名未变", "the key is unchanged")
    label = Text.of(f["label"])
    links_here = {(a, p, other.get("key")): [x["key"] for x in other.get("fields", []) if x.get("to") == entity_key]
                  for a, p, other in _docs(apps) if other.get("kind") == "entity"}
    tables_here = {other.get("key"): [x["key"] for x in other.get("fields", []) if x.get("of") == entity_key]
                   for _a, _p, other in _docs(apps) if other.get("kind") == "entity"}
    children = {x.get("of") for x in entity["fields"] if x.get("type") == "table"}
    renamer = _Renamer(entity_key, old, new_key, {
        other["key"]: {x["key"]: x for x in other.get("fields", []) if isinstance(x, dict) and "key" in x}
        for _a, _p, other in _docs(apps) if other.get("kind") == "entity" and isinstance(other.get("key"), str)})
    for a, p, doc in list(_docs(apps)):
        kind = doc.get("kind")
        if doc is entity:
            doc = _rename_in_entity(doc, field_id, old, new_key)
        elif kind == "entity":
            links = links_here.get((a, p, doc.get("key")), [])
            tables = tables_here.get(doc.get("key"), [])
            prefixes = tuple(f"{link}." for link in links + tables)
            if prefixes:
                doc = _rewrite_vars(doc, _path_rename(old, new_key, prefixes))
            if tables:
                doc = _rewrite_row_keys(doc, set(tables), old, new_key)
                if "search_fields" in doc:
                    doc["search_fields"] = [_path_rename(old, new_key, prefixes)(s) for s in doc["search_fields"]]
            if links and "task_fields" in doc:
                doc["task_fields"] = [_path_rename(old, new_key, prefixes)(t) for t in doc["task_fields"]]
            for x in doc.get("fields", []):
                if doc.get("key") in children and x.get("currency") == old:  # a row's money in its parent's currency
                    x["currency"] = new_key
                if x.get("to") == entity_key and isinstance(x.get("link_filter"), dict):  # keys: the target's fields
                    x["link_filter"] = {(new_key if k == old else k): v for k, v in x["link_filter"].items()}
                rollup = x.get("rollup")
                if isinstance(rollup, dict) and rollup.get("entity") == entity_key:
                    for name in ("link", "field"):
                        if rollup.get(name) == old:
                            rollup[name] = new_key
                    if isinstance(rollup.get("match"), dict):
                        rollup["match"] = {(new_key if k == old else k): v for k, v in rollup["match"].items()}
                    if "where" in rollup:
                        rollup["where"] = _rewrite_vars(rollup["where"], _path_rename(old, new_key))
            for lookup in doc.get("lookups", []):
                if lookup.get("entity") == entity_key:
                    lookup["where"] = _rewrite_vars(lookup["where"], _path_rename(old, new_key))
                    if "order_by" in lookup:
                        lookup["order_by"] = [f"-{new_key}" if o == f"-{old}" else new_key if o == old else o
                                              for o in lookup["order_by"]]
        else:
            scope = doc.get("entity") or (doc.get("target") or {}).get("entity")
            doc = renamer.document(doc, scope if isinstance(scope, str) else None)
            if kind == "form":
                _rename_fill(doc, renamer, scope)
            if kind == "match":
                _rename_same(doc, entity_key, old, new_key)
        if kind == "entity":
            _rename_related(doc, entity_key, old, new_key)
        apps[a][p] = doc
    return apps, Text(f"字段改名：{label.zh} {old} → {new_key}", f"renamed field {label.en}: {old} → {new_key}")


def _rename_related(doc: dict[str, Any], entity_key: str, old: str, new: str) -> None:
    """An entity's related lists name fields of the listed entity: its link back, columns and sort."""
    for rel in doc.get("related", []):
        if not isinstance(rel, dict) or rel.get("entity") != entity_key:
            continue
        if rel.get("field") == old:
            rel["field"] = new
        if "columns" in rel:
            rel["columns"] = [new if c == old else c for c in rel["columns"]]
        if "sort" in rel:
            rel["sort"] = [f"-{new}" if s == f"-{old}" else new if s == old else s for s in rel["sort"]]


def _rename_same(doc: dict[str, Any], entity_key: str, old: str, new: str) -> None:
    """A match's ``same`` pairs a field of its source with one of its target: the renamed side moves,
    a shared key splits into ``{"source", "target"}`` when only one side is renamed."""
    sides = [side for side in ("source", "target") if (doc.get(side) or {}).get("entity") == entity_key]
    if not sides or not isinstance(doc.get("same"), list):
        return
    out = []
    for entry in doc["same"]:
        pair = {"source": entry, "target": entry} if isinstance(entry, str) else dict(entry)
        for side in sides:
            if pair.get(side) == old:
                pair[side] = new
        out.append(pair["source"] if pair["source"] == pair["target"] else pair)
    doc["same"] = out


def _rename_fill(form: dict[str, Any], renamer: _Renamer, scope: Any) -> None:
    """A form's ``fill`` maps fields of this record (keys) to fields of the picked record
    (values); in a grid, per link of the row."""
    for section in form.get("sections", []):
        for item in section.get("fields", []):
            fill = item.get("fill") if isinstance(item, dict) else None
            if not isinstance(fill, dict):
                continue
            target = renamer._target(scope, item.get("field"))
            table = renamer._target(scope, item["field"]) if renamer.fields.get(scope, {}).get(
                item["field"], {}).get("type") == "table" else None
            out = {}
            for k, v in fill.items():
                if isinstance(v, dict) and table:  # grid: {row link: {row field: linked field}}
                    linked = renamer._target(table, k)
                    out[renamer.key(k, table)] = {renamer.key(t, table): renamer.key(src, linked)
                                                  for t, src in v.items()}
                else:
                    out[renamer.key(k, scope)] = renamer.key(v, target)
            item["fill"] = out


# -- new entities ----------------------------------------------------------------------------------

def _label(value: Any, path: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(value.get(k), str) and value[k].strip()
                                                 for k in ("zh", "en")):
        raise _bad(path, "请填写中文和英文名称", "give the name in Chinese and in English")
    return {"zh": value["zh"].strip()[:500], "en": value["en"].strip()[:500]}


def new_entity(apps: Apps, app: str, spec: Mapping[str, Any]) -> tuple[Apps, list[str], Text]:
    """A new entity document (with the fields given, else a title field), a form and a default
    list view. Returns the documents, the addresses created, and what was done in words."""
    if app not in apps:
        raise NotFound(Text(f"没有应用 {app}", f"there is no app {app}"))
    key = check_key(spec.get("key"))
    if key in RESERVED_KEYS:
        raise _bad("key", f"{key} 是系统保留名", f"{key} is a reserved name")
    if any(doc.get("kind") == "entity" and doc.get("key") == key for _a, _p, doc in _docs(apps)):
        raise _bad("key", f"已有实体 {key}，请换一个键", f"there is already an entity {key}; choose another key")
    label = _label(spec.get("label"), "label")
    fields = list(spec.get("fields") or [{"id": "f_title", "key": "title", "type": "string",
                                           "label": {"zh": "标题", "en": "Title"}, "required": True}])
    for i, f in enumerate(fields):
        check_key(f.get("key"), f"fields[{i}].key")
    entity: dict[str, Any] = {"kind": "entity", "key": key, "label": label}
    if spec.get("naming"):
        entity["naming"] = str(spec["naming"])
    title = spec.get("title_field") or next((f["key"] for f in fields if f.get("type") == "string"), None)
    if title:
        entity["title_field"] = title
        entity["search_fields"] = [title]
    entity["fields"] = fields
    roles = [r for r in spec.get("roles", []) if isinstance(r, str) and IDENTIFIER.match(r)]
    if roles:
        entity["permissions"] = [{"role": r, "read": True, "create": True, "update": True} for r in roles]
    apps = copy.deepcopy(apps)
    docs = apps[app]
    created = []

    def add(path: str, doc: dict[str, Any]) -> None:
        if path in docs:
            raise _bad("key", f"文件 {path} 已存在", f"the file {path} already exists")
        docs[path] = doc
        created.append(f"{app}/{path}")

    add(f"entities/{key}.json", entity)
    shown = [f["key"] for f in fields if f.get("type") not in ("table",)][:24]
    if spec.get("form", True) and shown:
        add(f"forms/{key}.json", {"kind": "form", "key": f"{key}_form", "entity": key, "label": label,
                                  "sections": [{"label": {"zh": "基本信息", "en": "Details"}, "columns": 2,
                                                "fields": shown}]})
    if spec.get("list", True):
        columns = ["name", *[k for k in shown if k != "name"][:6]] if spec.get("naming") else shown[:7] or ["name"]
        add(f"views/{key}_list.json", {"kind": "view", "key": f"{key}_list", "entity": key, "type": "list",
                                       "label": {"zh": f"全部{label['zh']}", "en": f"All {label['en']}"},
                                       "default": True, "columns": columns, "sort": ["-created_at"]})
    return apps, created, Text(f"新建实体 {label['zh']}（{key}）", f"new entity {label['en']} ({key})")


# -- type changes ------------------------------------------------------------------------------------

def _published_field(runtime: Runtime, entity_key: str, field_id: str) -> Any:
    version = runtime.current_version(fresh=True)
    if version is None:
        return None
    entity = runtime.snapshot(version).entities.get(entity_key)
    return entity.by_id.get(field_id) if entity is not None else None


def conversions(runtime: Runtime, entity_key: str, field_doc: Mapping[str, Any]) -> dict[str, Any]:
    """The types field ``field_doc`` may take, each with what happens to the stored values: every
    published value is converted in memory as the migration would, and failures are counted."""
    published = _published_field(runtime, entity_key, field_doc["id"])
    current = field_doc.get("type")
    convertible = conversion_targets(current)  # each field type says which (``FieldType.convertible_to``)
    if not convertible:
        return {"field": field_doc["id"], "type": current, "rows": 0, "targets": [],
                "note": Text(f"{type_word(current).zh}字段的类型不能更改", f"a {type_word(current).en} field keeps "
                             "its type").as_dict()}
    values: list[tuple[int, Any]] = []
    if published is not None and published.is_stored:
        entity = runtime.snapshot().entities[entity_key]
        table = sa.Table(entity.table_name, sa.MetaData(), sa.Column("id", sa.BigInteger),
                         sa.Column(published.key, column_type(published)))
        with runtime.db.read() as conn:
            values = [(r[0], r[1]) for r in conn.execute(sa.select(table.c.id, table.c[published.key])
                                                         .order_by(table.c.id))]
    filled = [(rid, v) for rid, v in values if v is not None and v != ""]
    distinct = sorted({str(v) for _rid, v in filled if not isinstance(v, list)})
    targets = []
    for target in convertible:
        probe = {**field_doc, "type": target}
        has_options = "options" in field_type(target).designer_options
        choices = has_options and not probe.get("options")
        if choices:  # the editor makes the distinct stored values the options
            probe["options"] = [{"value": v[:64], "label": {"zh": v, "en": v}} for v in distinct or ["-"]]
        for key, value in field_type(target).designer_defaults.items():
            probe.setdefault(key, value)
        f = build_field(probe)
        failed = []
        for rid, value in filled:
            try:
                convert(value, f)
            except ConversionError as exc:
                failed.append({"id": rid, "value": str(value)[:80], "reason": str(exc)})
        if filled and len(failed) == len(filled):
            continue  # no stored value would survive: not offered
        ids = "、".join(str(x["id"]) for x in failed[:MAX_LISTED_ROWS])
        b = type_word(target)
        if not filled:
            text = Text(f"现在没有数据，改为{b.zh}不影响任何记录", "no values yet: nothing to convert")
        elif failed:
            text = Text(f"{len(filled)} 个值中有 {len(failed)} 个无法转为{b.zh}（第 {ids} 号记录），"
                        "发布前需修正这些记录或归档该字段",
                        f"{len(failed)} of {len(filled)} values do not convert to {b.en} (records "
                        f"{ids.replace('、', ', ')}); fix those records or archive the field before publishing")
        elif choices:
            text = Text(f"现有的 {len(distinct)} 个不同值将成为选项，全部 {len(filled)} 个值保留",
                        f"the {len(distinct)} distinct values become the options; all {len(filled)} values stay")
        else:
            text = Text(f"全部 {len(filled)} 个值都能转为{b.zh}", f"all {len(filled)} values convert to {b.en}")
        entry: dict[str, Any] = {"type": target, "label": b.as_dict(), "converts": not failed, "failed": len(failed),
                                 "rows": failed[:MAX_LISTED_ROWS], "text": text.as_dict()}
        if has_options:
            entry["values"] = distinct[:50]
        targets.append(entry)
    return {"field": field_doc["id"], "type": current, "rows": len(values), "filled": len(filled), "targets": targets}


def archived_fields(runtime: Runtime, entity_key: str) -> list[dict[str, Any]]:
    """Fields removed from ``entity_key`` whose data is archived: adding the definition back restores them."""
    with runtime.db.read() as conn:
        rows = conn.execute(sa.select(sm.archived_field).where(sm.archived_field.c.entity == entity_key)
                            .order_by(sm.archived_field.c.archived_at.desc())).mappings().all()
    return [{"field_id": r["field_id"], "definition": r["definition"], "archived_at": r["archived_at"].isoformat(),
             "revision": r["revision"]} for r in rows]


def new_field_id(key: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", f"f_{key}")[:36]
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate
