"""Three-way merge of JSON documents: what two people changed from a common version, together.

``merge3(base, ours, theirs)`` keeps every change made on one side only, takes a change made
identically on both, and reports a ``Conflict`` wherever both sides changed the same thing
differently — the merged value then holds *ours* until a person decides (``resolve``). Never
a silent overwrite: a side's change is either in the result or in the conflict list.

- Objects merge key by key, recursively (one person renames a label, the other adds a field).
- Arrays of objects that each carry a unique ``id`` (else ``key``) merge item by item, matched
  by that identity: items added on either side are kept in place, an item deleted on one side
  and untouched on the other is deleted, deleted on one side and changed on the other is a
  conflict; a reorder on one side is taken, different reorders on both sides are a conflict.
- Every other array is one value (a JSONLogic ``[">", ...]``, a list of column keys).

Pure functions over JSON values; used for drafts over an older version, upgrades of shipped
apps over a plant's customizations, and reverting one document.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sunmao.designer.jsonpath import MISSING, Ident, Path, get, identity_key, put, render, to_json


def same(a: Any, b: Any) -> bool:
    """Equality of JSON values (``True`` is not ``1``; ``1`` is ``1.0``)."""
    if a is b:
        return True
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    return bool(a == b)


@dataclass(frozen=True)
class Conflict:
    """Both sides changed ``path`` differently. ``kind``: ``value`` (two different values),
    ``deleted`` (removed on one side, changed on the other) or ``order`` (items reordered
    differently; the values are the identity lists)."""

    path: Path
    base: Any
    ours: Any
    theirs: Any
    kind: str = "value"

    @property
    def where(self) -> str:
        return render(self.path)

    def as_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return None if v is MISSING else v
        return {"path": self.where, "steps": to_json(self.path), "kind": self.kind, "base": plain(self.base),
                "ours": plain(self.ours), "theirs": plain(self.theirs), "base_missing": self.base is MISSING,
                "ours_missing": self.ours is MISSING, "theirs_missing": self.theirs is MISSING}


@dataclass
class MergeResult:
    merged: Any
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge3(base: Any, ours: Any, theirs: Any) -> MergeResult:
    """Merge ``ours`` and ``theirs``, both changed from ``base`` (inputs are not modified)."""
    conflicts: list[Conflict] = []
    merged = _merge(base, ours, theirs, (), conflicts)
    return MergeResult(copy.deepcopy(merged), conflicts)


def _merge(base: Any, ours: Any, theirs: Any, path: Path, conflicts: list[Conflict]) -> Any:
    if same(ours, theirs):
        return ours
    if same(base, ours):
        return theirs
    if same(base, theirs):
        return ours
    if isinstance(ours, Mapping) and isinstance(theirs, Mapping) and (base is MISSING or isinstance(base, Mapping)):
        return _merge_objects({} if base is MISSING else base, ours, theirs, path, conflicts)
    if isinstance(ours, list) and isinstance(theirs, list) and (base is MISSING or isinstance(base, list)):
        name = identity_key([] if base is MISSING else base, ours, theirs)
        if name is not None:
            return _merge_items(name, [] if base is MISSING else base, ours, theirs, path, conflicts)
    kind = "deleted" if MISSING in (ours, theirs) else "value"
    conflicts.append(Conflict(path, base, ours, theirs, kind))
    return ours


def _merge_objects(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any], path: Path,
                   conflicts: list[Conflict]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    keys = list(ours) + [k for k in theirs if k not in ours] + [k for k in base if k not in ours and k not in theirs]
    for key in keys:
        value = _merge(base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING), (*path, key),
                       conflicts)
        if value is not MISSING:
            out[key] = value
    return out


def _merge_items(name: str, base: list[Any], ours: list[Any], theirs: list[Any], path: Path,
                 conflicts: list[Conflict]) -> list[Any]:
    by = [{item[name]: item for item in side} for side in (base, ours, theirs)]
    orders = [[item[name] for item in side] for side in (base, ours, theirs)]
    merged: dict[Any, Any] = {}
    for ident in dict.fromkeys(orders[1] + orders[2] + orders[0]):
        value = _merge(by[0].get(ident, MISSING), by[1].get(ident, MISSING), by[2].get(ident, MISSING),
                       (*path, Ident(name, ident)), conflicts)
        if value is not MISSING:
            merged[ident] = value
    order = _merge_order(orders, path, conflicts)
    return [merged[ident] for ident in order if ident in merged]


def _merge_order(orders: list[list[Any]], path: Path, conflicts: list[Conflict]) -> list[Any]:
    """The items' order: a side's reorder is taken; additions keep their place after the item
    that precedes them on the side that added them."""
    base, ours, theirs = orders
    shared = set(base) & set(ours) & set(theirs)

    def among(order: list[Any]) -> list[Any]:
        return [i for i in order if i in shared]

    ours_moved, theirs_moved = among(ours) != among(base), among(theirs) != among(base)
    if ours_moved and theirs_moved and among(ours) != among(theirs):
        conflicts.append(Conflict(path, among(base), among(ours), among(theirs), "order"))
    skeleton, other = (list(theirs), ours) if theirs_moved and not ours_moved else (list(ours), theirs)
    known = set(other) | set(base)
    for i, ident in enumerate(other):
        if ident in skeleton:
            continue
        before = next((p for p in reversed(other[:i]) if p in skeleton), MISSING)
        at = 0 if before is MISSING else skeleton.index(before) + 1
        while at < len(skeleton) and skeleton[at] not in known:  # the skeleton's own additions there come first
            at += 1
        skeleton.insert(at, ident)
    return skeleton


def resolve(merged: Any, conflicts: list[Conflict], choices: Mapping[str, Any]) -> Any:
    """Apply a person's decisions to a merge result (a copy): ``choices`` maps a conflict's
    rendered path to ``"ours"``, ``"theirs"``, ``"base"`` or ``{"value": <any JSON>}``.
    Conflicts without a choice keep *ours*."""
    doc = copy.deepcopy(merged)
    for conflict in conflicts:
        choice = choices.get(conflict.where)
        if choice is None or choice == "ours":
            continue
        if conflict.kind == "order":
            order = conflict.theirs if choice == "theirs" else conflict.base if choice == "base" else None
            if order is not None:
                items = get(doc, conflict.path)
                name = identity_key(items)
                if isinstance(items, list) and name:
                    rank = {ident: i for i, ident in enumerate(order)}
                    items.sort(key=lambda item: rank.get(item[name], len(rank)))
            continue
        if isinstance(choice, Mapping) and "value" in choice:
            value = copy.deepcopy(choice["value"])
        elif choice in ("theirs", "base"):
            value = copy.deepcopy(conflict.theirs if choice == "theirs" else conflict.base)
        else:
            raise ValueError(f"{conflict.where}: choose ours, theirs, base or {{\"value\": ...}}, not {choice!r}")
        doc = put(doc, conflict.path, value)
    return doc


# -- whole apps --------------------------------------------------------------------------------

MANIFEST = "app.json"


def merge_apps(base: Mapping[str, Any], ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> MergeResult:
    """Merge ``{app: {path: document}}`` sets. A manifest's ``documents`` list follows the
    documents themselves (two people adding two documents is not a conflict)."""
    lists: list[dict[str, Any]] = []
    stripped = []
    for side in (base, ours, theirs):
        found, copy_side = {}, {}
        for app, docs in side.items():
            docs = dict(docs)
            manifest = docs.get(MANIFEST)
            if isinstance(manifest, Mapping) and "documents" in manifest:
                found[app] = [{"key": p} for p in manifest["documents"]]
                docs[MANIFEST] = {k: v for k, v in manifest.items() if k != "documents"}
            copy_side[app] = docs
        lists.append(found)
        stripped.append(copy_side)
    result = merge3(*stripped)
    for app, docs in result.merged.items():
        manifest = docs.get(MANIFEST)
        if not isinstance(manifest, dict):
            continue
        ignored: list[Conflict] = []
        order = _merge(*(side.get(app, MISSING) for side in lists), (), ignored)
        paths = [item["key"] for item in order] if isinstance(order, list) else []
        paths = [p for p in paths if p in docs] + [p for p in docs if p != MANIFEST and p not in paths]
        manifest["documents"] = paths
    return result
