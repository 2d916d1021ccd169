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
    for m in re.finditer(r'<select name="((?:map|missing)_[\w.]+|key_field)"[^>]*>(.*?)</select>', page, re.S):
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
    sales = browse("sales")
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
