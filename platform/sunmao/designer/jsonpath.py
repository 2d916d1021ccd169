"""Paths into JSON documents, written the way ``Problem`` paths are: ``$.fields[3].label.zh``.

A path is a tuple of steps: a ``str`` (an object key), an ``int`` (an array index) or an
``Ident`` (the array item whose ``id``/``key`` has a value — stable when items move, which is
how the merge and the readable diff name a field: ``$.fields[id=f_due].label``).
Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class _Missing:
    """The one marker of a key or item that does not exist on one side (``None`` is a value)."""

    _it: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._it is None:
            cls._it = super().__new__(cls)
        return cls._it

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: Any) -> _Missing:
        return self

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

#: Item properties that identify an object in an array, in order of preference.
IDENTITY_KEYS = ("id", "key")


@dataclass(frozen=True, slots=True)
class Ident:
    """The item of an array whose ``name`` property equals ``value``."""

    name: str
    value: Any

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


Step = str | int | Ident
Path = tuple[Step, ...]


def render(path: Sequence[Step], root: str = "$") -> str:
    out = root
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, Ident):
            out += f"[{step}]"
        else:
            out += f".{step}"
    return out


def identity_key(*arrays: Any) -> str | None:
    """The property that identifies every item of all the given arrays (``id`` or ``key``), or
    None when the arrays are not lists of objects each carrying a unique one."""
    lists = [a for a in arrays if a is not MISSING]
    if not lists or not all(isinstance(a, list) for a in lists) or not any(lists):
        return None
    for name in IDENTITY_KEYS:
        ok = True
        for items in lists:
            seen = set()
            for item in items:
                value = item.get(name) if isinstance(item, dict) else None
                if not isinstance(value, str | int) or isinstance(value, bool) or value in seen:
                    ok = False
                    break
                seen.add(value)
            if not ok:
                break
        if ok:
            return name
    return None


def _index(items: list[Any], step: Ident) -> int:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get(step.name) == step.value:
            return i
    raise KeyError(str(step))


def get(doc: Any, path: Sequence[Step], default: Any = MISSING) -> Any:
    node = doc
    for step in path:
        try:
            if isinstance(step, Ident):
                node = node[_index(node, step)]
            else:
                node = node[step]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def put(doc: Any, path: Sequence[Step], value: Any) -> Any:
    """Set (or with ``MISSING`` remove) the value at ``path`` in place; returns the document
    (a new one when the path is empty). Arrays grow by one when the index is their length."""
    if not path:
        return value
    parent = get(doc, path[:-1])
    if parent is MISSING:
        raise KeyError(render(path[:-1]))
    last = path[-1]
    if isinstance(last, Ident):
        try:
            last = _index(parent, last)
        except KeyError:
            if value is not MISSING:
                parent.append(value)
            return doc
    if value is MISSING:
        if isinstance(parent, dict):
            parent.pop(last, None)
        elif isinstance(last, int) and last < len(parent):
            del parent[last]
    elif isinstance(parent, list) and isinstance(last, int) and last == len(parent):
        parent.append(value)
    else:
        parent[last] = value
    return doc


def to_json(path: Sequence[Step]) -> list[Any]:
    """A path as JSON (an Ident becomes ``{"name": value}``)."""
    return [{s.name: s.value} if isinstance(s, Ident) else s for s in path]


def from_json(items: Sequence[Any]) -> Path:
    out: list[Step] = []
    for s in items:
        if isinstance(s, dict) and len(s) == 1:
            (name, value), = s.items()
            out.append(Ident(name, value))
        elif isinstance(s, str | int) and not isinstance(s, bool):
            out.append(s)
        else:
            raise ValueError(f"not a path step: {s!r}")
    return tuple(out)
