"""The building blocks a blueprint documents its ``/api`` routes with (OpenAPI 3.1).

A feature's ``openapi(snapshot) -> {path: operations}`` (declared in its ``Feature``) builds its
operations with these; ``sunmao.web.openapi`` assembles the document from every feature's part.
Every status a route can answer is listed with it (:func:`responses`).
"""

from __future__ import annotations

from typing import Any

from sunmao.meta.model import Entity
from sunmao.records.values import INT64_MAX

PROBLEM = {"$ref": "#/components/schemas/Problem"}
#: What each problem status means on this API (every route lists those it can answer).
STATUS_TEXT = {
    400: "malformed request: the JSON body, the If-Match header, an argument of the operation",
    401: "not signed in, or the API token is not valid",
    403: "the caller's roles do not allow it",
    404: "no such record (or not in the caller's scope)",
    409: "a conflict: changed at the same moment, a unique value taken, records that link here, "
         "a workflow action not possible now",
    412: "If-Match names no current version of the record",
    413: "the request body is too large",
    415: "the body is not application/json",
    422: "invalid data or parameters; `errors` names each field or parameter",
}
#: The statuses of a write with a JSON body, besides its success and the ones of its own.
BODY_STATUSES = (400, 401, 403, 413, 415, 422)
IF_MATCH_PATTERN = (r'^(?:[ \t]*\*[ \t]*|[ \t,]*(?:(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"[ \t,]*)+)$')
RECORD_ID = {"name": "record_id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": INT64_MAX}}
IF_MATCH = {"name": "If-Match", "in": "header", "schema": {"type": "string", "pattern": IF_MATCH_PATTERN},
            "examples": {"version": {"value": '"1"'}, "several": {"value": '"1", "2"'}, "any": {"value": "*"}},
            "description": 'RFC 9110: `*` or a list of entity tags, e.g. `"3"` or `"3", "4"`; the record\'s '
                           "ETag is its version; weak tags (W/) never match"}
ANY_OBJECT: dict[str, Any] = {"type": "object"}


def responses(success: dict[str, Any], *codes: int) -> dict[str, Any]:
    """A responses object: ``success`` (``{"200": {...}}``) and a problem+json answer per code."""
    out = dict(success)
    for code in sorted(set(codes)):
        out[str(code)] = {"description": STATUS_TEXT[code],
                          "content": {"application/problem+json": {"schema": PROBLEM}}}
    return out


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def component_name(entity: Entity, output: bool, patch: bool = False) -> str:
    """The component name of an entity's record (output), create body (input) or patch body."""
    base = "".join(part.title() for part in entity.key.split("_"))
    return base if output else f"{base}Patch" if patch else f"{base}Input"


def schema_name(entity: Entity, kind: str) -> str:
    """The component name of an entity's record (``output``), create body (``input``) or ``patch``."""
    return component_name(entity, kind == "output", kind == "patch")
