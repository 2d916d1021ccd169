"""The designer API's part of the OpenAPI document (``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from sunmao.http.openapi import json_content, responses

PREFIX = "/api/v1/_design"
TAG = "designer"

_DRAFT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"}, "base_version": {"type": "integer"},
    "state": {"type": "string", "enum": ["open", "published", "discarded"]}, "rev": {"type": "integer"},
    "conflicts": {"type": "array", "items": {"type": "object"}}, "can_undo": {"type": "boolean"},
    "can_redo": {"type": "boolean"}, "published_version": {"type": ["integer", "null"]}}}
_PROBLEM_LIST = {"type": "array", "items": {"type": "object", "properties": {
    "document": {"type": "string"}, "path": {"type": "string"}, "message": {"type": "string"}}}}

#: (method, path, operation id, summary, request body schema or None, response schema)
OPERATIONS: tuple[tuple[str, str, str, str, Any, Any], ...] = (
    ("get", "/", "design_overview", "Published version, document kinds, documents and open drafts", None,
     {"type": "object"}),
    ("get", "/kinds/{kind}/schema", "design_kind_schema", "The meta-schema of a document kind", None,
     {"type": "object"}),
    ("post", "/validate", "design_validate", "Validate one document against its meta-schema",
     {"type": "object", "required": ["document"], "properties": {"document": {"type": "object"},
                                                                 "kind": {"type": "string"}}},
     {"type": "object", "properties": {"problems": _PROBLEM_LIST}}),
    ("get", "/drafts", "design_list_drafts", "Drafts (open ones by default; ?state=published)", None,
     {"type": "object", "properties": {"items": {"type": "array", "items": _DRAFT}}}),
    ("post", "/drafts", "design_create_draft", "A draft copied from the published version (or base_version)",
     {"type": "object", "properties": {"title": {"type": "string"}, "base_version": {"type": "integer"}}}, _DRAFT),
    ("get", "/drafts/{draft_id}", "design_get_draft", "A draft, its documents and their problems", None, _DRAFT),
    ("patch", "/drafts/{draft_id}", "design_rename_draft", "Rename a draft",
     {"type": "object", "properties": {"title": {"type": "string"}}}, _DRAFT),
    ("delete", "/drafts/{draft_id}", "design_discard_draft", "Discard a draft", None, _DRAFT),
    ("get", "/drafts/{draft_id}/documents/{address}", "design_get_document", "One document of a draft", None,
     {"type": "object"}),
    ("put", "/drafts/{draft_id}/documents/{address}", "design_put_document",
     "Save (or add) a document; If-Match: the draft rev. Problems are reported at their JSON paths",
     {"type": "object", "required": ["document"], "properties": {"document": {"type": "object"},
                                                                 "summary": {"type": "object"}}},
     {"type": "object", "properties": {"rev": {"type": "integer"}, "problems": _PROBLEM_LIST}}),
    ("delete", "/drafts/{draft_id}/documents/{address}", "design_delete_document", "Remove a document", None,
     {"type": "object"}),
    ("post", "/drafts/{draft_id}/validate", "design_validate_in_draft",
     "A document's problems in its draft (schema, references)",
     {"type": "object", "properties": {"address": {"type": "string"}, "document": {"type": "object"}}},
     {"type": "object", "properties": {"problems": _PROBLEM_LIST}}),
    ("post", "/drafts/{draft_id}/operations", "design_operation",
     "rename_field {entity, field_id, key} or new_entity {app, entity: {key, label, naming, fields, roles}}",
     {"type": "object", "required": ["op"], "properties": {"op": {"enum": ["rename_field", "new_entity"]}}},
     _DRAFT),
    ("post", "/drafts/{draft_id}/undo", "design_undo", "Undo the last edit", None, _DRAFT),
    ("post", "/drafts/{draft_id}/redo", "design_redo", "Redo the last undone edit", None, _DRAFT),
    ("get", "/drafts/{draft_id}/log", "design_log", "The draft's edits", None, {"type": "object"}),
    ("post", "/drafts/{draft_id}/check", "design_check",
     "Problems, the migration plan in both languages, refused changes with their rows, warnings", None,
     {"type": "object"}),
    ("post", "/drafts/{draft_id}/publish", "design_publish",
     "Publish (409 when another version was published since the draft's base: merge first)",
     {"type": "object", "properties": {"comment": {"type": "string"}}}, {"type": "object"}),
    ("post", "/drafts/{draft_id}/merge", "design_merge", "Three-way merge with the published version",
     {"type": "object", "properties": {"choices": {"type": "object"}}}, _DRAFT),
    ("post", "/drafts/{draft_id}/resolve", "design_resolve", "Decide conflicts: {id: ours|theirs|base|{value}}",
     {"type": "object", "required": ["choices"], "properties": {"choices": {"type": "object"}}}, _DRAFT),
    ("get", "/drafts/{draft_id}/entities/{entity}/fields/{field_id}/conversions", "design_conversions",
     "The types a field may take and what happens to its values", None, {"type": "object"}),
    ("post", "/drafts/{draft_id}/preview/widget", "design_preview_widget",
     "One widget of a draft's board on the real data, as the caller (the board page's widget JSON); 422 names "
     "the widget and the field",
     {"type": "object", "required": ["address", "widget"],
      "properties": {"address": {"type": "string"}, "widget": {"type": "object"}}},
     {"type": "object", "properties": {"id": {"type": "string"}, "type": {"type": "string"},
                                       "title": {"type": "string"}}}),
    ("get", "/drafts/{draft_id}/rules", "design_rules",
     "Every rule of the draft (document, path, entity), the app settings and where each setting is read", None,
     {"type": "object"}),
    ("get", "/drafts/{draft_id}/rules/fields/{entity}", "design_rule_fields",
     "What a rule over an entity may read: paths through links, types, labels, options", None, {"type": "object"}),
    ("post", "/drafts/{draft_id}/rules/test", "design_test_rule",
     "A rule over a stored record or a typed sample, with the draft's settings: the data and the result",
     {"type": "object", "required": ["rule"],
      "properties": {"rule": {}, "entity": {"type": ["string", "null"]},
                     "record_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 9007199254740991},
                     "sample": {"type": "object"}}},
     {"type": "object"}),
    ("post", "/drafts/{draft_id}/impact", "design_impact",
     "What publishing the draft would change on the last N records (approval branches, stored formulas, "
     "validation rules); nothing is written",
     {"type": "object", "properties": {"sample": {"type": "integer", "minimum": 1, "maximum": 5000}}},
     {"type": "object", "properties": {"sample": {"type": "integer"}, "items": {"type": "array"}}}),
    ("get", "/entities/{entity}/archived", "design_archived", "Archived fields of an entity (restorable)", None,
     {"type": "object"}),
    ("get", "/revisions", "design_revisions", "Every published revision: who, when, comment", None,
     {"type": "object"}),
    ("get", "/revisions/{version}/diff/{other}", "design_diff", "What changed between two revisions, in words",
     None, {"type": "object"}),
    ("post", "/revisions/{version}/rollback", "design_rollback",
     "A draft with the documents of a revision ({publish: true} publishes it)",
     {"type": "object", "properties": {"publish": {"type": "boolean"}, "comment": {"type": "string"}}},
     {"type": "object"}),
    ("post", "/revisions/{version}/revert", "design_revert", "Take back one revision's change to one document",
     {"type": "object", "required": ["document"], "properties": {"document": {"type": "string"},
                                                                 "publish": {"type": "boolean"}}},
     {"type": "object"}),
    ("get", "/audit", "design_audit", "Every designer action", None, {"type": "object"}),
    ("get", "/packages/{app}/export", "design_export", "The app as a zip in the apps/ layout (byte-stable)", None,
     {"type": "string", "format": "binary"}),
    ("post", "/packages/import", "design_import", "A package zip as a draft (upgrades keep customizations)",
     {"type": "string", "format": "binary"}, _DRAFT),
)


def _designers_of_logic() -> tuple[tuple[str, str, str, str, Any, Any], ...]:
    from sunmao.designer import channels, flows, outputs, webhooks

    return flows.OPERATIONS + channels.OPERATIONS + webhooks.OPERATIONS + outputs.OPERATIONS


OPERATIONS += _designers_of_logic()

_PARAMS = {"kind": "string", "draft_id": "integer", "address": "string", "entity": "string", "field_id": "string",
           "version": "integer", "other": "integer", "app": "string", "delivery_id": "integer", "name": "string"}


#: Operations that answer 201 (they make a draft); the others answer 200.
CREATED = frozenset(("design_create_draft", "design_rollback", "design_revert", "design_import"))
#: What every designer route may answer besides its success (problem+json).
STATUSES = (400, 401, 403, 404, 409, 412, 413, 415, 422)


def paths() -> dict[str, dict[str, Any]]:
    """The designer's paths for the API document (``openapi(snapshot)`` of its blueprint module)."""
    found: dict[str, dict[str, Any]] = {}
    for method, path, op_id, summary, request, response in OPERATIONS:
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        status = "201" if op_id in CREATED else "200"
        success = {status: {"description": "done", "content": json_content(response)}}
        if op_id in ("design_rollback", "design_revert"):  # published at once: 200 with the version
            success["200"] = {"description": "published", "content": json_content({"type": "object"})}
        operation: dict[str, Any] = {
            "tags": [TAG], "operationId": op_id, "summary": summary,
            "parameters": [{"name": n, "in": "path", "required": True,
                            "schema": {"type": _PARAMS[n], **({"minimum": 1} if _PARAMS[n] == "integer" else {})}}
                           for n in names],
            "responses": responses(success, *STATUSES),
        }
        if request is not None and request.get("format") == "binary":  # a file: a multipart upload
            operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": request}, "required": ["file"]}}}}
        elif request is not None:
            operation["requestBody"] = {"content": {"application/json": {"schema": request}}}
        found.setdefault(PREFIX + path, {})[method] = operation
    return found


_VALIDATORS: dict[tuple[str, str], Any] = {}


def request_validator(method: str, rule: str) -> Any:
    """A JSON Schema validator of the documented JSON body of the route ``rule`` (a Flask rule such
    as ``/api/v1/_design/drafts/<int:draft_id>/merge``), or None when it takes none."""
    import re

    from jsonschema import Draft202012Validator

    if not _VALIDATORS:
        for verb, path, _op, _summary, body, _response in OPERATIONS:
            if body is not None and body.get("format") != "binary":
                _VALIDATORS[(verb.upper(), PREFIX + path)] = Draft202012Validator(body)
    return _VALIDATORS.get((method.upper(), re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)))
