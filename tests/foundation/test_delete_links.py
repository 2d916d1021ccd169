"""Deleting a record that live records link to: refused by default (``on_delete: restrict``) with the
linking entity and count, or the links cleared through the record service (``set_null``, audited) and
put back by a restore from the recycle bin; a restore whose own links point at deleted records is
refused. Through the API and the recycle-bin screen, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sunmao import accounts
from sunmao.meta.errors import MetadataError
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from sunmao.web import create_wsgi
from tests.conftest import Api, make_api
from tests.screens.conftest import Browser


def _edit(lab_dir: Path, entity: str, change: Any) -> None:
    path = lab_dir / "entities" / f"{entity}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def _field(doc: dict, key: str) -> dict:
    return next(f for f in doc["fields"] if f["key"] == key)


def _maker_link(on_delete: str) -> Any:
    """Give widget parts a link to their maker (a supplier): a link held by child rows."""
    def change(doc: dict) -> None:
        doc["fields"].append({"id": "f_maker", "key": "maker", "type": "link", "to": "supplier",
                              "on_delete": on_delete, "label": {"zh": "制造商", "en": "Maker"}})
    return change


def _supplier(api: Api, title: str = "宁波鑫达五金") -> int:
    return api.post("/api/v1/supplier", json={"title": title}).json["id"]


def _restore(runtime: Runtime, entity: str, record_id: int) -> Any:
    """Restore from the recycle bin as a person does: the trash screen's button."""
    accounts.create_user(runtime.db, "binkeeper", "correct horse battery", ["admin"])
    browser = Browser(create_wsgi(runtime)).login("binkeeper", "correct horse battery")
    response = browser.post_form(f"/app/trash/{entity}/{record_id}/restore")
    assert response.status_code == 302
    return browser.get(response.headers["Location"]).text


def test_a_linked_record_cannot_be_deleted(admin_api: Api) -> None:
    supplier = _supplier(admin_api)
    widgets = [admin_api.post("/api/v1/widget", json={"title": f"螺母{i}", "supplier": supplier}).json["id"]
               for i in range(3)]
    refused = admin_api.delete(f"/api/v1/supplier/{supplier}")
    assert refused.status_code == 409 and refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json["errors"] == {"widget.supplier": ["3 Widget records link to this supplier"]}
    zh = admin_api.delete(f"/api/v1/supplier/{supplier}", headers={"Accept-Language": "zh"})
    assert zh.json["errors"] == {"widget.supplier": ["3 条部件记录引用此供应商"]}
    assert admin_api.get(f"/api/v1/supplier/{supplier}").status_code == 200
    for widget in widgets:  # records in the recycle bin do not hold it
        assert admin_api.delete(f"/api/v1/widget/{widget}").status_code == 204
    assert admin_api.delete(f"/api/v1/supplier/{supplier}").status_code == 204


def test_links_from_child_rows_hold_a_delete_too(runtime: Runtime, lab_dir: Path) -> None:
    _edit(lab_dir, "widget_part", _maker_link("restrict"))
    runtime.install_app(lab_dir)
    api = make_api(runtime, "root", ["admin"])
    maker = _supplier(api)
    api.post("/api/v1/widget", json={"title": "支架", "parts": [
        {"part": "坯", "qty": 1, "unit_price": "1.00", "maker": maker},
        {"part": "垫", "qty": 2, "unit_price": "1.00", "maker": maker}]})
    refused = api.delete(f"/api/v1/supplier/{maker}")
    assert refused.status_code == 409
    assert refused.json["errors"] == {"widget.parts.maker": ["1 Widget record (in Parts) links to this supplier"]}


def test_set_null_clears_the_links_audited_and_a_restore_puts_them_back(runtime: Runtime, lab_dir: Path) -> None:
    _edit(lab_dir, "widget", lambda doc: _field(doc, "supplier").update(on_delete="set_null"))
    _edit(lab_dir, "widget_part", _maker_link("set_null"))
    runtime.install_app(lab_dir)
    api = make_api(runtime, "root", ["admin"])
    supplier, other = _supplier(api), _supplier(api, "苏州恒通")
    linked = api.post("/api/v1/widget", json={"title": "支架", "supplier": supplier, "parts": [
        {"part": "坯", "qty": 1, "unit_price": "1.00", "maker": supplier},
        {"part": "垫", "qty": 2, "unit_price": "1.00", "maker": other}]}).json
    assert api.delete(f"/api/v1/supplier/{supplier}").status_code == 204
    cleared = api.get(f"/api/v1/widget/{linked['id']}").json
    assert cleared["supplier"] is None and [p["maker"] for p in cleared["parts"]] == [None, other]
    assert cleared["version"] == linked["version"] + 1  # one audited change of the widget
    with runtime.db.read() as conn:
        audit = conn.execute(sa.select(sm.audit.c.action, sm.audit.c.user_id, sm.audit.c.diff).where(
            sm.audit.c.entity == "widget", sm.audit.c.record_id == linked["id"]).order_by(sm.audit.c.id)).all()
        root = conn.execute(sa.select(sm.user.c.id).where(sm.user.c.username == "root")).scalar()
    assert [a.action for a in audit] == ["created", "updated"]
    assert audit[-1].user_id == root and "supplier" in audit[-1].diff  # by the user who deleted the supplier

    page = _restore(runtime, "supplier", supplier)
    assert "已恢复" in page or "Restored" in page
    restored = api.get(f"/api/v1/widget/{linked['id']}").json
    assert restored["supplier"] == supplier and [p["maker"] for p in restored["parts"]] == [supplier, other]


def test_a_restore_whose_links_point_at_deleted_records_is_refused(admin_api: Api, lab: Runtime) -> None:
    supplier = _supplier(admin_api)
    widget = admin_api.post("/api/v1/widget", json={"title": "螺母", "supplier": supplier}).json["id"]
    assert admin_api.delete(f"/api/v1/widget/{widget}").status_code == 204
    assert admin_api.delete(f"/api/v1/supplier/{supplier}").status_code == 204  # only a binned widget links
    page = _restore(lab, "widget", widget)
    assert "请先从回收站恢复它引用的记录" in page
    assert admin_api.get(f"/api/v1/widget/{widget}").status_code == 404
    lab.records().restore("supplier", supplier)
    lab.records().restore("widget", widget)
    assert admin_api.get(f"/api/v1/widget/{widget}").json["supplier"] == supplier


def test_set_null_on_a_required_link_is_refused_at_publish(runtime: Runtime, lab_dir: Path) -> None:
    _edit(lab_dir, "widget", lambda doc: _field(doc, "supplier").update(on_delete="set_null", required=True))
    with pytest.raises(MetadataError) as refused:
        runtime.install_app(lab_dir)
    assert any("required link cannot be cleared" in str(p) for p in refused.value.problems)
