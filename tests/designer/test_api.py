"""The designer API over the real WSGI stack: roles, tokens, the session's CSRF, ETags, the
whole draft → check → publish path, history and packages — the same calls the pages make."""

from __future__ import annotations

import io
import zipfile

import pytest

from sunmao import accounts
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.conftest import Api, make_api

WIDGET = "lab/entities/widget.json"


@pytest.fixture
def design(lab: Runtime) -> Api:
    return make_api(lab, "dora", ["designer"])


def _coating(doc: dict) -> dict:
    colours = (("red", "红", "#c0392b"), ("black", "黑", "#222222"), ("silver", "银", "#aaaaaa"))
    doc["fields"].append({"id": "f_coat", "key": "coating", "type": "select",
                          "label": {"zh": "涂层颜色", "en": "Coating"},
                          "options": [{"value": v, "label": {"zh": z, "en": v}, "color": c} for v, z, c in colours]})
    return doc


def test_roles_who_may_design(lab: Runtime, design: Api) -> None:
    assert make_api(lab, "sam", ["clerk"]).get("/api/v1/_design/drafts").status_code == 403
    assert Api(create_wsgi(lab), None).get("/api/v1/_design/drafts").status_code == 401
    assert Api(create_wsgi(lab), "smt_nope").get("/api/v1/_design/drafts").status_code == 401
    assert make_api(lab, "root", ["admin"]).get("/api/v1/_design/drafts").status_code == 200
    assert design.get("/api/v1/_design/").json["published_version"] == 1


def test_draft_edit_check_publish_through_the_api(lab: Runtime, design: Api) -> None:
    created = design.post("/api/v1/_design/drafts", json={"title": "涂层颜色"})
    assert created.status_code == 201 and created.headers["ETag"] == '"0"'
    draft = created.json["id"]
    got = design.get(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}")
    doc = _coating(got.json["document"])
    saved = design.client.put(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}", json={"document": doc},
                              headers={**design._headers(), "If-Match": '"0"'})
    assert saved.status_code == 200 and saved.json["rev"] == 1 and saved.json["problems"] == []
    stale = design.client.put(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}", json={"document": doc},
                              headers={**design._headers(), "If-Match": '"0"'})
    assert stale.status_code == 412 and stale.json["rev"] == 1
    check = design.post(f"/api/v1/_design/drafts/{draft}/check")
    assert check.json["ok"] and check.json["steps"][0]["zh"] == "新增字段 涂层颜色（coating）"
    done = design.post(f"/api/v1/_design/drafts/{draft}/publish", json={"comment": "加涂层颜色"})
    assert done.status_code == 200 and done.json["version"] == 2
    assert lab.current_version(fresh=True) == 2
    clerk = make_api(lab, "sam", ["clerk"])
    assert clerk.post("/api/v1/widget", json={"title": "x", "coating": "red"}).json["coating"] == "red"
    revisions = design.get("/api/v1/_design/revisions").json["items"]
    assert (revisions[0]["version"], revisions[0]["created_by"], revisions[0]["note"]) == (2, "dora", "加涂层颜色")
    diff = design.get("/api/v1/_design/revisions/1/diff/2").json["documents"]
    assert diff[0]["document"] == WIDGET and diff[0]["lines"][0]["en"].startswith("added field Coating (coating)")
    actions = [e["action"] for e in design.get("/api/v1/_design/audit").json["items"]]
    assert actions[:4] == ["draft.publish", "draft.check", "draft.edit", "draft.create"]


def test_problems_are_reported_at_their_path_and_the_work_is_kept(design: Api) -> None:
    draft = design.post("/api/v1/_design/drafts", json={}).json["id"]
    doc = design.get(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}").json["document"]
    doc["fields"][0]["type"] = "strng"
    saved = design.client.put(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}", json={"document": doc},
                              headers=design._headers())
    assert saved.status_code == 200 and saved.json["problems"][0]["path"] == "$.fields[0].type"
    assert design.get(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}").json["document"]["fields"][0]["type"] \
        == "strng"
    as_you_type = design.post("/api/v1/_design/validate", json={"document": {"kind": "view", "key": "Bad"}})
    paths = {p["path"] for p in as_you_type.json["problems"]}
    assert {"$", "$.key"} <= paths
    check = design.post(f"/api/v1/_design/drafts/{draft}/check").json
    assert not check["ok"] and check["problems"][0]["document"] == WIDGET
    refused = design.post(f"/api/v1/_design/drafts/{draft}/publish", json={"comment": "x"})
    assert refused.status_code == 422 and refused.json["problems"]


