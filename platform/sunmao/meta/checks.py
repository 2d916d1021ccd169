"""Static checks across a whole set of documents, beyond what a JSON Schema can say.

References between documents (a link's target, a table's child entity, the title field)
and naming rules (reserved column names, unique ids) are checked here, before anything
reaches the database. Rule expressions are checked by ``sunmao.rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sunmao.meta.errors import Problem
from sunmao.meta.model import RESERVED_KEYS, is_currency_code


def entity_documents(apps: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, dict]]:
    """Every entity document of every app, by entity key, with the file it came from."""
    found: dict[str, tuple[str, dict]] = {}
    for app_key, docs in apps.items():
        for rel, doc in docs.items():
            if isinstance(doc, dict) and doc.get("kind") == "entity":
                found.setdefault(doc["key"], (f"{app_key}/{rel}", doc))
    return found


def check_entities(apps: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for app_key, docs in apps.items():
        for rel, doc in docs.items():
            if isinstance(doc, dict) and doc.get("kind") == "entity":
                where = f"{app_key}/{rel}"
                if doc["key"] in seen:
                    problems.append(Problem(where, "$.key", f"entity {doc['key']!r} is already defined in "
                                            f"{seen[doc['key']]}; choose another key"))
                seen.setdefault(doc["key"], where)
    entities = entity_documents(apps)
    for where, doc in entities.values():
        problems += _check_entity(where, doc, entities)
    return problems


def _check_entity(where: str, doc: dict, entities: Mapping[str, tuple[str, dict]]) -> list[Problem]:
    problems: list[Problem] = []

    def bad(path: str, message: str) -> None:
        problems.append(Problem(where, path, message))

    ids: dict[str, int] = {}
    keys: dict[str, int] = {}
    child = doc.get("child", False)
    for i, f in enumerate(doc["fields"]):
        p = f"$.fields[{i}]"
        if f["id"] in ids:
            bad(f"{p}.id", f"field id {f['id']!r} is also used by fields[{ids[f['id']]}]; ids must be unique")
        ids.setdefault(f["id"], i)
        if f["key"] in keys:
            bad(f"{p}.key", f"field key {f['key']!r} is also used by fields[{keys[f['key']]}]; rename one")
        keys.setdefault(f["key"], i)
        if f["key"] in RESERVED_KEYS:
            bad(f"{p}.key", f"{f['key']!r} is a system column; choose another key (e.g. {f['key']}_value)")
        t = f["type"]
        if t == "link":
            target = entities.get(f["to"])
            if target is None:
                bad(f"{p}.to", f"link target {f['to']!r} is not an entity; use one of {', '.join(sorted(entities))}")
            elif target[1].get("child"):
                bad(f"{p}.to", f"{f['to']!r} is a child entity and cannot be linked to; link its parent")
        if "link_filter" in f:
            problems += _check_link_filter(where, p, f, doc, entities)
        if "currency" in f:
            problems += _check_currency(where, p, f, doc, entities)
        if "on_delete" in f and t != "link":
            bad(f"{p}.on_delete", "on_delete applies to link fields only; remove it")
        elif f.get("on_delete") == "set_null" and f.get("required"):
            bad(f"{p}.on_delete", "a required link cannot be cleared: use restrict, or make the link optional")
        if t == "table":
            target = entities.get(f["of"])
            if child:
                bad(f"{p}.type", "a child entity cannot have table fields (one level of rows only)")
            elif target is None:
                bad(f"{p}.of", f"child entity {f['of']!r} is not defined")
            elif not target[1].get("child"):
                bad(f"{p}.of", f"{f['of']!r} is not a child entity; set \"child\": true in its document")
        vt = f.get("result_type") if t == "computed" else t
        if vt == "decimal" and f.get("precision") is not None and f["precision"] < f.get("scale", 0):
            bad(f"{p}.precision", "precision must be at least the scale")
        if vt == "decimal" and "scale" not in f:
            bad(f"{p}.scale", "a decimal result needs a scale (digits after the point)")
        if t in ("select",) and "default" in f and not isinstance(f["default"], dict):
            values = [o["value"] for o in f["options"]]
            if f["default"] not in values:
                bad(f"{p}.default", f"default {f['default']!r} is not an option; use one of {', '.join(values)}")
        if f.get("min") is not None and f.get("max") is not None and f["min"] > f["max"]:
            bad(f"{p}.min", "min is greater than max")
    stored = {f["key"] for f in doc["fields"] if f["type"] != "table"} | {"name"}
    if doc.get("title_field") and doc["title_field"] not in stored:
        bad("$.title_field", f"{doc['title_field']!r} is not a field of this entity")
    for i, perm in enumerate(doc.get("permissions", ())):
        for j, key in enumerate(perm.get("writable_fields", ())):
            if key not in keys:
                bad(f"$.permissions[{i}].writable_fields[{j}]", f"{key!r} is not a field of this entity")
    if doc.get("naming_date") and next((f["type"] for f in doc["fields"] if f["key"] == doc["naming_date"]),
                                       None) not in ("date", "datetime"):
        bad("$.naming_date", f"{doc['naming_date']!r} is not a date or datetime field of this entity")
    for i, key in enumerate(doc.get("summary_fields", ())):
        if key not in stored:
            bad(f"$.summary_fields[{i}]", f"{key!r} is not a stored field of this entity")
    links = {f["key"]: f.get("to") for f in doc["fields"] if f["type"] == "link"}
    if "search_key" in doc:
        key_field = next((f for f in doc["fields"] if f["key"] == doc["search_key"]), None)
        if key_field is None or key_field["type"] != "string" or not key_field.get("read_only"):
            bad("$.search_key", f"{doc['search_key']!r} must be a read-only string field of this entity "
                "(the engine fills it); declare it with \"type\": \"string\", \"read_only\": true, \"hidden\": true")
    for prop in ("search_fields", "task_fields"):
        for i, key in enumerate(doc.get(prop, ())):
            head, _, tail = key.partition(".")
            if not tail:
                if key not in stored:
                    bad(f"$.{prop}[{i}]", f"{key!r} is not a field of this entity")
            elif head not in links:
                bad(f"$.{prop}[{i}]", f"{head!r} is not a link field of this entity; `link.field` reads "
                                      "the linked records")
            elif links[head] in entities and tail not in _stored_keys(entities[links[head]][1]):
                bad(f"$.{prop}[{i}]", f"{tail!r} is not a field of {links[head]}")
    for i, lookup in enumerate(doc.get("lookups", ())):
        p = f"$.lookups[{i}]"
        if lookup["key"] in keys or lookup["key"] in RESERVED_KEYS:
            bad(f"{p}.key", f"{lookup['key']!r} is also a field of this entity; a look-up needs a name of its own")
        target = entities.get(lookup["entity"])
        if target is None or target[1].get("child"):
            bad(f"{p}.entity", f"{lookup['entity']!r} is not an entity with records")
            continue
        for j, key in enumerate(lookup.get("order_by", ())):
            if key.lstrip("-") not in _stored_keys(target[1]):
                bad(f"{p}.order_by[{j}]", f"{key.lstrip('-')!r} is not a stored field of {lookup['entity']}")
    for i, index in enumerate(doc.get("indexes", ())):
        for j, key in enumerate(index["fields"]):
            if key not in stored:
                bad(f"$.indexes[{i}].fields[{j}]", f"{key!r} is not a stored field of this entity")
    if child and doc.get("lookups"):
        bad("$.lookups", "a child entity cannot have look-ups; declare them on its parent")
    if child and doc.get("naming"):
        bad("$.naming", "a child entity has no naming series; remove it")
    for i, rule in enumerate(doc.get("rules", ())):
        for j, key in enumerate(rule.get("fields", ())):
            if key not in keys:
                bad(f"$.rules[{i}].fields[{j}]", f"{key!r} is not a field of this entity")
    return problems


def _stored_keys(doc: Mapping[str, Any]) -> set[str]:
    """The keys of an entity document's columns, system columns included."""
    return {f["key"] for f in doc["fields"] if f["type"] != "table"} | {"id", "name", "created_at", "updated_at"}


