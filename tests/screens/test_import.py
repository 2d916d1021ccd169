"""Excel and CSV import in the screens: match, check, all-or-nothing or the good rows, templates,
long files as a job with progress, and Excel out that imports back as it is."""

from __future__ import annotations

import io
import re
from typing import Any

import sqlalchemy as sa

from sunmao.records.query import ListQuery
from sunmao.runtime import Runtime


def xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(user: Any, entity: str, name: str, data: bytes, template: str = "") -> str:
    response = user.post_form("/app/import", {"entity": entity, "template": template,
                                              "file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")
    assert response.status_code == 302, response.text[:800]
    return response.headers["Location"]


def mapping_form(page: str) -> dict[str, str]:
    """The mapping as the page pre-selected it (what the user would submit unchanged)."""
    out = {}
    for m in re.finditer(r'<select [^>]*name="((?:map|missing)_[\w.]+|key_field)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', m.group(2))
        out[m.group(1)] = chosen.group(1) if chosen else ""
    return out


def count(runtime: Runtime, entity: str) -> int:
    table = runtime.snapshot().tables[entity]
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.deleted_at.is_(None))).scalar()


def test_bad_rows_import_nothing_then_the_good_rows_on_request(oms: tuple[Runtime, dict[str, Any]],
                                                               browse: Any) -> None:
    runtime, _data = oms
    sales = browse("admin")  # credit limits are finance's: a sales user may not import them (test below)
    before = count(runtime, "customer")
    rows = [["客户名录（2026）"], [],
            ["客户名称", "联系电话", "城市", "付款方式", "信用额度"],
            ["台州精工阀门有限公司", "13900001111", "台州", "月结30天", 50000],
            ["温州华力电器有限公司", "12345", "温州", "款到发货", 0],
            ["金华永盛工具有限公司", "0579-82223333", "金华", "货到付款", "20,000"],
            ["丽水恒达机械有限公司", "0578-2223333", "丽水", "月底结", "3万"],
            ["衢州东方轴承有限公司", "13900002222", "衢州", "款到发货", "一千五"],
            ["湖州南方五金有限公司", "13900003333", "湖州", "货到付款", "10000"]]
    location = upload(sales, "customer", "客户.xlsx", xlsx(rows))
    page = sales.get(location)
    assert page.status_code == 200 and "表头在第 3 行" in page.text
    mapping = mapping_form(page.text)
    assert {v for k, v in mapping.items() if k.startswith("map_")} == {
        "company_name", "phone", "city", "payment_terms", "credit_limit"}
    preview = sales.post_form(location, {**mapping, "step": "preview"})
    assert preview.status_code == 200 and "data-import-errors" in preview.text, preview.text[-3000:]
    named = re.findall(r'<li data-problem-row="(\d+)">([^<]*)</li>', preview.text)
    assert [int(n) for n, _t in named] == [5, 7, 7, 8]
    texts = [t for _n, t in named]
    assert texts[0].startswith("第 5 行 B 列：联系电话：电话号码格式不正确")
    assert texts[1] == "第 7 行 D 列：付款方式“月底结”不是可选值（可选：款到发货、月结30天、月结60天、货到付款）"
    assert texts[2].startswith("第 7 行 E 列：信用额度“3万”不是数字（可填 1200、1,200.50 或 一千二百）")
    assert texts[3].startswith("第 8 行 E 列：信用额度“一千五”不是数字")
    states = dict(re.findall(r'data-row-number="(\d+)" data-row-state="(\w+)"', preview.text))
    assert states == {"4": "good", "5": "bad", "6": "good", "7": "bad", "8": "bad", "9": "good"}
    assert "data-commit-good" in preview.text and "data-commit " not in preview.text
    forced = sales.post_form(location, {**mapping, "step": "commit"})
    assert "data-import-errors" in forced.text and "data-import-done" not in forced.text
    assert count(runtime, "customer") == before  # nothing imported
    good = sales.post_form(location, {**mapping, "step": "commit_good"})
    assert good.status_code == 200 and "data-import-done" in good.text, good.text[-2000:]
    assert count(runtime, "customer") == before + 3
    names = {c["company_name"] for c in runtime.records().list("customer", ListQuery(limit=500))["items"]}
    assert {"台州精工阀门有限公司", "金华永盛工具有限公司", "湖州南方五金有限公司"} <= names
    assert not names & {"温州华力电器有限公司", "丽水恒达机械有限公司", "衢州东方轴承有限公司"}
    imported = next(c for c in runtime.records().list("customer", ListQuery(limit=500))["items"]
                    if c["company_name"] == "金华永盛工具有限公司")
    assert imported["credit_limit"] == "20000.00" and imported["payment_terms"] == "cod"


