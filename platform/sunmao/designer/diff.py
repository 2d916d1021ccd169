"""Differences between two JSON values, for the edit log and for readable history.

``changes(a, b)`` lists the smallest replacements that turn ``a`` into ``b`` (arrays of equal
length element by element, others whole); ``apply`` replays them forwards or backwards, which
is all undo and redo need. ``describe(a, b)`` is for people: array items that carry an
``id``/``key`` are matched by it, so a moved field is "moved", not ten changed indexes.
Pure functions, no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sunmao.designer.jsonpath import MISSING, Ident, Path, from_json, identity_key, put, render, to_json
from sunmao.designer.merge import same


@dataclass(frozen=True)
class Change:
    """``path`` went from ``old`` to ``new`` (``MISSING``: added or removed); ``moved``: only
    the order of the identified items at ``path`` changed (``old``/``new`` are the identities)."""

    path: Path
    old: Any
    new: Any
    moved: bool = False

    @property
    def action(self) -> str:
        if self.moved:
            return "moved"
        if self.old is MISSING:
            return "added"
        if self.new is MISSING:
            return "removed"
        return "changed"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"p": to_json(self.path)}
        if self.old is not MISSING:
            out["o"] = self.old
        if self.new is not MISSING:
            out["n"] = self.new
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(from_json(data["p"]), data.get("o", MISSING), data.get("n", MISSING))


def changes(a: Any, b: Any, path: Path = ()) -> list[Change]:
    """Replacements turning ``a`` into ``b``, in a replayable order."""
    if same(a, b):
        return []
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return _by_key(a, b, path, changes)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [c for i, (x, y) in enumerate(zip(a, b, strict=True)) for c in changes(x, y, (*path, i))]
    return [Change(path, copy.deepcopy(a), copy.deepcopy(b))]


def _by_key(a: Mapping[str, Any], b: Mapping[str, Any], path: Path, compare: Any) -> list[Change]:
    """``compare`` each key of two objects (a's keys in order, then b's new ones)."""
    out: list[Change] = []
    for key in list(a) + [k for k in b if k not in a]:
        out += compare(a.get(key, MISSING), b.get(key, MISSING), (*path, key))
    return out


def apply(doc: Any, items: Sequence[Change], *, reverse: bool = False) -> Any:
    """Replay ``items`` on ``doc`` (in place where possible; returns the result). ``reverse``
    undoes them: the old values go back, last change first."""
    for change in reversed(items) if reverse else items:
        value = change.old if reverse else change.new
        doc = put(doc, change.path, copy.deepcopy(value))
    return doc


def describe(a: Any, b: Any, path: Path = ()) -> list[Change]:
    """What changed from ``a`` to ``b``, with identified array items matched by identity."""
    if same(a, b):
        return []
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return _by_key(a, b, path, describe)
    if isinstance(a, list) and isinstance(b, list):
        name = identity_key(a, b)
        if name is not None:
            return _describe_items(name, a, b, path)
        if len(a) == len(b) and all(isinstance(x, Mapping) for x in (*a, *b)):  # form sections: by position
            return [c for i, (x, y) in enumerate(zip(a, b, strict=True)) for c in describe(x, y, (*path, i))]
    return [Change(path, a, b)]


def _describe_items(name: str, a: list[Any], b: list[Any], path: Path) -> list[Change]:
    old = {item[name]: item for item in a}
    new = {item[name]: item for item in b}
    out: list[Change] = []
    for ident in dict.fromkeys([*old, *new]):
        out += describe(old.get(ident, MISSING), new.get(ident, MISSING), (*path, Ident(name, ident)))
    kept_a = [i for i in old if i in new]
    kept_b = [i for i in new if i in old]
    if kept_a != kept_b:
        out.append(Change(path, kept_a, kept_b, moved=True))
    return out


def short(value: Any, limit: int = 60) -> str:
    """A value in a sentence: strings bare, the rest as compact JSON, long ones cut."""
    import json

    if value is MISSING:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["Change", "apply", "changes", "describe", "render", "short"]