def test_undo_redo_and_the_log(design: Api) -> None:
    draft = design.post("/api/v1/_design/drafts", json={}).json["id"]
    doc = _coating(design.get(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}").json["document"])
    design.client.put(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}",
                      json={"document": doc, "summary": {"zh": "加涂层", "en": "coating"}}, headers=design._headers())
    undone = design.post(f"/api/v1/_design/drafts/{draft}/undo")
    assert undone.json["edit"]["summary"]["zh"] == "加涂层" and undone.json["can_redo"]
    keys = [f["key"] for f in design.get(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}").json["document"]
            ["fields"]]
    assert "coating" not in keys
    design.post(f"/api/v1/_design/drafts/{draft}/redo")
    log = design.get(f"/api/v1/_design/drafts/{draft}/log").json["items"]
    assert [(e["summary"]["en"], e["undone"]) for e in log] == [("coating", False)]


def test_session_writes_need_the_csrf_token(lab: Runtime) -> None:
    from tests.screens.conftest import Browser

    accounts.create_user(lab.db, "dora", "correct horse battery", ["designer"])
    browser = Browser(create_wsgi(lab)).login("dora")
    assert browser.get("/api/v1/_design/drafts").status_code == 200
    assert browser.post_json("/api/v1/_design/drafts", {}, csrf=False).status_code == 400
    assert browser.post_json("/api/v1/_design/drafts", {}).status_code == 201


def test_rename_operation_and_conversions(lab: Runtime, design: Api) -> None:
    lab.records().create("widget", {"title": "a", "notes": "2026-01-02"})
    draft = design.post("/api/v1/_design/drafts", json={}).json["id"]
    renamed = design.post(f"/api/v1/_design/drafts/{draft}/operations",
                          json={"op": "rename_field", "entity": "widget", "field_id": "f_title", "key": "name_text"})
    assert renamed.status_code == 200 and renamed.json["summary"]["en"] == "renamed field Title: title → name_text"
    doc = design.get(f"/api/v1/_design/drafts/{draft}/documents/{WIDGET}").json["document"]
    assert doc["title_field"] == "name_text" and doc["search_fields"][0] == "name_text"
    conv = design.get(f"/api/v1/_design/drafts/{draft}/entities/widget/fields/f_notes/conversions").json
    assert {t["type"]: t["converts"] for t in conv["targets"]}["date"] is True
    bad = design.post(f"/api/v1/_design/drafts/{draft}/operations",
                      json={"op": "rename_field", "entity": "widget", "field_id": "f_title", "key": "Bad Key"})
    assert bad.status_code == 422 and "key" in bad.json["errors"]


def test_openapi_lists_the_designer_paths(design: Api) -> None:
    doc = design.get("/api/v1/openapi.json").json
    assert "/api/v1/_design/drafts/{draft_id}/publish" in doc["paths"]
    assert doc["paths"]["/api/v1/_design/drafts"]["post"]["tags"] == ["designer"]


def test_export_zip_is_byte_stable_and_imports_as_a_draft(lab: Runtime, design: Api) -> None:
    first = design.get("/api/v1/_design/packages/lab/export")
    second = design.get("/api/v1/_design/packages/lab/export")
    assert first.status_code == 200 and first.data == second.data
    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert names == sorted(names) and "lab/app.json" in names
    imported = design.client.post("/api/v1/_design/packages/import", data={"file": (io.BytesIO(first.data), "lab.zip")},
                                  headers=design._headers())
    assert imported.status_code == 201 and imported.json["origin"]["kind"] == "package"
    assert design.post(f"/api/v1/_design/drafts/{imported.json['id']}/check").json["changes"] == []


def test_addresses_stay_inside_the_draft_and_json_is_json(design: Api) -> None:
    draft = design.post("/api/v1/_design/drafts", json={}).json["id"]
    view = {"kind": "view", "key": "v", "entity": "widget", "type": "list", "label": {"zh": "视", "en": "V"}}
    for address in ("lab/../etc/passwd.json", "lab/views/v.txt", "Lab/views/v.json", "nope/views/v.json"):
        put = design.client.put(f"/api/v1/_design/drafts/{draft}/documents/{address}", json={"document": view},
                                headers=design._headers())
        assert put.status_code in (404, 422), (address, put.status_code)  # a bad address names itself
    nan = design.client.put(f"/api/v1/_design/drafts/{draft}/documents/lab/views/v.json",
                            data='{"document": {"kind": "view", "x": NaN}}',
                            headers={**design._headers(), "Content-Type": "application/json"})
    assert nan.status_code == 400 and "malformed JSON" in nan.json["detail"]
