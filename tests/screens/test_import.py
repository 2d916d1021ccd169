"""Excel and CSV import: preview with per-row errors, all-or-nothing commit, upsert, remembered mapping."""

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


def upload(user: Any, entity: str, name: str, data: bytes, key_field: str = "") -> str:
    response = user.post_form("/app/import", {"entity": entity, "key_field": key_field,
                                              "file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")
    assert response.status_code == 302, response.text[:800]
    return response.headers["Location"]


def mapping_form(page: str) -> dict[str, str]:
    """The mapping as the page pre-selected it (what the user would submit unchanged)."""
    out = {}
    for m in re.finditer(r'<select name="(map_\d+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', m.group(2))
        out[m.group(1)] = chosen.group(1) if chosen else ""
    return out


def count(runtime: Runtime, entity: str) -> int:
    table = runtime.snapshot().tables[entity]
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.deleted_at.is_(None))).scalar()


def test_one_bad_row_imports_nothing_then_a_good_file_imports(oms: tuple[Runtime, dict[str, Any]],
                                                            browse: Any) -> None:
    runtime, _data = oms
    sales = browse("sales")
    before = count(runtime, "customer")
    # a sales user imports customers (credit limits are finance's: see test_sales_cannot_import_credit_limits)
    rows = [["客户名称", "联系电话", "城市", "付款方式", "业务员"],
            ["台州精工阀门有限公司", "13900001111", "台州", "月结30天", "王销售"],
            ["温州华力电器有限公司", "12345", "温州", "款到发货", "王销售"],
            ["金华永盛工具有限公司", "0579-82223333", "金华", "货到付款", "李销售"]]
    location = upload(sales, "customer", "客户.xlsx", xlsx(rows))
    page = sales.get(location)
    assert page.status_code == 200
    mapping = mapping_form(page.text)
    assert set(mapping.values()) == {"company_name", "phone", "city", "payment_terms", "sales_rep"}
    preview = sales.post_form(location, {**mapping, "step": "preview"})
    assert preview.status_code == 200 and "data-import-errors" in preview.text
    assert "电话号码格式不正确" in preview.text and 'data-row-number="2"' in preview.text
    assert "data-commit" not in preview.text
    forced = sales.post_form(location, {**mapping, "step": "commit"})
    assert "data-import-errors" in forced.text and "data-import-done" not in forced.text
    assert count(runtime, "customer") == before  # nothing imported
    rows[2][1] = "0577-86661234"
    location = upload(sales, "customer", "客户-改.xlsx", xlsx(rows))
    mapping = mapping_form(sales.get(location).text)
    preview = sales.post_form(location, {**mapping, "step": "preview"})
    assert preview.status_code == 200 and "data-commit" in preview.text
    done = sales.post_form(location, {**mapping, "step": "commit"})
    assert done.status_code == 200 and "data-import-done" in done.text
    assert count(runtime, "customer") == before + 3
    names = runtime.records().list("customer", None)["items"]
    imported = next(c for c in names if c["company_name"] == "金华永盛工具有限公司")
    assert imported["sales_rep"] == "李销售" and imported["payment_terms"] == "cod"


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


def test_csv_upsert_by_business_key_and_remembered_mapping(oms: tuple[Runtime, dict[str, Any]],
                                                          browse: Any) -> None:
    runtime, data = oms
    tech = browse("tech")
    existing = data["products"][0]
    csv_text = "产品编码,产品名称,单位,单价RMB\n" + f"{existing['sku']},{existing['product_name']},件,0.95\n" + \
        "SCR-M4x10,十字盘头螺钉,件,0.05\n"
    location = upload(tech, "product", "产品.csv", csv_text.encode("utf-8-sig"), key_field="sku")
    mapping = mapping_form(tech.get(location).text)
    price_column = next(k for k, v in mapping.items() if v == "") if "" in mapping.values() else None
    assert price_column is not None  # 单价RMB matches no label by itself
    mapping[price_column] = "price"
    done = tech.post_form(location, {**mapping, "key_field": "sku", "step": "commit"})
    assert done.status_code == 200 and "data-import-done" in done.text, done.text[-2000:]
    assert runtime.records().get("product", existing["id"])["price"] == "0.95"
    assert any(p["sku"] == "SCR-M4x10" for p in runtime.records().list("product", None)["items"])
    # Next time, the column chosen by hand is matched again.
    location = upload(tech, "product", "产品2.csv", csv_text.encode("utf-8"), key_field="sku")
    assert mapping_form(tech.get(location).text)[price_column] == "price"


def test_import_needs_create_permission(browse: Any) -> None:
    warehouse = browse("warehouse")
    response = warehouse.post_form("/app/import", {"entity": "customer", "file": (io.BytesIO(b"a\n1\n"), "x.csv")},
                                   content_type="multipart/form-data")
    assert response.status_code == 403


def test_a_large_file_is_imported_by_a_job_with_progress(oms: tuple[Runtime, dict[str, Any]], browse: Any,
                                                         monkeypatch: Any) -> None:
    from sunmao.imports import jobs as import_jobs
    from sunmao.jobs.registry import JobContext, get_job
    from sunmao.jobs.tables import job_run

    runtime, _data = oms
    monkeypatch.setattr(import_jobs, "BACKGROUND_ROWS", 5)  # a "large" file, small enough for a test
    tech = browse("tech")
    rows = [["产品编码", "产品名称", "单位", "单价"]] + \
        [[f"BG-{i:03d}", f"后台导入件{i}", "件", "1.50"] for i in range(12)]
    location = upload(tech, "product", "大批量.xlsx", xlsx(rows), key_field="sku")
    mapping = mapping_form(tech.get(location).text)
    mapping.update({k: "price" for k, v in mapping.items() if v == ""})
    queued = tech.post_form(location, {**mapping, "key_field": "sku", "step": "commit"})
    assert queued.status_code == 200 and 'data-import-status="queued"' in queued.text
    assert 'http-equiv="refresh"' in queued.text  # the page follows the job by itself
    upload_id = location.rsplit("/", 1)[1]
    with runtime.db.read() as conn:
        runs = conn.execute(sa.select(job_run.c.job, job_run.c.args)).mappings().all()
    assert {"job": "imports.commit", "args": {"upload_id": upload_id}} in [dict(r) for r in runs]
    assert not any(p["sku"].startswith("BG-") for p in runtime.records().list("product", ListQuery(limit=500))["items"])
    get_job("imports.commit").fn(JobContext(runtime, None, 1), upload_id=upload_id)  # what the runner does
    status = tech.get(f"{location}/status")
    assert 'data-import-status="done"' in status.text and "新建 12 条" in status.text
    assert 'http-equiv="refresh"' not in status.text
    skus = {p["sku"] for p in runtime.records().list("product", ListQuery(limit=500))["items"]}
    assert {f"BG-{i:03d}" for i in range(12)} <= skus
