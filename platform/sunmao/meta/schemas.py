"""Validate metadata documents against the meta-schemas in ``metadata/``.

Errors are turned into ``Problem`` values that name the file, the JSON path and what to
change, because the person reading them is a business user in the designer or an app
author with a text editor — not someone who reads jsonschema tracebacks.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from sunmao.meta.errors import Problem
from sunmao.resources import bundle_path


@cache
def kinds() -> tuple[str, ...]:
    """Every document kind with a meta-schema in ``metadata/`` (a new kind is a new schema file)."""
    return tuple(sorted(p.name.removesuffix(".schema.json") for p in bundle_path("metadata").glob("*.schema.json")
                        if p.name != "common.schema.json"))


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(bundle_path("metadata").glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(schema)
        resources.append((schema["$id"], resource))
        resources.append((path.name, resource))
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    """The validator for one document kind (``entity``, ``app``, ...)."""
    schema = _registry().contents(f"{kind}.schema.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_path(parts: Any) -> str:
    """Render a jsonschema path deque as ``$.fields[2].type``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _explain(error: ValidationError) -> str:
    v = error.validator
    if v == "required":
        return f"{error.message}: add it"
    if v == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message}; remove it (allowed here: {allowed})"
    if v == "pattern":
        hint = error.schema.get("description", "")
        return f"{error.instance!r} has the wrong form. {hint}".strip()
    if v in ("enum", "const"):
        return f"{error.message}; use one of the listed values"
    return error.message


#: Digests of documents found valid in this process (most recent last). A publish changes a few
#: documents; every process that loads the new version then validates only those, not all of
#: them again — schema validation was most of the time from a publish to "live everywhere".
_VALID: OrderedDict[bytes, None] = OrderedDict()
_VALID_MAX = 4096
_valid_lock = threading.Lock()


def _digest(doc: dict[str, Any], kind: str) -> bytes:
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(f"{kind}\n{text}".encode(), digest_size=20).digest()


def validate_document(doc: Any, file: str, kind: str | None = None) -> list[Problem]:
    """Check one parsed document; an empty list means it is valid."""
    if not isinstance(doc, dict):
        return [Problem(file, "$", "a document must be a JSON object")]
    kind = kind or doc.get("kind")
    if kind not in kinds():
        return [Problem(file, "$.kind", f"unknown document kind {doc.get('kind')!r}; use one of {', '.join(kinds())}")]
    digest = _digest(doc, kind)
    with _valid_lock:
        if digest in _VALID:
            _VALID.move_to_end(digest)
            return []
    errors = sorted(validator(kind).iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    problems = []
    for error in errors:
        # Report the most specific cause of an if/then or anyOf failure.
        leaf = min(error.context, key=lambda e: len(e.absolute_path), default=error) if error.context else error
        problems.append(Problem(file, json_path(leaf.absolute_path), _explain(leaf)))
    if not problems:
        with _valid_lock:
            _VALID[digest] = None
            while len(_VALID) > _VALID_MAX:
                _VALID.popitem(last=False)
    return problems