def _check_currency(where: str, p: str, f: Mapping[str, Any], doc: Mapping[str, Any],
                    entities: Mapping[str, tuple[str, dict]]) -> list[Problem]:
    """Money is a decimal; its currency field is on the record, or on the parent a row is shown in."""
    if "decimal" not in (f["type"], f.get("result_type")):
        return [Problem(where, f"{p}.currency", "currency applies to decimal fields only; remove it")]
    key = f["currency"]
    if is_currency_code(key):
        return []
    holders = [doc] + [e for _, e in entities.values()
                       if any(g["type"] == "table" and g.get("of") == doc.get("key") for g in e["fields"])]
    if any(key in {g["key"] for g in h["fields"]} for h in holders):
        return []
    return [Problem(where, f"{p}.currency", f"no field {key!r} holds a currency code on this record"
                    f"{' or its parent' if len(holders) > 1 else ''}; name a field or an ISO code such as CNY")]


def _check_link_filter(where: str, p: str, f: Mapping[str, Any], doc: Mapping[str, Any],
                       entities: Mapping[str, tuple[str, dict]]) -> list[Problem]:
    """A link filter names fields of the link's target (keys) and of this record (values)."""
    if f["type"] != "link":
        return [Problem(where, f"{p}.link_filter", "link_filter applies to link fields only; remove it")]
    target = entities.get(f["to"])
    if target is None:
        return []
    theirs = {g["key"]: g for g in target[1]["fields"]}
    ours = {g["key"]: g for g in doc["fields"]}
    problems = []
    for their_key, our_key in f["link_filter"].items():
        if their_key not in theirs or theirs[their_key]["type"] in ("table", "json"):
            problems.append(Problem(where, f"{p}.link_filter.{their_key}",
                                    f"{f['to']!r} has no field {their_key!r} to filter on; use one of "
                                    f"{', '.join(sorted(k for k, g in theirs.items() if g['type'] != 'table'))}"))
        if our_key not in ours or ours[our_key]["type"] in ("table", "json"):
            problems.append(Problem(where, f"{p}.link_filter.{their_key}",
                                    f"this entity has no field {our_key!r} to compare with; use one of "
                                    f"{', '.join(sorted(k for k, g in ours.items() if g['type'] != 'table'))}"))
    return problems