def test_sales_cannot_import_credit_limits(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    """A credit limit is finance's to set: an import by a sales user that carries one is refused, naming it."""
    runtime, _data = oms
    sales = browse("sales")
    before = count(runtime, "customer")
    rows = [["客户名称", "联系电话", "信用额度"], ["台州精工阀门有限公司", "13900001111", 500000]]
    location = upload(sales, "customer", "客户.xlsx", xlsx(rows))
    mapping = mapping_form(sales.get(location).text)
    preview = sales.post_form(location, {**mapping, "step": "preview"})
    assert "你的角色不能修改此字段" in preview.text and "data-commit" not in preview.text
    assert count(runtime, "customer") == before


def test_a_saved_template_is_found_again_for_the_same_headers(oms: tuple[Runtime, dict[str, Any]],
                                                             browse: Any) -> None:
    runtime, data = oms
    tech = browse("tech")
    existing = data["products"][0]
    csv_text = "物料号,名称,单位,报价RMB\n" + f"{existing['sku']},{existing['product_name']},件,0.95\n" + \
        "SCR-M4x10,十字盘头螺钉,件,0.05\n"
    location = upload(tech, "product", "产品.csv", csv_text.encode("utf-8-sig"))
    mapping = mapping_form(tech.get(location).text)
    assert mapping["map_0"] == "" and mapping["map_3"] == ""  # 物料号 and 报价RMB name no field
    mapping.update(map_0="sku", map_1="product_name", map_3="price", key_field="sku")
    checked = tech.post_form(location, {**mapping, "template_name": "供应部产品表", "step": "preview"})
    assert "data-import-ok" in checked.text, checked.text[-2000:]
    done = tech.post_form(location, {"step": "commit"})
    assert "data-import-done" in done.text and "新建 1 条，更新 1 条" in done.text, done.text[-2000:]
    assert runtime.records().get("product", existing["id"])["price"] == "0.95"
    # A new file with the same headers: the saved template is used; the key column updates, never duplicates.
    location = upload(tech, "product", "产品-12月.csv", csv_text.replace("0.95", "0.99").encode("gb18030"))
    page = tech.get(location).text
    assert "导入模板：供应部产品表" in page
    assert mapping_form(page) == {**mapping}
    done = tech.post_form(location, {**mapping_form(page), "step": "commit"})
    assert "新建 0 条，更新 1 条，未变 1 条" in done.text, done.text[-2000:]
    assert runtime.records().get("product", existing["id"])["price"] == "0.99"
    start = tech.get("/app/import?entity=product").text
    assert "供应部产品表" in start


def test_import_needs_create_permission(browse: Any) -> None:
    warehouse = browse("warehouse")
    response = warehouse.post_form("/app/import", {"entity": "customer", "file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv")},
                                   content_type="multipart/form-data")
    assert response.status_code == 403


