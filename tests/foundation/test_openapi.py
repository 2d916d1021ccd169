"""The generated OpenAPI document is valid OpenAPI 3.1 and follows the metadata."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.conftest import Api


def test_openapi_document_validates(admin_api: Api) -> None:
    response = admin_api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/widget" in document["paths"] and "/api/v1/widget/{record_id}" in document["paths"]
    assert "/api/v1/widget_part" not in document["paths"]  # child rows are nested, not a resource
    widget = document["components"]["schemas"]["Widget"]["properties"]
    assert widget["price"]["type"] == ["string", "null"] and widget["price"]["format"] == "decimal"
    assert widget["color"]["enum"] == ["red", "blue", None]  # null is a value too (found by schemathesis)
    assert widget["parts"]["items"] == {"$ref": "#/components/schemas/WidgetPart"}
    assert widget["total"]["readOnly"] is True
    assert "total" not in document["components"]["schemas"]["WidgetInput"]["properties"]
    assert document["components"]["schemas"]["WidgetInput"]["required"] == ["title"]
    # what the API takes for yes/no is what the document says (found by schemathesis: "active": "1")
    active = document["components"]["schemas"]["WidgetInput"]["properties"]["active"]["anyOf"][0]["anyOf"]
    assert active[0] == {"type": "boolean"} and {"yes", "no", "1", 0, 1} <= set(active[1]["enum"])


def test_openapi_follows_a_publish(admin_api: Api, lab_dir, lab) -> None:  # type: ignore[no-untyped-def]
    import json

    path = lab_dir / "entities" / "supplier.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["fields"].append({"id": "f_city", "key": "city", "type": "string", "label": {"zh": "城市", "en": "City"}})
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lab.install_app(lab_dir)
    document = admin_api.get("/api/v1/openapi.json").json
    assert "city" in document["components"]["schemas"]["Supplier"]["properties"]


def _documented(document: dict, rule: str, method: str, keys: dict[str, list[str]]) -> list[str]:
    """The document's paths for a Flask rule (one per entity its converter matches) lacking ``method``."""
    import re

    paths = [rule]
    for converter, entities in keys.items():
        if f"<{converter}:entity>" in rule:
            paths = [p.replace(f"<{converter}:entity>", key) for p in paths for key in entities]
    paths = [re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", p) for p in paths]
    return [p for p in paths if method.lower() not in document["paths"].get(p, {})]


def test_every_api_route_is_documented(oms_api: Api) -> None:
    """Each route of every blueprint serving /api (records, files, workflow, this document) is in the
    document, for each entity it serves; the workflow's only for entities with a workflow."""
    from sunmao.web import create_wsgi

    document = oms_api.get("/api/v1/openapi.json").json
    validate(document)
    runtime = oms_api.runtime
    app = create_wsgi(runtime).current_app()
    snapshot = runtime.snapshot()
    keys = {"entity": [e.key for e in snapshot.top_entities], "flow": sorted(snapshot.features["workflows"])}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                missing += [f"{method} {p}" for p in _documented(document, rule.rule, method, keys)]
    assert missing == []
    paths = document["paths"]
    assert {"/api/v1/files", "/api/v1/files/{file_id}", "/api/v1/_inbox", "/api/v1/_tasks/{task_id}/{verb}",
            "/api/v1/_tasks/bulk_approve", "/api/v1/order/{record_id}/actions",
            "/api/v1/order/{record_id}/actions/{action}", "/api/v1/order/{record_id}/timeline"} <= set(paths)
    assert "/api/v1/customer/{record_id}/actions" not in paths  # customers have no workflow
    # the statuses the API answers besides success are listed with each operation
    assert set(paths["/api/v1/order/{record_id}"]["delete"]["responses"]) == \
        {"204", "400", "401", "403", "404", "409", "412", "422"}
    assert {"400", "409", "412", "413", "415", "422"} <= set(paths["/api/v1/order/{record_id}"]["patch"]["responses"])
    page = next(p for p in paths["/api/v1/order"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"] == {"type": "integer", "minimum": 1, "maximum": 1_000_000}
    record_id = paths["/api/v1/order/{record_id}"]["parameters"][0]
    assert record_id["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


@pytest.fixture
def oms_api(runtime):  # type: ignore[no-untyped-def]
    from sunmao import resources
    from tests.conftest import make_api

    runtime.install_app(resources.app_path("order_management"))
    api = make_api(runtime, "root", ["admin"])
    api.runtime = runtime  # type: ignore[attr-defined]
    return api
