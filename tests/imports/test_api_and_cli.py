"""The same importer over the API (POST a file, read the preview, confirm) and from the shell."""

from __future__ import annotations

import io
from typing import Any

from click.testing import CliRunner

from sunmao.cli import main
from sunmao.runtime import Runtime
from tests.conftest import make_api
from tests.imports.conftest import count, workbook
from tests.imports.test_sales_workbook import sales_office_book

BAD_ROWS = [  # three bad rows among good ones: an unknown product, a quantity that is no number, a bad date
    ["PO-C001", "2026-12-01", "2026-12-20", "宁波鑫达五金制品有限公司", "13812345678", "BLT-M8x30", None, 100, 0.85],
    ["PO-C002", "2026-12-01", "2026-12-20", "宁波鑫达五金制品有限公司", "13812345678", "XX-999", None, 100, 0.85],
    ["PO-C003", "2026-12-01", "2026-12-21", "苏州恒通精密机械有限公司", None, "NUT-M8", None, 50, 0.12],
    ["PO-C004", "2026-12-01", "2026-12-20", "苏州恒通精密机械有限公司", None, "NUT-M8", None, "约一千", 0.12],
    ["PO-C005", "2026-12-02", "2026-12-22", "慈溪宏盛汽配有限公司", "0574-63821234", "HNG-100", None, 8, 6.5],
    ["PO-C006", "2026-12-02", "下周五", "慈溪宏盛汽配有限公司", "0574-63821234", "HNG-100", None, 8, 6.5],
    ["PO-C007", "2026-12-03", "2026-12-23", "上海瑞安汽车零部件有限公司", None, "FLG-DN50", None, 3, 45],
]


def bad_book(ws: Any) -> None:
    ws.title = "订单"
    ws.append(["订单号", "下单日期", "交货日期", "客户名称", "联系电话", "产品编码", "品名规格", "数量", "单价"])
    for row in BAD_ROWS:
        ws.append(row)


def test_three_bad_rows_over_the_api(oms: tuple[Runtime, dict[str, Any]]) -> None:
    runtime, _data = oms
    api = make_api(runtime, "clerk", ["sales"])
    before = count(runtime, "order")
    data = workbook(bad_book)
    response = api.client.post("/api/v1/order/import", data={"file": (io.BytesIO(data), "订单.xlsx")},
                               headers=api._headers({"Accept-Language": "zh"}))
    assert response.status_code == 200, response.text
    body = response.json
    result = body["result"]
    assert result["records"] == 7 and result["good_records"] == 4 and result["bad_rows"] == [3, 5, 7]
    assert [p["text"] for p in result["problems"]] == [
        "第 3 行 F 列：找不到产品“XX-999”（按产品编码、品名规格、产品名称查找）",
        "第 5 行 H 列：数量“约一千”不是数字（可填 1200、1,200.50 或 一千二百）",
        "第 7 行 C 列：交货日期“下周五”不是日期（可填 2026-12-20、2026/12/20、2026年12月20日、12月20日或 Excel 日期）",
    ]
    assert count(runtime, "order") == before  # a preview writes nothing
    refused = api.client.post(body["commit_url"], headers=api._headers())
    assert refused.status_code == 200 and refused.json["status"] == "failed"
    assert count(runtime, "order") == before  # all or nothing
    good = api.client.post(body["commit_url"] + "?good_rows_only=true", headers=api._headers())
    assert good.status_code == 200 and good.json["status"] == "done", good.text
    assert good.json["result"]["created"] == 4
    assert count(runtime, "order") == before + 4
    ids = {o["external_order_id"] for o in runtime.records().list("order", None)["items"]}
    assert {"PO-C001", "PO-C003", "PO-C005", "PO-C007"} <= ids and not ids & {"PO-C002", "PO-C004", "PO-C006"}
    state = api.get(body["url"])
    assert state.status_code == 200 and state.json["status"] == "done"
    other = make_api(runtime, "other", ["sales"])
    assert other.get(body["url"]).status_code == 404  # an upload is its uploader's


def test_the_cli_prints_problems_and_fails_when_nothing_is_imported(oms: tuple[Runtime, dict[str, Any]],
                                                                   tmp_path: Any) -> None:
    runtime, _data = oms
    env = {"DATABASE_URL": runtime.db.url.render_as_string(hide_password=False)}
    bad = tmp_path / "订单.xlsx"
    bad.write_bytes(workbook(bad_book))
    runner = CliRunner()
    dry = runner.invoke(main, ["import", "order", str(bad), "--dry-run", "--as", "sales"], env=env)
    assert dry.exit_code == 1, dry.output
    assert "订单: 第 3 行 F 列：找不到产品“XX-999”" in dry.output and "dry run: nothing written" in dry.output
    before = count(runtime, "order")
    refused = runner.invoke(main, ["import", "order", str(bad)], env=env)
    assert refused.exit_code == 1 and "nothing imported" in refused.output
    assert count(runtime, "order") == before
    good = runner.invoke(main, ["import", "order", str(bad), "--good-rows-only"], env=env)
    assert good.exit_code == 0, good.output
    assert "created 4" in good.output and count(runtime, "order") == before + 4
    book = tmp_path / "台账.xlsx"
    book.write_bytes(workbook(sales_office_book))
    done = runner.invoke(main, ["import", "order", str(book), "--template", "销售内勤订单台账"], env=env)
    assert done.exit_code == 0, done.output
    assert "row 14: 合计行，已跳过" in done.output and "created 7" in done.output and "new customer 1" in done.output
    again = runner.invoke(main, ["import", "order", str(book)], env=env)  # the template is recognised
    assert again.exit_code == 0 and "created 0" in again.output
    assert count(runtime, "order") == before + 4 + 7
    missing = runner.invoke(main, ["import", "order", str(book), "--template", "nope"], env=env)
    assert missing.exit_code == 2
