"""A sales office's real workbook: title rows, merged cells, orders over several rows, phones in
four spellings, three kinds of dates, a totals row and notes — imported through the record service."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sunmao.imports.plan import prepare
from sunmao.imports.runner import run_import
from sunmao.records import Actor
from sunmao.runtime import Runtime
from tests.imports.conftest import count, workbook

SALES = Actor(id=None, username="sales", roles=frozenset({"sales"}))
HEADERS = ["订单号", "下单日期", "交货日期", "客户名称", "联系电话", "产品编码", "品名规格", "数量", "单价", "金额",
           "备注"]


def sales_office_book(ws: Any) -> None:
    ws.title = "12月订单"
    ws.append(["2026年12月 销售订单台账（华东区）"])
    ws.merge_cells("A1:K1")
    ws.append([])
    ws.append(HEADERS)
    rows = [
        # an order over two rows; the customer's name padded, the phone a number cell; a real date; a serial date
        ["PO-A001", date(2026, 12, 1), 46376, "  宁波鑫达五金制品有限公司 ", 13812345678, "BLT-M8x30", None,
         "1,000", 0.85, "=H4*I4", None],
        ["PO-A001", None, None, None, None, "NUT-M8", None, 1000, "¥0.12", "=H5*I5", "随货附合格证"],
        # the same customer by three more spellings of the phone; text dates
        ["PO-A002", "2026/12/02", "2026年12月25日", None, "+86 138-1234-5678", "HNG-100", None, "２００", 6.5, None,
         None],
        ["PO-A003", None, "12月31日", None, "138 1234 5678", None, "法兰盘 DN50 20#钢", "一千二百", 45, None, None],
        ["PO-A004", "2026-12-04", "2026-12-30", None, "（+86）138 1234 5678", "FLG-DN50", None, 30, "45.00", None,
         None],
        # an existing customer by name only, padded with an ideographic space
        ["PO-A005", "2026-12-04", "2026-12-30", "苏州恒通精密机械有限公司\u3000", None, "BRK-2201", None, 12, 128, None,
         None],
        # a new customer: created once, found again by its landline in another spelling
        ["PO-B001", "2026-12-05", datetime(2026, 12, 28, 0, 0), "  温州华力电器有限公司  ", "0577-8666 1234",
         "BLT-M8x30", None, 500, 0.85, None, None],
        [None, None, None, None, None, "NUT-M8", None, 500, 0.12, None, None],  # continuation row, order no. merged
        ["PO-B002", "2026-12-06", "2026-12-29", "温州华力电器有限公司", "+86 577 8666 1234", "HNG-100", None, 10, 6.5,
         None, None],
    ]
    for row in rows:
        ws.append(row)
    ws.merge_cells("A10:A11")
    ws.append([])
    ws.append(["合计", None, None, None, None, None, None, "=SUM(H4:H12)", None, "=SUM(J4:J12)", None])
    ws.append(["制表：王销售    审核：周经理"])


def test_the_sales_office_workbook(oms: tuple[Runtime, dict[str, Any]]) -> None:
    runtime, data = oms
    records = runtime.records()
    data_book = workbook(sales_office_book)
    customers_before, orders_before = count(runtime, "customer"), count(runtime, "order")
    prepared = prepare(records, "order", data_book, "订单台账.xlsx")
    assert prepared.template is not None and prepared.template.key == "sales_office_orders"
    assert prepared.table.header_row == 3 and prepared.table.headers == HEADERS
    plan = prepared.plan
    mapped = {prepared.table.headers[i]: p for i, p in plan.columns.items()}
    assert mapped == {"订单号": "external_order_id", "下单日期": "order_date", "交货日期": "due_date",
                      "客户名称": "customer.company_name", "联系电话": "customer.phone",
                      "产品编码": "lines.product.sku", "品名规格": "lines.product", "数量": "lines.qty",
                      "单价": "lines.unit_price", "备注": "remarks"}
    assert plan.key_field == "external_order_id"

    preview = run_import(records, SALES, prepared.table, plan, prepared.targets)
    assert preview.problems == [], [p.text("zh") for p in preview.problems]
    assert (len(preview.groups), preview.child_rows) == (7, 9)
    assert [reason.zh for _n, reason in preview.skipped] == ["合计行，已跳过", "表格下方的说明，已跳过"]
    assert [n for n, _r in preview.skipped] == [14, 15]
    assert count(runtime, "order") == orders_before and count(runtime, "customer") == customers_before  # a preview

    done = run_import(records, SALES, prepared.table, plan, prepared.targets, commit=True)
    assert done.committed and (done.created, done.updated) == (7, 0)
    assert done.linked_created == {"customer": 1}
    assert count(runtime, "order") == orders_before + 7
    assert count(runtime, "customer") == customers_before + 1
    orders = {o["external_order_id"]: o for o in records.list("order", None)["items"] if o["external_order_id"]}
    xinda = next(c for c in data["customers"] if c["company_name"] == "宁波鑫达五金制品有限公司")
    hengtong = next(c for c in data["customers"] if c["company_name"] == "苏州恒通精密机械有限公司")
    assert {k: orders[k]["customer"] for k in ("PO-A001", "PO-A002", "PO-A003", "PO-A004")} == \
        dict.fromkeys(("PO-A001", "PO-A002", "PO-A003", "PO-A004"), xinda["id"])
    assert orders["PO-A005"]["customer"] == hengtong["id"]
    assert orders["PO-B001"]["customer"] == orders["PO-B002"]["customer"]
    new_customer = records.get("customer", orders["PO-B001"]["customer"])
    assert new_customer["company_name"] == "温州华力电器有限公司" and new_customer["phone"] == "057786661234"
    assert orders["PO-A001"]["due_date"] == "2026-12-20"  # the serial number 46376
    assert orders["PO-A001"]["order_date"] == "2026-12-01"
    assert orders["PO-A002"]["due_date"] == "2026-12-25" and orders["PO-A002"]["order_date"] == "2026-12-02"
    assert orders["PO-A003"]["due_date"] == f"{date.today().year}-12-31"
    assert orders["PO-B001"]["due_date"] == "2026-12-28"
    a001 = records.get("order", orders["PO-A001"]["id"])
    assert [(line["qty"], line["unit_price"]) for line in a001["lines"]] == [("1000.00", "0.85"),
                                                                             ("1000.00", "0.12")]
    assert a001["remarks"] == "随货附合格证" and a001["amount"] == "970.00"
    assert [line["qty"] for line in records.get("order", orders["PO-A003"]["id"])["lines"]] == ["1200.00"]
    assert [line["qty"] for line in records.get("order", orders["PO-A002"]["id"])["lines"]] == ["200.00"]
    assert len(records.get("order", orders["PO-B001"]["id"])["lines"]) == 2

    # The same file again: every order is found by its order number and updated, none added. (Orders whose
    # customer's grade moved with the first import get their priority score recomputed: "updated".)
    again = run_import(records, SALES, prepared.table, plan, prepared.targets, commit=True)
    assert again.committed and again.created == 0 and again.updated + again.unchanged == 7
    assert {g.action for g in again.groups} <= {"update", "unchanged"}
    assert count(runtime, "order") == orders_before + 7 and count(runtime, "customer") == customers_before + 1

