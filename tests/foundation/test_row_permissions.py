"""Row scopes (mine / my subordinates / a row rule) and field permissions, in SQL, on every path."""

from __future__ import annotations

from sunmao import org
from sunmao.runtime import Runtime
from tests.conftest import Api, make_api


def _widgets(api: Api) -> list[str]:
    return sorted(w["title"] for w in api.get("/api/v1/widget?limit=500").json["items"])


def test_scopes_on_list_get_update_delete(lab: Runtime) -> None:
    alice = make_api(lab, "alice", ["rep"])
    bob = make_api(lab, "bob", ["rep"])
    boss = make_api(lab, "boss", ["lead"])
    org.assign(lab.db, "alice", manager="boss")
    mine = alice.post("/api/v1/widget", json={"title": "alice-1", "color": "red"}).json
    alice.post("/api/v1/widget", json={"title": "alice-2", "color": "blue"})
    theirs = bob.post("/api/v1/widget", json={"title": "bob-1", "color": "red"}).json
    assert _widgets(alice) == ["alice-1", "alice-2"]
    assert alice.get("/api/v1/widget").json["total"] == 2
    assert _widgets(bob) == ["bob-1"]
    # Out of scope is absent: no read, no write, no delete, and no hint that it exists.
    assert alice.get(f"/api/v1/widget/{theirs['id']}").status_code == 404
    assert alice.patch(f"/api/v1/widget/{theirs['id']}", json={"title": "x"}).status_code == 404
    assert alice.delete(f"/api/v1/widget/{theirs['id']}").status_code == 404
    assert alice.get(f"/api/v1/widget/{mine['id']}").status_code == 200
    # A manager sees his subordinates' records and his own, not the others'.
    assert _widgets(boss) == ["alice-1", "alice-2"]
    red = make_api(lab, "rosa", ["redteam"])
    assert _widgets(red) == ["alice-1", "bob-1"]
    # Two roles: what either role sees.
    both = make_api(lab, "carol", ["rep", "redteam"])
    assert _widgets(both) == ["alice-1", "bob-1"]


def test_field_permissions(lab: Runtime) -> None:
    rep = make_api(lab, "dan", ["rep"])
    clerk = make_api(lab, "erin", ["clerk"])
    created = rep.post("/api/v1/widget", json={"title": "价格保密"})
    assert created.status_code == 201 and "price" not in created.json
    refused = rep.post("/api/v1/widget", json={"title": "改价", "price": "9.99", "code": "AB-123"})
    assert refused.status_code == 422
    assert refused.json["errors"]["price"] == ["your role may not change this field"]
    assert refused.json["errors"]["code"] == ["your role may not change this field"]
    record = created.json
    assert "price" not in rep.get(f"/api/v1/widget/{record['id']}").json
    assert "price" not in rep.get("/api/v1/widget").json["items"][0]
    lab.records().update("widget", record["id"], {"price": "5.00"})
    assert clerk.get(f"/api/v1/widget/{record['id']}").json["price"] == "5.00"


def test_scope_applies_to_exports(lab: Runtime) -> None:
    rep = make_api(lab, "fay", ["rep"])
    other = make_api(lab, "gus", ["rep"])
    rep.post("/api/v1/widget", json={"title": "fay-widget"})
    other.post("/api/v1/widget", json={"title": "gus-widget"})
    client = rep.client
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "fay", "password": "correct horse battery", "csrf_token": token})
    csv = client.get("/app/widget/export.csv")
    assert csv.status_code == 200
    text = csv.data.decode("utf-8-sig")
    assert "fay-widget" in text and "gus-widget" not in text
    assert "单价" not in text.splitlines()[0] and "Price" not in text.splitlines()[0]
