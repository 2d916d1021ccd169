"""The OpenAPI 3.1 document of the API, generated from the published metadata.

Schemas are derived from the entity fields directly (OpenAPI 3.1 schemas are JSON Schema
2020-12), which states each type exactly — decimals as strings with a pattern, select fields
as enums with their labels — and apispec assembles the document.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from flask import Blueprint, Response, current_app

from sunmao import __version__
from sunmao.meta.model import Entity, Field
from sunmao.records.query import OPERATORS
from sunmao.snapshot import Snapshot
from sunmao.web.app import context

CSRF_EXEMPT = True  # bearer tokens; cookie-authenticated writes are checked in _csrf_for_sessions
blueprint = Blueprint("openapi", __name__, url_prefix="/api/v1")

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {**schema, "type": [*types, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def field_schema(f: Field, snapshot: Snapshot, *, output: bool) -> dict[str, Any]:
    t = f.value_type
    schema: dict[str, Any]
    if t in ("string", "text"):
        schema = {"type": "string"}
        if t == "string":
            schema["maxLength"] = f.string_length
        if f.pattern:
            schema["pattern"] = f.pattern
    elif t == "integer":
        schema = {"type": "integer"}
    elif t == "decimal":
        schema = {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
        if not output:
            schema = {"oneOf": [schema, {"type": "number"}]}
    elif t == "boolean":
        schema = {"type": "boolean"}
    elif t == "date":
        schema = {"type": "string", "format": "date"}
    elif t == "datetime":
        schema = {"type": "string", "format": "date-time"}
    elif t == "select":
        schema = {"type": "string", "enum": list(f.option_values)}
    elif t == "multiselect":
        schema = {"type": "array", "items": {"type": "string", "enum": list(f.option_values)}, "uniqueItems": True}
    elif t == "link":
        schema = {"type": "integer", "description": f"id of a {f.to} record"}
    elif t == "attachment":
        schema = {"type": "string", "format": "uuid", "description": "id of a file uploaded to /api/v1/files"}
    elif t == "table":
        child = snapshot.entities[f.of or ""]
        schema = {"type": "array", "items": {"$ref": f"#/components/schemas/{_name(child, output)}"}}
        return {**schema, "title": f.label.zh, "description": f.label.en}
    else:
        schema = {}
    if f.min is not None and t in ("integer",):
        schema["minimum"] = f.min
    if f.max is not None and t in ("integer",):
        schema["maximum"] = f.max
    schema = _nullable(schema) if schema else {}
    schema["title"] = f.label.zh
    schema["description"] = f.label.en + (f" — {f.help.en}" if f.help else "")
    if output and (f.type == "computed" or f.read_only):
        schema["readOnly"] = True
    return schema


def _name(entity: Entity, output: bool) -> str:
    base = "".join(part.title() for part in entity.key.split("_"))
    return base if output else f"{base}Input"


def entity_schemas(entity: Entity, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    out_props: dict[str, Any] = {"id": {"type": "integer", "readOnly": True}}
    if entity.child:
        in_props: dict[str, Any] = {"id": {"type": "integer", "description": "keep an existing row"}}
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
    return schemas


def _parameters(entity: Entity) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "search the search fields"},
        {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "e.g. -due_date,name"},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "after", "in": "query", "schema": {"type": "string"}, "description": "keyset cursor (`next`)"},
        {"name": "fields", "in": "query", "schema": {"type": "string"}, "description": "comma-separated keys"},
    ]
    for f in entity.stored_fields:
        if f.hidden or f.value_type in ("multiselect", "json"):
            continue
        params.append({"name": f.key, "in": "query", "schema": {"type": "string"},
                       "description": f"{f.label.en}: equals; also {f.key}__<op> with op in {', '.join(OPERATORS)}"})
    return params


def _blueprint_modules() -> list[Any]:
    import importlib

    from sunmao.web.app import BLUEPRINTS

    return [importlib.import_module(spec) for spec in BLUEPRINTS]


def build_document(snapshot: Snapshot | None) -> dict[str, Any]:
    spec = APISpec(
        title="Sunmao API", version=f"{__version__}+r{snapshot.version if snapshot else 0}", openapi_version="3.1.0",
        info={"description": "Generated from the published metadata. Errors are application/problem+json."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Problem", {
        "type": "object",
        "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                       "detail": {"type": "string"},
                       "errors": {"type": "object", "additionalProperties": {"type": "array",
                                                                              "items": {"type": "string"}}}},
        "required": ["type", "title", "status"],
    })
    problems = {str(code): {"description": text, "content": {"application/problem+json": {"schema": PROBLEM}}}
                for code, text in ((401, "not signed in"), (403, "not allowed"), (404, "not found"),
                                   (412, "stale If-Match version"), (422, "invalid data"))}
    if snapshot is None:
        return spec.to_dict()
    for entity in snapshot.entities.values():
        for name, schema in entity_schemas(entity, snapshot).items():
            spec.components.schema(name, schema)
    for entity in snapshot.top_entities:
        out = {"$ref": f"#/components/schemas/{_name(entity, True)}"}
        inp = {"$ref": f"#/components/schemas/{_name(entity, False)}"}
        one = {"description": entity.label.en, "content": {"application/json": {"schema": out}},
               "headers": {"ETag": {"schema": {"type": "string"}}}}
        tag = entity.key
        spec.tag({"name": tag, "description": f"{entity.label.zh} / {entity.label.en}"})
        page = {"type": "object", "properties": {
            "items": {"type": "array", "items": out}, "total": {"type": "integer"},
            "total_capped": {"type": "boolean"}, "limit": {"type": "integer"}, "page": {"type": "integer"},
            "next": {"type": "string"}}}
        spec.path(path=f"/api/v1/{entity.key}", operations={
            "get": {"tags": [tag], "summary": f"List {entity.label.en}", "operationId": f"list_{entity.key}",
                    "parameters": _parameters(entity),
                    "responses": {"200": {"description": "one page",
                                          "content": {"application/json": {"schema": page}}},
                                  **{k: problems[k] for k in ("401", "403", "422")}}},
            "post": {"tags": [tag], "summary": f"Create {entity.label.en}", "operationId": f"create_{entity.key}",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": inp}}},
                     "responses": {"201": one, **{k: problems[k] for k in ("401", "403", "422")}}},
        })
        id_param = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        if_match = {"name": "If-Match", "in": "header", "schema": {"type": "string"},
                    "description": 'the record version as ETag, e.g. "3"'}
        spec.path(path=f"/api/v1/{entity.key}/{{record_id}}", parameters=[id_param], operations={
            "get": {"tags": [tag], "operationId": f"get_{entity.key}",
                    "responses": {"200": one, **{k: problems[k] for k in ("401", "403", "404")}}},
            "patch": {"tags": [tag], "operationId": f"update_{entity.key}", "parameters": [if_match],
                      "requestBody": {"required": True, "content": {"application/json": {"schema": inp}}},
                      "responses": {"200": one, **problems}},
            "delete": {"tags": [tag], "operationId": f"delete_{entity.key}", "parameters": [if_match],
                       "responses": {"204": {"description": "moved to the recycle bin"}, **problems}},
        })
    for module in _blueprint_modules():  # a blueprint module may add its paths: ``openapi(spec)``
        getattr(module, "openapi", lambda spec: None)(spec)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@blueprint.get("/openapi.json")
def openapi_json() -> Response:
    ctx = context()
    cache = current_app.extensions.setdefault("sunmao_openapi", {})
    if "doc" not in cache:
        cache["doc"] = current_app.json.dumps(build_document(ctx.snapshot))
    return current_app.response_class(cache["doc"], mimetype="application/json")
