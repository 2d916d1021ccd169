"""The OpenAPI 3.1 document of the API, generated from the published metadata.

Schemas are derived from the entity fields directly (OpenAPI 3.1 schemas are JSON Schema
2020-12), which states each type exactly — decimals as strings with a pattern, select fields
as enums with their labels — and apispec assembles the document.

Every blueprint that serves ``/api`` documents its own routes: its feature declares
``openapi(snapshot) -> {path: operations}`` parts (``Feature.openapi``), built with the helpers
of ``sunmao.http.openapi`` (:func:`responses`, :data:`RECORD_ID`, :data:`IF_MATCH`...). A route nobody documents
is caught by ``tests/foundation/test_openapi.py``; every status a route can answer is listed with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apispec import APISpec
from flask import Blueprint, Response, current_app

from sunmao import __version__
from sunmao.feature import OpenAPIPart
from sunmao.fields import field_type, stored_type
from sunmao.http.context import context
from sunmao.http.openapi import (  # noqa: F401 - the building blocks, also as web.openapi.X for the API's own routes
    ANY_OBJECT,
    BODY_STATUSES,
    IF_MATCH,
    IF_MATCH_PATTERN,
    PROBLEM,
    RECORD_ID,
    STATUS_TEXT,
    json_content,
    ref,
    responses,
    schema_name,
)
from sunmao.http.openapi import component_name as _name
from sunmao.meta.model import Entity, Field
from sunmao.records.query import MAX_LIMIT, MAX_PAGE, OPERATORS, SYSTEM_FILTERABLE, system_field
from sunmao.records.values import INT64_MAX, INT64_MIN
from sunmao.snapshot import Snapshot

blueprint = Blueprint("openapi", __name__, url_prefix="/api/v1")



def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        enum = {"enum": [*schema["enum"], None]} if "enum" in schema else {}  # an enum admits only what it lists
        return {**schema, "type": [*types, "null"], **enum}
    return {"anyOf": [schema, {"type": "null"}]}


def field_schema(f: Field, snapshot: Snapshot, *, output: bool) -> dict[str, Any]:
    """The JSON schema of a field's value, as its field type states it; output schemas state types
    only (stored data may predate a constraint), input schemas every constraint the API checks."""
    ft = stored_type(f)
    schema = ft.openapi_schema(f, output=output, ref=lambda key: ref(_name(snapshot.entities[key], output)))
    if not ft.nullable:
        return {**schema, "title": f.label.zh, "description": f.label.en}
    schema = _nullable(schema) if schema else {}
    schema["title"] = f.label.zh
    schema["description"] = f.label.en + (f" — {f.help.en}" if f.help else "")
    if output and (f.type == "computed" or f.read_only):
        schema["readOnly"] = True
    return schema


def entity_schemas(entity: Entity, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    out_props: dict[str, Any] = {"id": {"type": "integer", "readOnly": True}}
    if entity.child:
        in_props: dict[str, Any] = {"id": {"type": "integer", "minimum": INT64_MIN, "maximum": INT64_MAX,
                                           "description": "keep an existing row"}}
    else:
        in_props = {}
        out_props.update({
            "name": {"type": "string", "readOnly": True, "description": "number from the naming series"},
            "version": {"type": "integer", "readOnly": True, "description": "optimistic lock version (ETag)"},
            "created_at": {"type": "string", "format": "date-time", "readOnly": True},
            "updated_at": {"type": "string", "format": "date-time", "readOnly": True},
            "created_by": {"type": ["integer", "null"], "readOnly": True},
            "updated_by": {"type": ["integer", "null"], "readOnly": True},
        })
    for f in entity.fields:
        if f.hidden:
            continue
        out_props[f.key] = field_schema(f, snapshot, output=True)
        if f.is_input:
            in_props[f.key] = field_schema(f, snapshot, output=False)
    required = [f.key for f in entity.fields if f.required and f.is_input and f.default is None]
    title = {"title": entity.label.zh, "description": entity.label.en}
    schemas = {
        _name(entity, True): {"type": "object", **title, "properties": out_props},
        _name(entity, False): {"type": "object", **title, "properties": in_props, "additionalProperties": False,
                               **({"required": required} if required else {})},
    }
    if not entity.child:  # a change sends only what changes
        schemas[_name(entity, False, True)] = {"type": "object", **title, "properties": in_props,
                                               "additionalProperties": False}
    return schemas


def _filter_schema(f: Field | None, kind: str) -> dict[str, Any]:
    """A filter's value as the list parses it (``customer=12``, ``due_date=2026-12-31``)."""
    return field_type(kind).filter_schema(f)


