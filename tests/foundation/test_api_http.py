"""HTTP as RFC 9110 has it: If-Match with lists, `*` and weak tags; 405 with Allow; 415 for a body
that is not JSON."""

from __future__ import annotations

from tests.conftest import Api


def _widget(api: Api) -> int:
    created = api.post("/api/v1/widget", json={"title": "法兰螺母"})
    assert created.status_code == 201
    return created.json["id"]


def test_if_match_takes_a_list_of_entity_tags(admin_api: Api) -> None:
    widget = _widget(admin_api)
    changed = admin_api.patch(f"/api/v1/widget/{widget}", json={"qty": 2}, headers={"If-Match": '"7", "1"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    stale = admin_api.patch(f"/api/v1/widget/{widget}", json={"qty": 3}, headers={"If-Match": '"1", "5"'})
    assert stale.status_code == 412 and stale.json["current_version"] == 2
    invalid = admin_api.patch(f"/api/v1/widget/{widget}", json=[1], headers={"If-Match": '"1", "5"'})
    assert invalid.status_code == 422  # the data is judged before the version, as with one tag
    assert admin_api.patch(f"/api/v1/widget/{widget}", json={"qty": 3}, headers={"If-Match": '"1"'}).status_code == 412
    star = admin_api.patch(f"/api/v1/widget/{widget}", json={"qty": 4}, headers={"If-Match": "*"})
    assert star.status_code == 200 and star.json["version"] == 3
    assert admin_api.get(f"/api/v1/widget/{widget}").json["qty"] == 4
    deleted = admin_api.delete(f"/api/v1/widget/{widget}", headers={"If-Match": '"x,y", W/"3", "3"'})
    assert deleted.status_code == 204


def test_weak_tags_never_match_and_malformed_ones_are_refused(admin_api: Api) -> None:
    widget = _widget(admin_api)
    weak = admin_api.patch(f"/api/v1/widget/{widget}", json={"qty": 2}, headers={"If-Match": 'W/"1"'})
    assert weak.status_code == 412  # If-Match compares strongly
    for malformed in ("1", '"1', "W/1", "", '"1" x'):
        response = admin_api.delete(f"/api/v1/widget/{widget}", headers={"If-Match": malformed})
        assert response.status_code == 400, malformed
        assert response.headers["Content-Type"] == "application/problem+json"
        assert list(response.json["errors"]) == ["If-Match"]
    missing = admin_api.delete("/api/v1/widget/999999", headers={"If-Match": '"1", "2"'})
    assert missing.status_code == 404  # no record: the precondition is not evaluated (RFC 9110 13.2.1)
    assert admin_api.get(f"/api/v1/widget/{widget}").json["version"] == 1


def test_a_method_not_allowed_says_which_are(admin_api: Api) -> None:
    widget = _widget(admin_api)
    for method, path, allowed in (("TRACE", "/api/v1/widget", {"GET", "POST"}),
                                  ("PUT", f"/api/v1/widget/{widget}", {"GET", "PATCH", "DELETE"}),
                                  ("GET", "/api/v1/files", {"POST"}),
                                  ("POST", "/api/v1/_inbox", {"GET"})):
        response = admin_api.client.open(path, method=method, headers=admin_api._headers())
        assert response.status_code == 405, (method, path)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}, response.headers["Allow"]


def test_a_body_that_is_not_json_is_an_unsupported_media_type(admin_api: Api) -> None:
    response = admin_api.client.post("/api/v1/widget", data="title=x", headers={
        **admin_api._headers(), "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and response.headers["Content-Type"] == "application/problem+json"


def test_a_task_operation_names_a_missing_argument(admin_api: Api) -> None:
    """Found by schemathesis: add_approver without a position answered 400 from deep in the engine."""
    response = admin_api.post("/api/v1/_tasks/1/add_approver", json={"user": "boss"})
    assert response.status_code == 422 and list(response.json["errors"]) == ["position"]
