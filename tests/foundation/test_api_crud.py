"""CRUD through the REST API for every field type, child rows included, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

from tests.conftest import Api


def _supplier(api: Api, title: str = "宁波鑫达五金") -> int:
    response = api.post("/api/v1/supplier", json={"title": title})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _upload(api: Api) -> str:
    response = api.client.post("/api/v1/files", data={"file": (io.BytesIO(b"%PDF-1.4 drawing"), "drawing.pdf")},
                               headers=api._headers())
    assert response.status_code == 201, response.json
    return response.json["id"]


def full_widget(api: Api) -> dict:
    return {
        "title": "法兰螺母 M8",
        "code": "FN-008",
        "notes": "热处理后电泳\n第二行",
        "qty": 1200,
        "price": "0.35",
        "active": False,
        "due": "2026-12-31",
        "seen_at": "2026-11-25T09:30:00",
        "color": "blue",
        "tags": ["rush", "export"],
        "supplier": _supplier(api),
        "parts": [
            {"part": "螺母坯", "qty": 3, "unit_price": "1.10"},
            {"part": "垫片", "qty": "2.5", "unit_price": 0.40},
        ],
        "extra": {"drawing_rev": "B", "tolerances": [0.1, 0.2]},
        "drawing": _upload(api),
    }


def test_create_and_read_every_field_type(admin_api: Api) -> None:
    payload = full_widget(admin_api)
    response = admin_api.post("/api/v1/widget", json=payload)
    assert response.status_code == 201, response.json
    created = response.json
    assert response.headers["Location"] == f"/api/v1/widget/{created['id']}"
    assert response.headers["ETag"] == '"1"'
    assert created["name"].startswith("W-") and len(created["name"]) == len("W-202611-00001")
    fetched = admin_api.get(f"/api/v1/widget/{created['id']}").json
    assert fetched == created
    assert fetched["title"] == "法兰螺母 M8"
    assert fetched["notes"] == "热处理后电泳\n第二行"
    assert fetched["qty"] == 1200
    assert fetched["price"] == "0.35"  # exact decimal, as a string
    assert fetched["active"] is False
    assert fetched["due"] == "2026-12-31"
    assert fetched["seen_at"] == "2026-11-25T01:30:00+00:00"  # local time without offset is Asia/Shanghai
    assert fetched["color"] == "blue"
    assert fetched["tags"] == ["rush", "export"]
    assert fetched["supplier"] == payload["supplier"]
    assert fetched["extra"] == {"drawing_rev": "B", "tolerances": [0.1, 0.2]}
    assert fetched["drawing"] == payload["drawing"]
    assert [p["part"] for p in fetched["parts"]] == ["螺母坯", "垫片"]
    assert [p["amount"] for p in fetched["parts"]] == ["3.30", "1.00"]
    assert fetched["total"] == "4.30"
    assert fetched["stock_value"] == "420.00"


def test_defaults_apply_on_create(admin_api: Api) -> None:
    created = admin_api.post("/api/v1/widget", json={"title": "最简部件"}).json
    assert created["qty"] == 1
    assert created["active"] is True
    assert created["color"] == "red"
    assert created["parts"] == []
    assert created["total"] == "0.00"


def test_patch_changes_fields_and_child_rows(admin_api: Api) -> None:
    created = admin_api.post("/api/v1/widget", json=full_widget(admin_api)).json
    first, second = created["parts"]
    response = admin_api.patch(
        f"/api/v1/widget/{created['id']}",
        json={"qty": 10, "parts": [{"id": second["id"], "qty": 4}, {"part": "新零件", "qty": 1, "unit_price": "9.99"}]},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.json
    updated = response.json
    assert updated["version"] == 2 and response.headers["ETag"] == '"2"'
    assert updated["qty"] == 10
    assert [p["part"] for p in updated["parts"]] == ["垫片", "新零件"]
    assert updated["parts"][0]["id"] == second["id"]  # the kept row keeps its identity
    assert updated["parts"][0]["amount"] == "1.60"
    assert updated["total"] == "11.59"
    assert admin_api.get(f"/api/v1/widget/{created['id']}").json == updated
    assert first["id"] not in [p["id"] for p in updated["parts"]]


def test_delete_moves_to_recycle_bin(admin_api: Api) -> None:
    created = admin_api.post("/api/v1/widget", json={"title": "待删除"}).json
    assert admin_api.delete(f"/api/v1/widget/{created['id']}", headers={"If-Match": '"1"'}).status_code == 204
    assert admin_api.get(f"/api/v1/widget/{created['id']}").status_code == 404
    listed = admin_api.get("/api/v1/widget").json
    assert created["id"] not in [w["id"] for w in listed["items"]]


def test_invalid_input_gets_problem_json_with_field_errors(admin_api: Api) -> None:
    response = admin_api.post("/api/v1/widget", json={
        "code": "bad", "qty": -1, "price": "1.234", "color": "green", "tags": ["nope"], "due": "31/12/2026",
        "supplier": 999999, "parts": [{"part": "", "qty": 0}], "total": "5", "bogus": 1,
    })
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    errors = response.json["errors"]
    assert errors["title"] == ["This field is required."]
    assert errors["code"] == ["Wrong format for Code."]
    assert errors["qty"] == ["Must be at least 0."]
    assert errors["price"] == ["At most 2 decimal places."]
    assert "green is not an option" in errors["color"][0]
    assert "nope is not an option" in errors["tags"][0]
    assert errors["due"] == ["Not a valid date; use YYYY-MM-DD."]
    assert errors["total"] == ["This field is read-only."]
    assert errors["bogus"][0].startswith("unknown field")
    assert "parts[0].qty" in errors and "parts[0].unit_price" in errors
    assert admin_api.get("/api/v1/widget").json["total"] == 0


def test_errors_come_in_chinese_by_default(admin_api: Api) -> None:
    response = admin_api.post("/api/v1/widget", json={"qty": "many"}, headers={"Accept-Language": "zh-CN"})
    assert response.json["errors"]["title"] == ["此字段必填"]
    assert response.json["errors"]["qty"] == ["应为整数"]
    assert response.json["title"] == "数据校验未通过"


def test_link_must_exist_and_unique_is_enforced(admin_api: Api) -> None:
    response = admin_api.post("/api/v1/widget", json={"title": "x", "supplier": 424242})
    assert response.json["errors"]["supplier"] == ["Supplier #424242 does not exist"]
    assert admin_api.post("/api/v1/widget", json={"title": "a", "code": "AB-123"}).status_code == 201
    again = admin_api.post("/api/v1/widget", json={"title": "b", "code": "AB-123"})
    assert again.status_code == 422
    assert again.json["errors"]["code"] == ["Code 'AB-123' is already taken"]


def test_record_rule_reports_on_its_field(admin_api: Api) -> None:
    response = admin_api.post("/api/v1/widget", json={"title": "x", "due": "1999-12-31"})
    assert response.json["errors"]["due"] == ["The due date cannot be before 2000"]


def test_malformed_and_oversized_bodies(admin_api: Api) -> None:
    bad = admin_api.client.post("/api/v1/widget", data=b'{"title": ', headers={
        **admin_api._headers(), "Content-Type": "application/json"})
    assert bad.status_code == 400 and "malformed JSON" in bad.json["detail"]
    nan = admin_api.client.post("/api/v1/widget", data=b'{"title": "x", "price": NaN}', headers={
        **admin_api._headers(), "Content-Type": "application/json"})
    assert nan.status_code == 400
    big = admin_api.post("/api/v1/widget", json={"title": "x", "notes": "长" * 600_000})
    assert big.status_code == 413
    not_object = admin_api.post("/api/v1/widget", json=[1, 2])
    assert not_object.status_code == 422
    assert admin_api.get("/api/v1/widget").json["total"] == 0


def test_list_filters_sort_and_keyset_pages(admin_api: Api) -> None:
    for i in range(25):
        response = admin_api.post("/api/v1/widget", json={
            "title": f"部件{i:02d}", "qty": i, "price": f"{i}.50", "due": f"2026-12-{i + 1:02d}",
            "color": "blue" if i % 2 else "red"})
        assert response.status_code == 201
    blue = admin_api.get("/api/v1/widget?color=blue&qty__ge=10&sort=-qty").json
    assert [w["qty"] for w in blue["items"]] == [23, 21, 19, 17, 15, 13, 11]
    assert blue["total"] == 7
    assert admin_api.get("/api/v1/widget?price__gt=20").json["total"] == 5
    assert admin_api.get("/api/v1/widget?qty__in=1,2,3").json["total"] == 3
    assert admin_api.get("/api/v1/widget?due__lt=2026-12-05").json["total"] == 4
    assert admin_api.get("/api/v1/widget?q=部件1").json["total"] == 10
    assert admin_api.get("/api/v1/widget?title__like=件2").json["total"] == 5
    assert admin_api.get("/api/v1/widget?seen_at__is_null=true").json["total"] == 25
    seen, cursor = [], None
    while True:
        page = admin_api.get("/api/v1/widget?sort=-price&limit=10" + (f"&after={cursor}" if cursor else "")).json
        seen += [w["qty"] for w in page["items"]]
        cursor = page.get("next")
        if not cursor:
            break
    assert seen == list(range(24, -1, -1))
    paged = admin_api.get("/api/v1/widget?sort=qty&limit=10&page=3").json
    assert [w["qty"] for w in paged["items"]] == [20, 21, 22, 23, 24]
    fields = admin_api.get("/api/v1/widget?fields=title,parts&limit=1").json["items"][0]
    assert set(fields) >= {"id", "name", "title", "parts"} and "qty" not in fields


def test_bad_list_parameters_are_named(admin_api: Api) -> None:
    response = admin_api.get("/api/v1/widget?colour=red")
    assert response.status_code == 422 and "cannot filter on 'colour'" in response.json["errors"]["colour"][0]
    assert "unknown operator" in admin_api.get("/api/v1/widget?qty__between=1").json["errors"]["qty__between"][0]
    assert admin_api.get("/api/v1/widget?qty__gt=abc").json["errors"]["qty__gt"] == ["Not a valid whole number."]
    assert admin_api.get("/api/v1/widget?limit=5000").status_code == 422
    assert admin_api.get("/api/v1/widget?after=garbage").status_code == 422
    assert admin_api.get("/api/v1/nothing").status_code == 404
