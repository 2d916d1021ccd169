"""App settings: named parameters that rules read as ``{"setting": "key"}``.

A review threshold or a scoring weight is a literal inside a formula; written as a setting it
becomes one field a business user changes in the designer ("raise the finance threshold to
80,000"), and every rule that names it follows. The reference is put in place of its value
when the metadata is compiled (:func:`resolve_settings`), before anything reads a rule, so
every path that runs a rule — the server's compiled closures, rules translated to SQL, the
browser's rule engine fed from the snapshot, the workflow's branch conditions — sees the same
literal and needs to know nothing about settings. The stored documents keep the reference.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sunmao.meta.errors import Problem

KIND = "settings"
MANIFEST = "app.json"


def is_reference(node: Any) -> bool:
    """``{"setting": "key"}``: exactly one key, naming a parameter."""
    return isinstance(node, dict) and len(node) == 1 and isinstance(node.get("setting"), str)


def parameters(apps: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every parameter of every settings document: key → (document address, parameter)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for app, docs in apps.items():
        for rel, doc in docs.items():
            if rel != MANIFEST and isinstance(doc, Mapping) and doc.get("kind") == KIND:
                for p in doc.get("parameters", ()):
                    if isinstance(p, Mapping) and isinstance(p.get("key"), str):
                        found.setdefault(p["key"], (f"{app}/{rel}", dict(p)))
    return found


def values(apps: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Every parameter's current value, by key."""
    return {k: p.get("value") for k, (_where, p) in parameters(apps).items()}


def _duplicates(apps: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for app, docs in apps.items():
        for rel, doc in docs.items():
            if rel == MANIFEST or not isinstance(doc, Mapping) or doc.get("kind") != KIND:
                continue
            for i, p in enumerate(doc.get("parameters", ())):
                key, where = p.get("key") if isinstance(p, Mapping) else None, f"{app}/{rel}"
                if not isinstance(key, str):
                    continue
                if key in seen:
                    problems.append(Problem(where, f"$.parameters[{i}].key",
                                            f"setting {key!r} is already defined in {seen[key]}; give it another key"))
                else:
                    seen[key] = where
                lo, hi, v = p.get("min"), p.get("max"), p.get("value")
                if isinstance(v, (int, float)) and not isinstance(v, bool) and (
                        (lo is not None and v < lo) or (hi is not None and v > hi)):
                    problems.append(Problem(where, f"$.parameters[{i}].value",
                                            f"setting {key!r} is {v}, outside {lo} … {hi}; choose a value in range"))
    return problems


def resolve_settings(apps: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """The documents with every ``{"setting": key}`` replaced by the parameter's value, and the
    problems met (an unknown key, named with its document and path and the keys there are).
    Documents without a reference are passed through as they are (not copied)."""
    table = values(apps)
    problems = _duplicates(apps)
    out: dict[str, dict[str, Any]] = {}
    for app, docs in apps.items():
        out[app] = {}
        for rel, doc in docs.items():
            if rel == MANIFEST or not _mentions(doc):
                out[app][rel] = doc
                continue
            out[app][rel] = _replace(copy.deepcopy(doc), "$", f"{app}/{rel}", table, problems)
    return out, problems


def _mentions(node: Any) -> bool:
    if is_reference(node):
        return True
    if isinstance(node, dict):
        return any(_mentions(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions(v) for v in node)
    return False


def _replace(node: Any, path: str, where: str, table: Mapping[str, Any], problems: list[Problem]) -> Any:
    if is_reference(node):
        key = node["setting"]
        if key not in table:
            known = ", ".join(sorted(table)) or "none defined"
            problems.append(Problem(where, path, f"unknown setting {key!r}; add it to a settings document "
                                                 f"or use one of: {known}"))
            return None
        return copy.deepcopy(table[key])
    if isinstance(node, dict):
        return {k: _replace(v, f"{path}.{k}", where, table, problems) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace(v, f"{path}[{i}]", where, table, problems) for i, v in enumerate(node)]
    return node
