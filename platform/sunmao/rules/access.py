"""Reading data the way JSONLogic's ``var`` does in json-logic-js.

A path is split on dots and walked one property at a time: object keys, array indexes
written as canonical decimal strings (``items.0``, never ``items.00``), string indexes (one
UTF-16 code unit), and ``length`` of arrays and strings — exactly the own properties a
JavaScript value has. Inherited JavaScript properties (``constructor``, ``toString``...) are
not data and are never found. A ``null`` met on the way, or a property that does not exist,
yields the default; a property that exists and holds ``null`` yields ``null``.
"""

from __future__ import annotations

from typing import Any

from .coerce import UNDEFINED, normalize, to_string, utf16_len, utf16_slice

__all__ = ["MISSING", "get_prop", "split_path", "lookup", "var_value"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _index(key: str) -> int:
    """The array index a property key names, or -1."""
    if key.isdigit() and key.isascii() and (key[0] != "0" or key == "0"):
        return int(key)
    return -1


def get_prop(obj: Any, key: str) -> Any:
    """``obj[key]`` with JavaScript own-property semantics, or MISSING."""
    t = type(obj)
    if t is dict:
        return obj.get(key, MISSING)
    if t is list:
        i = _index(key)
        if i >= 0:
            return obj[i] if i < len(obj) else MISSING
        return len(obj) if key == "length" else MISSING
    if t is str:
        i = _index(key)
        if i >= 0:
            return utf16_slice(obj, i, i + 1) if i < utf16_len(obj) else MISSING
        return utf16_len(obj) if key == "length" else MISSING
    if obj is None or obj is UNDEFINED or t is int or t is float or t is bool:
        return MISSING
    return get_prop(normalize(obj), key)  # Decimal, date, tuple, subclasses


def split_path(path: Any) -> list[str] | None:
    """The steps of a ``var`` path, or None when the path means "the whole data"."""
    if path is UNDEFINED or path is None or (type(path) is str and path == ""):
        return None
    return to_string(path).split(".")


def lookup(data: Any, parts: list[str], not_found: Any = None) -> Any:
    """Walk ``parts`` from ``data``; ``not_found`` when a step is missing or meets null."""
    for part in parts:
        if data is None:
            return not_found
        data = get_prop(data, part)
        if data is MISSING:
            return not_found
    return data


def var_value(data: Any, path: Any = UNDEFINED, default: Any = UNDEFINED) -> Any:
    """JSONLogic ``{"var": [path, default]}`` with both arguments already evaluated."""
    not_found = None if default is UNDEFINED else default
    parts = split_path(path)
    if parts is None:
        return data
    if data is UNDEFINED:
        return not_found
    return lookup(data, parts, not_found)
