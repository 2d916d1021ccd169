"""The canonical text of a document: keys in the order its meta-schema lists them.

PostgreSQL's JSONB keeps no key order and a designer edit rebuilds objects, so a document's
stored key order says nothing. Writing keys in the order of the meta-schema's ``properties``
(``kind, key, label, ...``; unknown keys after them, sorted) gives one text per document —
the same bytes from SQLite and PostgreSQL, from a fresh install and after a round trip — and
it reads the way the app authors write by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from sunmao.designer.jsonpath import identity_key
from sunmao.resources import bundle_path

Schema = Mapping[str, Any]


@cache
def _schema_file(name: str) -> dict[str, Any]:
    return json.loads((bundle_path("metadata") / name).read_text(encoding="utf-8"))


def _resolve(node: Any, file: str) -> tuple[Any, str]:
    """Follow ``$ref`` (to another file or within this one) until a schema without one."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        target, _, pointer = ref.partition("#")
        file = target or file
        node = _schema_file(file)
        for part in (p for p in pointer.split("/") if p):
            node = node[part]
        seen += 1
    return node, file


def _branches(node: Schema, file: str) -> list[tuple[Schema, str]]:
    """A schema and every subschema that may add properties to the same object."""
    node, file = _resolve(node, file)
    if not isinstance(node, Mapping):
        return []
    out = [(node, file)]
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, ()):
            out += _branches(sub, file)
    for key in ("then", "else"):
        if key in node:
            out += _branches(node[key], file)
    return out


def _object_order(node: Schema | None, file: str) -> tuple[list[str], dict[str, tuple[Any, str]], Any]:
    """Property order, each property's schema, and the schema of other properties."""
    order: list[str] = []
    props: dict[str, tuple[Any, str]] = {}
    extra: Any = None
    if node is None:
        return order, props, extra
    for branch, where in _branches(node, file):
        if branch.get("type") not in (None, "object") and "properties" not in branch:
            continue
        for key, sub in branch.get("properties", {}).items():
            if key not in props:
                order.append(key)
                props[key] = (sub, where)
        if isinstance(branch.get("additionalProperties"), Mapping) and extra is None:
            extra = (branch["additionalProperties"], where)
    return order, props, extra


def _items_schema(node: Schema | None, file: str) -> tuple[Any, str] | None:
    if node is None:
        return None
    for branch, where in _branches(node, file):
        if "items" in branch and isinstance(branch["items"], Mapping):
            return branch["items"], where
    return None


def ordered(value: Any, node: Any = None, file: str = "", like: Any = None) -> Any:
    """``value`` with every object's keys in order (a copy): the keys the same object has in
    ``like`` (the text it was installed from) keep that order, then schema order, then sorted."""
    if isinstance(value, Mapping):
        order, props, extra = _object_order(node, file)
        before = [k for k in like if k in value] if isinstance(like, Mapping) else []
        keys = before + [k for k in order if k in value and k not in before]
        keys += sorted(k for k in value if k not in keys)
        out = {}
        for k in keys:
            sub = props.get(k) or extra
            out[k] = ordered(value[k], *(sub if sub else (None, file)),
                             like=like.get(k) if isinstance(like, Mapping) else None)
        return out
    if isinstance(value, list):
        items = _items_schema(node, file)
        olds = like if isinstance(like, list) else []
        name = identity_key(value, olds) if olds else None
        by_id = {o[name]: o for o in olds} if name else {}
        out_list = []
        for i, v in enumerate(value):
            old = by_id.get(v[name]) if name else (olds[i] if i < len(olds) else None)
            out_list.append(ordered(v, *(items if items else (None, file)), like=old))
        return out_list
    return value


def canonical(doc: Any, kind: str | None = None, like: Any = None) -> Any:
    """A document with its keys in the order of ``like`` (its original), then of its kind's meta-schema."""
    kind = kind or (doc.get("kind") if isinstance(doc, Mapping) else None)
    try:
        schema = _schema_file(f"{kind}.schema.json") if kind else None
    except (FileNotFoundError, OSError):
        schema = None
    return ordered(doc, schema, f"{kind}.schema.json", like)


def canonical_text(doc: Any, kind: str | None = None, like: Any = None) -> str:
    """UTF-8 JSON, two-space indent, keys ordered as :func:`canonical` does, trailing newline."""
    return json.dumps(canonical(doc, kind, like), ensure_ascii=False, indent=2) + "\n"