def test_a_long_file_runs_as_a_job_with_progress(oms: tuple[Runtime, dict[str, Any]], browse: Any,
                                                 monkeypatch: Any) -> None:
    from sunmao.imports import jobs as import_jobs
    from sunmao.jobs.registry import JobContext, get_job
    from sunmao.jobs.tables import job_run

    runtime, _data = oms
    monkeypatch.setattr(import_jobs, "BACKGROUND_ROWS", 5)  # a "long" file, short enough for a test
    tech = browse("tech")
    rows = [["产品编码", "产品名称", "单位", "销售单价"]] + [[f"BG-{i:03d}", f"后台导入件{i}", "件", "1.50"]
                                                      for i in range(12)]
    location = upload(tech, "product", "大批量.xlsx", xlsx(rows))
    mapping = mapping_form(tech.get(location).text)
    queued = tech.post_form(location, {**mapping, "key_field": "sku", "step": "commit"})
    assert queued.status_code == 200 and 'data-import-status="queued"' in queued.text
    assert 'http-equiv="refresh"' in queued.text  # the page follows the job by itself
    upload_id = location.rsplit("/", 1)[1]
    with runtime.db.read() as conn:
        runs = conn.execute(sa.select(job_run.c.job, job_run.c.args)).mappings().all()
    assert {"job": "imports.run", "args": {"upload_id": upload_id, "mode": "commit"}} in [dict(r) for r in runs]
    assert not any(p["sku"].startswith("BG-") for p in runtime.records().list("product", ListQuery(limit=500))["items"])
    seen: list[tuple[int, int]] = []
    real = import_jobs._progress_writer

    def spy(db: Any, uid: str) -> Any:
        write = real(db, uid)
        return lambda done, total: (seen.append((done, total)), write(done, total))

    monkeypatch.setattr(import_jobs, "_progress_writer", spy)
    get_job("imports.run").fn(JobContext(runtime, None, 1), upload_id=upload_id, mode="commit")  # as the runner does
    assert seen and seen[-1] == (12, 12)
    status = tech.get(f"{location}/status")
    assert "data-import-done" in status.text and "新建 12 条" in status.text
    assert 'http-equiv="refresh"' not in status.text
    skus = {p["sku"] for p in runtime.records().list("product", ListQuery(limit=500))["items"]}
    assert {f"BG-{i:03d}" for i in range(12)} <= skus


def typed(runtime: Runtime, record: dict[str, Any]) -> dict[str, Any]:
    """What people type of an order and its lines (computed values such as a priority score that moved
    with the customer's grade since the order was stored are recomputed by any update)."""
    entity = runtime.snapshot().entities["order"]
    line = runtime.snapshot().entities["order_line"]
    own = {f.key: record.get(f.key) for f in entity.fields if f.is_input and f.type != "table"}
    own["lines"] = [{f.key: r.get(f.key) for f in line.fields if f.is_input} for r in record["lines"]]
    return own


def test_excel_out_and_back_in(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    from openpyxl import load_workbook

    runtime, data = oms
    sales = browse("sales")
    order = data["orders"][1]
    stored = runtime.records().get("order", order["id"])
    response = sales.get(f"/app/order/{order['id']}/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    ws = book.active
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2" and header[:3] == ["编号", "客户", "联系人"]
    assert "订单明细 · 数量" in header and "订单明细 · 产品" in header
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(stored["lines"])
    due = rows[0][header.index("交货日期")]
    assert due.date().isoformat() == stored["due_date"]  # a real date, not text
    assert rows[0][header.index("订单明细 · 数量")] == float(stored["lines"][0]["qty"])  # a real number
    assert ws.column_dimensions["B"].width >= 20  # the customer's Chinese name fits
    # Imported back as it is: the same order, found by its number, unchanged.
    before = count(runtime, "order")
    location = upload(sales, "order", "导出.xlsx", response.data)
    page = sales.get(location).text
    form = mapping_form(page)
    assert form["key_field"] == "name"
    done = sales.post_form(location, {**form, "step": "commit"})
    assert "data-import-done" in done.text and "新建 0 条" in done.text, done.text[-3000:]
    assert count(runtime, "order") == before
    assert typed(runtime, runtime.records().get("order", order["id"])) == typed(runtime, stored)
    # The list export too: every order back in, none duplicated.
    listed = sales.get("/app/order/export.xlsx")
    assert listed.status_code == 200 and load_workbook(io.BytesIO(listed.data)).active.freeze_panes == "A2"
    location = upload(sales, "order", "订单列表.xlsx", listed.data)
    done = sales.post_form(location, {**mapping_form(sales.get(location).text), "step": "commit"})
    assert "data-import-done" in done.text and "新建 0 条" in done.text, done.text[-3000:]
    assert count(runtime, "order") == before