def _key_list(keys: list[str], *, signed: bool = False) -> str:
    """A pattern for a comma-separated list of these keys (each optionally prefixed with ``-``)."""
    one = ("-?" if signed else "") + "(?:" + "|".join(sorted(keys, key=len, reverse=True)) + ")"
    return f"^(?:{one}(?:,{one})*)?$"


def list_parameters(entity: Entity) -> list[dict[str, Any]]:
    """The query of a list: paging, search, sort, fields, and one filter per field (equals)."""
    system = {k: v for k, v in SYSTEM_FILTERABLE.items() if not (entity.child and k == "name")}
    sortable = [*system, *(f.key for f in entity.stored_fields if not f.hidden and stored_type(f).sortable)]
    readable = [*system, *(f.key for f in entity.fields if not f.hidden)]
    params: list[dict[str, Any]] = [
        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "search the search fields"},
        {"name": "sort", "in": "query", "schema": {"type": "string", "pattern": _key_list(sortable, signed=True)},
         "description": "comma-separated keys, `-` for descending, e.g. -due_date,name"},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
        {"name": "after", "in": "query", "schema": {"type": "string"}, "description": "keyset cursor (`next`)"},
        {"name": "fields", "in": "query", "schema": {"type": "string", "pattern": _key_list(readable)},
         "description": "comma-separated keys"},
    ]
    for key, kind in system.items():
        params.append({"name": key, "in": "query", "schema": _filter_schema(system_field(key, kind), kind),
                       "description": f"{key}: equals; also {key}__<op> with op in {', '.join(OPERATORS)}"})
    for f in entity.stored_fields:
        if f.hidden or not stored_type(f).sortable:
            continue
        params.append({"name": f.key, "in": "query", "schema": _filter_schema(f, f.value_type),
                       "description": f"{f.label.en}: equals; also {f.key}__<op> with op in {', '.join(OPERATORS)}"})
    return params


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string"},
                       "errors": {"type": "object", "additionalProperties": {"type": "array",
                                                                              "items": {"type": "string"}}}},
        "required": ["type", "title", "status"],
    }


def build_document(snapshot: Snapshot | None, parts: Iterable[OpenAPIPart] = ()) -> dict[str, Any]:
    """The document of a snapshot: the entities' schemas, and the paths every part (``Feature.openapi``) adds."""
    spec = APISpec(
        title="Sunmao API", version=f"{__version__}+r{snapshot.version if snapshot else 0}", openapi_version="3.1.0",
        info={"description": "Generated from the published metadata. Errors are application/problem+json."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", _problem_schema())
    if snapshot is not None:
        for entity in snapshot.entities.values():
            for name, schema in entity_schemas(entity, snapshot).items():
                spec.components.schema(name, schema)
        for entity in snapshot.top_entities:
            spec.tag({"name": entity.key, "description": f"{entity.label.zh} / {entity.label.en}"})
    paths: dict[str, dict[str, Any]] = {"/api/v1/openapi.json": {"get": {
        "summary": "This document", "operationId": "openapi", "security": [],
        "responses": {"200": {"description": "the OpenAPI document", "content": json_content(ANY_OBJECT)}}}}}
    for part in parts:
        for path, operations in part(snapshot).items():
            paths.setdefault(path, {}).update(operations)
    for path, operations in paths.items():
        shared = operations.pop("parameters", None)
        spec.path(path=path, operations=operations, **({"parameters": shared} if shared else {}))
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    ctx = context()
    cache = current_app.extensions.setdefault("sunmao_openapi", {})
    if "doc" not in cache:
        parts = [part for feature in ctx.runtime.features for part in feature.openapi]
        cache["doc"] = current_app.json.dumps(build_document(ctx.snapshot, parts))
    return current_app.response_class(cache["doc"], mimetype="application/json")
