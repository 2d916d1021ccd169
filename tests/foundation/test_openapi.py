"""The generated OpenAPI document is valid OpenAPI 3.1 and follows the metadata."""

from __future__ import annotations

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
    assert widget["color"]["enum"] == ["red", "blue"]
    assert widget["parts"]["items"] == {"$ref": "#/components/schemas/WidgetPart"}
    assert widget["total"]["readOnly"] is True
    assert "total" not in document["components"]["schemas"]["WidgetInput"]["properties"]
    assert document["components"]["schemas"]["WidgetInput"]["required"] == ["title"]


def test_openapi_follows_a_publish(admin_api: Api, lab_dir, lab) -> None:  # type: ignore[no-untyped-def]
    import json

    path = lab_dir / "entities" / "supplier.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["fields"].append({"id": "f_city", "key": "city", "type": "string", "label": {"zh": "城市", "en": "City"}})
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lab.install_app(lab_dir)
    document = admin_api.get("/api/v1/openapi.json").json
    assert "city" in document["components"]["schemas"]["Supplier"]["properties"]
