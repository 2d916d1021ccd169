"""The rule builder's server side: where rules live in a draft, what they may read, and the
server's answer for the "test this rule" panel.

Rules are found by walking every document: a value under a key that holds JSONLogic in some
meta-schema (``when``, ``check``, ``formula``, ``rows``, ``visible`` …) that is itself a rule —
an object with one key naming an operator of the engine, or a setting reference — is a rule
location. So a kind added later has its rules found the day it exists, as long as it names
them the way the others do. Each location says which entity its ``var`` paths speak of (the
entity document itself, or the ``entity`` a form, view, workflow or board names), so the
builder offers that entity's fields and the fields behind its links (``customer.grade``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sunmao.errors import NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta import settings as app_settings
from sunmao.records import RecordService
from sunmao.rules import RuleError
from sunmao.snapshot import Snapshot, rule_fields

#: Keys under which the meta-schemas hold JSONLogic (metadata/*.schema.json, "JSONLogic ...").
RULE_KEYS = frozenset({"when", "check", "formula", "where", "rows", "visible", "required", "read_only", "guard",
                       "condition", "rule", "priority", "skip", "dedup_key", "default"})
MANIFEST = "app.json"


def _is_rule(node: Any, operators: frozenset[str]) -> bool:
    if app_settings.is_reference(node):
        return True
    return isinstance(node, dict) and len(node) == 1 and next(iter(node)) in operators


def locate(apps: Mapping[str, Mapping[str, Any]], operators: frozenset[str]) -> list[dict[str, Any]]:
    """Every rule of the draft: its document, JSON path (and its steps), entity and a label."""
    found: list[dict[str, Any]] = []
    for app, docs in apps.items():
        for rel, doc in docs.items():
            if rel == MANIFEST or not isinstance(doc, dict):
                continue
            address = f"{app}/{rel}"
            root_entity = doc.get("key") if doc.get("kind") == "entity" else doc.get("entity")
            for steps, rule, entity, label in _walk(doc, [], root_entity if isinstance(root_entity, str) else None,
                                                    None, operators):
                found.append({"address": address, "kind": doc.get("kind"), "path": _path(steps), "steps": steps,
                              "entity": entity, "label": label, "rule": rule})
    return found


def _walk(node: Any, steps: list[Any], entity: str | None, label: Any, operators: frozenset[str]
          ) -> Iterator[tuple[list[Any], Any, str | None, Any]]:
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, [*steps, i], entity, label, operators)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("label"), dict):
        label = node["label"]
    for key, value in node.items():
        if key in RULE_KEYS and _is_rule(value, operators):
            yield [*steps, key], value, entity, label
        elif key == "default" and isinstance(value, dict) and _is_rule(value.get("formula"), operators):
            yield [*steps, key, "formula"], value["formula"], entity, label
        elif key not in RULE_KEYS or isinstance(value, (list, dict)):
            yield from _walk(value, [*steps, key], entity, label, operators)


def _path(steps: list[Any]) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)


def fields(snap: Snapshot, entity: str, lang: str = "zh") -> list[dict[str, Any]]:
    """What a rule over ``entity`` may read: path, type, label (``客户 · 等级``) and options."""
    if entity not in snap.entities:
        return []
    own = snap.entities[entity]
    types = rule_fields(own, snap.entities)
    tables = {f.key for f in own.table_fields}
    out = []
    for path, kind in types.items():
        if "." in path and path.split(".")[0] in tables:
            continue  # a child table's rows are read by map/filter/sum (edited as JSON), not by path
        label, options = _describe(snap, entity, path, lang)
        out.append({"path": path, "type": kind, "label": label, "options": options})
    return out


def _describe(snap: Snapshot, entity: str, path: str, lang: str) -> tuple[str, list[dict[str, Any]]]:
    parts, labels, current = path.split("."), [], snap.entities.get(entity)
    field = None
    for part in parts:
        field = current.by_key.get(part) if current is not None else None
        if field is None:
            labels.append(part)
            current = None
            continue
        labels.append(field.label.get(lang))
        current = snap.entities.get(field.to or field.of or "")
    options = [{"value": o.value, "label": o.label.as_dict()} for o in (getattr(field, "options", None) or ())]
    return " · ".join(labels), options


def test(runtime: Any, snap: Snapshot, apps: Mapping[str, Mapping[str, Any]], entity: str | None, rule: Any,
         record_id: int | None = None, sample: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The server's answer for a rule over a stored record (links expanded as the rules see them)
    or a typed sample: the rule with settings put in, the data it read, and the result or error."""
    resolved, problems = app_settings.resolve_settings({"_": {"rule.json": {"rule": rule}}, **apps})
    problems = [p for p in problems if p.file == "_/rule.json"]
    if problems:
        raise ValidationFailed(errors={"rule": [Text(p.message, p.message) for p in problems]})
    expr = resolved["_"]["rule.json"]["rule"]
    data: Any = dict(sample or {})
    if record_id is not None:
        if not entity or entity not in snap.compiled:
            raise NotFound(Text(f"没有实体 {entity}", f"there is no entity {entity}"))
        records = RecordService(runtime.db, snap)
        with runtime.db.read() as conn:
            try:
                stored = records.fetch(conn, entity, int(record_id))
            except NotFound:
                raise NotFound(Text(f"{entity} #{record_id} 不存在", f"{entity} #{record_id} does not exist")) from None
            data = records.evaluation_data(entity, stored, conn)
            conn.rollback()
    plain = browser_value(data)
    try:
        result = snap.rules.compile(expr, name="designer.test")(data)
    except RuleError as exc:
        return {"rule": expr, "data": plain, "error": {"zh": exc.message_zh, "en": exc.message_en}}
    return {"rule": expr, "data": plain, "result": browser_value(result)}


def browser_value(value: Any) -> Any:
    """A value as the browser's rule engine holds it: a Decimal is a JS number, dates ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): browser_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [browser_value(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def settings_used(apps: Mapping[str, Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Where each setting is read: setting key → [{address, path}]."""
    used: dict[str, list[dict[str, Any]]] = {}

    def walk(node: Any, address: str, steps: list[Any]) -> None:
        if app_settings.is_reference(node):
            used.setdefault(node["setting"], []).append({"address": address, "path": _path(steps)})
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, address, [*steps, k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, address, [*steps, i])

    for app, docs in apps.items():
        for rel, doc in docs.items():
            if rel != MANIFEST:
                walk(doc, f"{app}/{rel}", [])
    return used


def settings_in_rules(locations: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Which rules read each setting: setting key → [{address, rule_path, label}]."""
    used: dict[str, list[dict[str, Any]]] = {}

    def keys(node: Any) -> Iterator[str]:
        if app_settings.is_reference(node):
            yield node["setting"]
        elif isinstance(node, dict):
            for v in node.values():
                yield from keys(v)
        elif isinstance(node, list):
            for v in node:
                yield from keys(v)

    for loc in locations:
        for key in dict.fromkeys(keys(loc["rule"])):
            used.setdefault(key, []).append({"address": loc["address"], "rule_path": loc["path"],
                                             "label": loc["label"]})
    return used
