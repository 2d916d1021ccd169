"""Pages people use every day: lists, exports, records, boards, recycle bin, print, scan, language."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from sunmao import assembly
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.screens import demo
from tests.screens.conftest import Browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "platform" / "sunmao" / "translations"


def test_script_in_a_customer_name_is_inert(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    evil = runtime.records().create("customer", {"company_name": "<script>alert('x')</script>坏公司",
                                                 "remarks": "<img src=x onerror=alert(1)>"})
    order = runtime.records().create("order", {"customer": evil["id"], "due_date": "2031-01-01", "lines": [
        {"product": data["products"][0]["id"], "qty": "1", "unit_price": "1"}]})
    sales = browse("sales")
    for url in ("/app/customer", f"/app/customer/{evil['id']}", f"/app/order/{order['id']}",
                f"/app/order/{order['id']}/edit", "/app/customer?q=坏公司", f"/app/customer/{evil['id']}/edit"):
        page = sales.get(url)
        assert page.status_code == 200, url
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, url
        assert "&lt;script&gt;" in page.text, url
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_script_in_a_metadata_label_is_inert(tmp_path: Path) -> None:
    package = tmp_path / "order_management"
    shutil.copytree(app_path("order_management"), package)
    channel = package / "entities" / "channel.json"
    text = channel.read_text(encoding="utf-8")
    channel.write_text(text.replace('"zh": "销售渠道"', '"zh": "<script>alert(1)</script>渠道"', 1), encoding="utf-8")
    runtime = assembly.runtime(f"sqlite:///{tmp_path / 'x.db'}", check_interval=0)
    runtime.setup()
    runtime.install_app(package)
    demo.users(runtime)
    user = Browser(create_wsgi(runtime)).login("admin")
    for url in ("/app", "/app/channel", "/app/channel/new", "/app/trash"):
        page = user.get(url)
        assert page.status_code == 200, url
        assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;渠道" in page.text, url
    runtime.db.dispose()


def test_list_filters_search_sort_and_pages(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    manager = browse("manager")
    page = manager.get("/app/order?priority=urgent")
    assert page.status_code == 200
    assert data["orders"][0]["name"] in page.text and data["orders"][1]["name"] not in page.text
    page = manager.get("/app/customer?q=恒通")
    assert "苏州恒通精密机械有限公司" in page.text and "宁波鑫达" not in page.text
    first = manager.get("/app/order?sort=name&limit=2")
    assert first.status_code == 200
    bad = manager.get("/app/order?due_date__ge=not-a-date")
    assert bad.status_code == 200 and 'role="alert"' in bad.text  # the filter's own error, on the page
    queue = manager.get("/app/views/production_queue")
    assert queue.status_code == 200


def test_saved_views_are_per_user(browse: Any) -> None:
    sales = browse("sales")
    saved = sales.post_form("/app/order/saved-views", {"label": "我的加急单", "query": "priority=urgent"})
    assert saved.status_code == 302
    assert "我的加急单" in sales.get("/app/order").text
    assert "我的加急单" not in browse("manager").get("/app/order").text


def test_export_xlsx_and_csv(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    from openpyxl import load_workbook

    runtime, data = oms
    runtime.records().create("customer", {"company_name": "=HYPERLINK(\"http://x\")公式公司"})
    manager = browse("manager")
    xlsx = manager.get("/app/customer/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and "客户名称" in rows[0]
    names = [r[rows[0].index("客户名称")] for r in rows[1:]]
    assert data["customers"][0]["company_name"] in names
    formula = next(c for r in sheet.iter_rows() for c in r if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert formula.data_type == "s"  # text, never a live formula
    exported = manager.get("/app/customer/export.csv?q=恒通")
    text = exported.data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == 2 and "苏州恒通精密机械有限公司" in table[1]
    assert browse("warehouse").get("/app/customer/export.csv").status_code == 200
    assert browse("tech").get("/app/payment_receipt/export.csv").status_code in (403, 404)


def test_record_page_timeline_comments_and_mentions(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    order = data["orders"][4]
    sales = browse("sales")
    assert sales.post_form(f"/app/order/{order['id']}/comments", {"body": "@finance 请确认付款 @nobody"}
                           ).status_code == 302
    page = sales.get(f"/app/order/{order['id']}")
    assert page.status_code == 200
    assert '<span class="mention">@finance</span>' in page.text and "@nobody" in page.text
    assert "创建了记录" in page.text


def test_bulk_delete_recycle_bin_and_restore(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    sales = browse("sales")
    contacts = [runtime.records().create("contact", {"customer": data["customers"][0]["id"],
                                                     "contact_name": f"回收{i}"}) for i in range(2)]
    done = sales.post_form("/app/contact/bulk-delete", {"ids": [str(c["id"]) for c in contacts]})
    assert done.status_code == 302
    assert "回收0" not in sales.get("/app/contact").text
    bin_page = sales.get("/app/trash?entity=contact")
    assert "回收0" in bin_page.text or contacts[0]["name"] in bin_page.text
    restored = sales.post_form(f"/app/trash/contact/{contacts[0]['id']}/restore")
    assert restored.status_code == 302
    assert runtime.records().get("contact", contacts[0]["id"])["contact_name"] == "回收0"


def test_kanban_and_calendar(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    sales = browse("sales")
    board = sales.get("/app/order/kanban?by=priority")
    assert board.status_code == 200 and "data-movable" in board.text
    order = runtime.records().get("order", data["orders"][2]["id"])
    moved = sales.post_json(f"/app/order/{order['id']}/move", {"field": "priority", "value": "urgent",
                                                                "version": order["version"]})
    assert moved.status_code == 200
    assert runtime.records().get("order", order["id"])["priority"] == "urgent"
    stale = sales.post_json(f"/app/order/{order['id']}/move", {"field": "priority", "value": "normal",
                                                                "version": order["version"]})
    assert stale.status_code == 412
    assert "data-movable" not in browse("warehouse").get("/app/order/kanban?by=priority").text
    calendar = sales.get(f"/app/order/calendar?field=due_date&month={data['orders'][0]['due_date'][:7]}")
    assert calendar.status_code == 200 and data["orders"][0]["name"] in calendar.text
    assert sales.get("/app/views/order_board").status_code == 200
    assert sales.get("/app/views/due_calendar").status_code == 200


def test_print_pdfs(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    manager = browse("manager")
    for url in (f"/app/order/{data['orders'][0]['id']}/print/order_confirmation",
                f"/app/order/{data['orders'][0]['id']}/print/delivery_note",
                f"/app/customer/{data['customers'][0]['id']}/print"):
        pdf = manager.get(url)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF"), url
    assert manager.get(f"/app/order/{data['orders'][0]['id']}/print/nope").status_code == 404


def _set_state(runtime: Runtime, order_id: int, **values: Any) -> None:
    table = runtime.snapshot().tables["order"]
    with runtime.db.write() as conn:
        conn.execute(table.update().where(table.c.id == order_id).values(**values))


def test_scan_to_ship_blocked_by_the_gate_then_shipped(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    if "order" not in runtime.snapshot().features.get("workflows", {}):
        pytest.skip("the order workflow is not installed")
    warehouse = browse("warehouse")
    assert warehouse.get("/app/scan").status_code == 200
    order = data["orders"][5]
    unknown = warehouse.post_json("/app/scan", {"code": "SO-000000-00000"})
    assert unknown.status_code == 404
    draft = warehouse.post_json("/app/scan", {"code": order["name"]})
    assert draft.status_code >= 400 and draft.json["matched"]["id"] == order["id"]
    _set_state(runtime, order["id"], status="ready_to_ship", qc_status="passed", payment_status="pending")
    blocked = warehouse.post_json("/app/scan", {"code": order["name"]})
    assert blocked.status_code == 409, blocked.json  # refused by the ship gate
    assert any("付款未确认" in r or "Payment is not confirmed" in r for r in blocked.json["reasons"])
    _set_state(runtime, order["id"], credit_released=True)  # finance released it on credit
    shipped = warehouse.post_json("/app/scan", {"code": order["name"]})
    assert shipped.status_code == 200, shipped.json
    record = runtime.records().get("order", order["id"])
    assert record["status"] == "shipped" and record["waybill_no"] == shipped.json["waybill"]
    assert record["shipped_at"]


def test_translations_are_complete_and_compiled() -> None:
    po_path = TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        po = read_po(f)
    with po_path.with_suffix(".mo").open("rb") as f:
        mo = read_mo(f)
    untranslated = [m.id for m in po if m.id and not m.string]
    assert not untranslated
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, \
        "messages.mo is stale: recompile it from messages.po (see docs/screens.md)"


def test_dates_and_money_in_the_readers_locale(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    manager = browse("manager")
    order = data["orders"][1]
    zh = manager.get(f"/app/order/{order['id']}").text
    manager.get("/lang/en")
    en = manager.get(f"/app/order/{order['id']}").text
    year, month, day = (int(x) for x in order["due_date"].split("-"))
    assert f"{year}年{month}月{day}日" in zh
    assert f"{year}" in en and "年" not in en.split("<main")[1].split("Timeline")[0]
    assert "¥" in zh and "CN¥" in en


def test_empty_database_shows_no_app_page(tmp_path: Path) -> None:
    runtime = assembly.runtime(f"sqlite:///{tmp_path / 'empty.db'}", check_interval=0)
    runtime.setup()
    demo.users(runtime)
    user = Browser(create_wsgi(runtime)).login("admin")
    assert user.get("/app").status_code == 200
    assert user.get("/app/order").status_code == 404
    with runtime.db.read() as conn:
        assert conn.execute(sa.text("select 1")).scalar() == 1
    runtime.db.dispose()


def test_attachments_on_a_comment(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    import json

    _runtime, data = oms
    sales = browse("sales")
    order = data["orders"][3]
    uploaded = sales.client.post("/api/v1/files", data={"file": (io.BytesIO(b"%PDF-1.4 drawing"), "图纸.pdf")},
                                 headers={"X-CSRFToken": sales.token}, content_type="multipart/form-data")
    assert uploaded.status_code == 201
    files = json.dumps([{"id": uploaded.json["id"]}, {"id": "not-mine"}])
    assert sales.post_form(f"/app/order/{order['id']}/comments", {"body": "图纸见附件", "files": files}
                           ).status_code == 302
    page = sales.get(f"/app/order/{order['id']}").text
    assert f'href="/api/v1/files/{uploaded.json["id"]}"' in page and "图纸.pdf" in page
    assert "not-mine" not in page


def test_workflow_actions_on_the_record_page(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    if "order" not in runtime.snapshot().features.get("workflows", {}):
        pytest.skip("the order workflow is not installed")
    sales = browse("sales")
    order = runtime.records().create("order", {"customer": data["customers"][2]["id"], "due_date": "2031-06-01",
                                               "lines": [{"product": data["products"][0]["id"], "qty": "10",
                                                          "unit_price": "0.85"}]})
    page = sales.get(f"/app/order/{order['id']}")
    assert 'data-action="submit"' in page.text and 'data-state="draft"' in page.text
    assert 'data-action="ship"' not in page.text  # not from draft, and not for sales
    done = sales.post_form(f"/app/order/{order['id']}/transition", {"action": "submit",
                                                                     "version": str(order["version"])})
    assert done.status_code == 302
    assert runtime.records().get("order", order["id"])["status"] != "draft"
    refused = sales.post_form(f"/app/order/{order['id']}/transition", {"action": "ship"})
    assert refused.status_code == 302
    assert 'class="flash flash-error"' in sales.get(f"/app/order/{order['id']}").text


def test_export_of_a_view_follows_its_filters(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    order = data["orders"][0]
    _set_state(runtime, order["id"], status="scheduled")
    manager = browse("manager")
    page = manager.get("/app/views/production_queue")
    assert "view=production_queue" in page.text
    exported = manager.get("/app/order/export.csv?view=production_queue").data.decode("utf-8-sig")
    names = [r[0] for r in list(csv.reader(io.StringIO(exported)))[1:]]
    assert order["name"] in names
    assert data["orders"][1]["name"] not in names  # a draft is not in the production queue
