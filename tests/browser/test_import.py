"""The whole import of a sales office's order workbook in the browser: match, check, the good rows, Excel out."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.browser


def _orders(runtime: Any) -> set[str]:
    table = runtime.snapshot().tables["order"]
    with runtime.db.read() as conn:
        return {r for r in conn.execute(sa.select(table.c.external_order_id)).scalars() if r}


def _workbook(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "12月订单"
    ws.append(["2026年12月 销售订单台账（华东区）"])
    ws.merge_cells("A1:I1")
    ws.append([])
    ws.append(["订单号", "下单日期", "交货日期", "客户名称", "联系电话", "产品编码", "数量", "单价", "备注"])
    ws.append(["XS-1201", date(2026, 12, 1), 46376, " 宁波鑫达五金制品有限公司 ", 13812345678, "BLT-M8x30", "1,000",
               0.85, None])
    ws.append(["XS-1201", None, None, None, None, "NUT-M8", 1000, 0.12, "随货附合格证"])
    ws.append(["XS-1202", "2026/12/02", "2026年12月25日", None, "+86 138-1234-5678", "HNG-100", "约一千", 6.5, None])
    ws.append(["XS-1203", "2026-12-03", "12月30日", "嘉兴南湖紧固件有限公司", "0573-8222 1234", "XX-404", 20, 1.5,
               None])
    ws.append(["XS-1204", "2026-12-04", "2026-12-28", "嘉兴南湖紧固件有限公司", "0573-82221234", "FLG-DN50", 30, 45,
               None])
    ws.append(["合计", None, None, None, None, None, "=SUM(G4:G8)", None, None])
    ws.append(["制表：王销售"])
    wb.save(path)
    return path


def test_import_a_sales_office_workbook(tab: Any, server: dict[str, Any], tmp_path: Path) -> None:
    runtime = server["runtime"]
    t = tab()
    t.login("sales")
    page = t.page
    t.goto("/app/import?entity=order")
    page.select_option("#imp-entity", "order")
    page.set_input_files("#imp-file", str(_workbook(tmp_path / "12月订单台账.xlsx")))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url(re.compile(r".*/app/import/[0-9a-f-]+$"))
    page.wait_for_selector("[data-import-mapping]")
    assert "表头在第 3 行" in page.inner_text(".page-head")
    assert page.locator('select[name="map_6"]').input_value() == "lines.qty"
    assert page.locator('select[name="key_field"]').input_value() == "external_order_id"
    t.shot("import-mapping-desktop")
    page.click("[data-check]")
    page.wait_for_selector("[data-import-errors]")
    problems = page.locator("[data-problems] li").all_inner_texts()
    assert problems == ["第 6 行 G 列：数量“约一千”不是数字（可填 1200、1,200.50 或 一千二百）",
                        "第 7 行 F 列：找不到产品“XX-404”（按产品编码、品名规格、产品名称查找）"]
    states = {n: page.locator(f'tr[data-row-number="{n}"]').get_attribute("data-row-state") for n in range(4, 9)}
    assert states == {4: "good", 5: "good", 6: "bad", 7: "bad", 8: "good"}
    assert _orders(runtime).isdisjoint({"XS-1201", "XS-1202", "XS-1203", "XS-1204"})
    t.shot("import-orders-errors-desktop")
    page.click("[data-commit-good]")
    page.wait_for_selector("[data-import-done]")
    assert "新建 2 条" in page.inner_text("[data-import-done]")
    t.shot("import-done-desktop")
    assert {"XS-1201", "XS-1204"} <= _orders(runtime) and _orders(runtime).isdisjoint({"XS-1202", "XS-1203"})
    # Excel out: the imported order's own workbook
    order = next(o for o in runtime.records().list("order", None)["items"] if o["external_order_id"] == "XS-1201")
    t.goto(f"/app/order/{order['id']}")
    with page.expect_download() as download:
        page.click("[data-record-export]")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.active.freeze_panes == "A2" and book.active.max_row == 3
