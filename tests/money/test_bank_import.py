"""A bank statement, as the big banks export it, imports as receipts that match their orders by themselves."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from sunmao import accounts
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.conftest import Api
from tests.imports.conftest import count, workbook
from tests.outbound.helpers import drive
from tests.screens import demo


@pytest.fixture
def plant(runtime: Runtime) -> Iterator[tuple[Runtime, dict[str, Any], Api]]:
    demo.install(runtime)
    demo.users(runtime)
    data = demo.seed(runtime, orders=4)
    yield runtime, data, Api(create_wsgi(runtime), accounts.create_token(runtime.db, "finance", "t"))


def _amount(order: dict[str, Any]) -> str:
    return f"{Decimal(order['amount']):,.2f}"


def icbc_statement(orders: list[dict[str, Any]]) -> Any:
    """An ICBC-style account history: title rows, debit and credit columns, a totals row."""
    advance, credit = orders[1], orders[0]

    def build(ws: Any) -> None:
        ws.title = "账户明细"
        ws.append(["中国工商银行 账户历史明细"])
        ws.merge_cells("A1:H1")
        ws.append(["账号：3901-0000-1234", None, "户名：宁波示范五金有限公司", None,
                   "起止日期：2026-12-01 至 2026-12-05"])
        ws.append([])
        ws.append(["交易日期", "摘要", "借方发生额(支出)", "贷方发生额(收入)", "余额", "对方户名", "对方账号",
                   "流水号"])
        ws.append(["2026-12-01", f"货款{advance['name']}", None, _amount(advance), "100,000.00",
                   "慈溪宏盛汽配有限公司", "6222 0000 1111", "HQ20261201000123"])
        ws.append(["2026-12-02", "电费", "3,000.00", None, "97,000.00", "国网浙江省电力公司", "3301",
                   "HQ20261202000456"])
        ws.append(["2026-12-03", "货款", None, _amount(credit), "120,000.00", "宁波鑫达五金制品有限公司",
                   "6222 0000 2222", "HQ20261203000789"])
        ws.append(["2026-12-04", "往来款", None, "8,888.00", "128,888.00", "某某贸易商行", "6222 0000 3333",
                   "HQ20261204000999"])
        ws.append(["合计", None, "3,000.00", "=SUM(D5:D8)"])
    return build


def test_an_icbc_statement_imports_receipts_that_match_their_orders(
        plant: tuple[Runtime, dict[str, Any], Api]) -> None:
    runtime, data, finance = plant
    orders = data["orders"]
    book = workbook(icbc_statement(orders))
    preview = finance.client.post("/api/v1/receipt/import", data={"file": (io.BytesIO(book), "工行流水.xlsx")},
                                  headers=finance._headers({"Accept-Language": "zh"}))
    assert preview.status_code == 200, preview.text
    body = preview.json
    assert body["plan"]["template"] == "bank_statement", body["plan"]
    result = body["result"]
    assert result["records"] == 3 and result["problems"] == [], result
    skipped = {s["row"]: s["reason"] for s in result["skipped"]}
    assert skipped == {6: "没有要导入的金额（如支出），已跳过", 9: "合计行，已跳过"}
    assert count(runtime, "receipt") == 0  # a preview writes nothing
    done = finance.client.post(body["commit_url"], headers=finance._headers())
    assert done.status_code == 200 and done.json["status"] == "done", done.text
    assert done.json["result"]["created"] == 3
    records = runtime.records()
    advance, credit = (records.get("order", orders[i]["id"]) for i in (1, 0))

    drive(runtime, lambda: records.get("order", advance["id"])["payment_status"] == "paid"
          and Decimal(records.get("order", credit["id"])["paid_amount"]) == Decimal(credit["amount"]))
    stranger = records.list("receipt", None)["items"]
    by_ref = {r["bank_ref"]: r for r in stranger}
    assert by_ref["HQ20261201000123"]["status"] == "matched"
    assert by_ref["HQ20261201000123"]["received_on"] == "2026-12-01"
    assert by_ref["HQ20261203000789"]["status"] == "matched"
    assert by_ref["HQ20261204000999"]["status"] == "unmatched" and by_ref["HQ20261204000999"]["amount"] == "8888.00"
    again = finance.client.post("/api/v1/receipt/import?commit=true",
                                data={"file": (io.BytesIO(book), "工行流水.xlsx")}, headers=finance._headers())
    assert again.status_code == 200, again.text
    assert again.json["result"]["created"] == 0 and count(runtime, "receipt") == 3  # the same statement twice


def test_a_ccb_csv_in_gb18030_imports_too(plant: tuple[Runtime, dict[str, Any], Api]) -> None:
    runtime, data, finance = plant
    order = data["orders"][2]
    text = ("交易日期,收入金额,支出金额,对方户名,对方账号,附言,交易流水号,币种\n"
            f"2026/12/05,\"{_amount(order)}\",,苏州恒通精密机械有限公司,6217001,{order['name']} 货款,CCB0001,人民币\n"
            "2026/12/05,,120.00,中国建设银行,,手续费,CCB0002,人民币\n"
            "2026/12/06,不知道,,某人,,转账,CCB0003,人民币\n")
    upload = {"file": (io.BytesIO(text.encode("gb18030")), "建行对账单.csv")}
    preview = finance.client.post("/api/v1/receipt/import", data=upload, headers=finance._headers())
    assert preview.status_code == 200, preview.text
    result = preview.json["result"]
    assert [p["text"] for p in result["problems"]] == [
        "row 4, column B: Amount '不知道' is not a number (accepted: 1200, 1,200.50 or 一千二百)"], result
    good = finance.client.post(preview.json["commit_url"] + "?good_rows_only=true", headers=finance._headers())
    assert good.status_code == 200 and good.json["result"]["created"] == 1, good.text
    records = runtime.records()
    drive(runtime, lambda: records.get("order", order["id"])["paid_amount"] == order["amount"])
    [receipt] = records.list("receipt", None)["items"]
    assert receipt["currency"] == "CNY" and receipt["bank_ref"] == "CCB0001" and receipt["status"] == "matched"
