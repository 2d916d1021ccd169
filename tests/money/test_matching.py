"""Receipts matched to orders: by reference, by amount and customer, partly, split, or for review."""

from __future__ import annotations

import pytest

from sunmao.errors import ValidationFailed
from tests.money.conftest import allocations, match, money, order, receipt, receive, usd_order
from tests.workflow.conftest import OM


def test_an_order_number_in_the_memo_matches_and_pays_the_order(om: OM) -> None:
    o = om.order(qty="5", advance=True)  # 500.00
    assert o["payment_status"] == "pending" and money(o["paid_amount"]) == 0
    r = receive(om, "500.00", memo=f"货款 {o['name'].lower().replace('-', ' ')}", payer="张三")
    outcome = match(om)
    assert outcome.counts() == {"applied": 1, "proposed": 0, "withdrawn": 0}
    [a] = allocations(om, receipt=r["id"])
    assert a["order"] == o["id"] and money(a["amount"]) == 500 and a["status"] == "applied"
    assert a["score"] == 90 and a["reason"].startswith("摘要含订单号、金额相同")
    paid = order(om, o["id"])
    assert money(paid["paid_amount"]) == 500 and money(paid["open_amount"]) == 0
    assert paid["payment_status"] == "paid"
    assert receipt(om, r["id"])["status"] == "matched"
    assert match(om).counts() == {"applied": 0, "proposed": 0, "withdrawn": 0}  # a second run adds nothing


def test_same_amount_from_the_orders_customer_matches(om: OM) -> None:
    o = om.order(qty="3")  # 300.00, customer 宁波B类五金有限公司
    om.order(qty="4")  # another order of the same customer, another amount
    r = receive(om, "300.00", payer="宁波B类五金有限公司", memo="货款")
    match(om)
    [a] = allocations(om, receipt=r["id"])
    assert a["order"] == o["id"] and a["status"] == "applied" and a["score"] == 60
    assert order(om, o["id"])["payment_status"] == "paid"


def test_a_short_payer_name_is_the_customer(om: OM) -> None:
    o = om.order(qty="3")
    r = receive(om, "300.00", payer="宁波B类五金")
    match(om)
    assert [a["order"] for a in allocations(om, receipt=r["id"], status="applied")] == [o["id"]]


def test_two_receipts_for_one_order_and_a_partial_payment(om: OM) -> None:
    o = om.order(qty="10", advance=True)  # 1000.00
    first = receive(om, "300.00", memo=f"{o['name']} 定金")
    match(om)
    part = order(om, o["id"])
    assert money(part["paid_amount"]) == 300 and money(part["open_amount"]) == 700
    assert part["payment_status"] == "pending"  # the advance is the whole amount: not enough yet
    assert receipt(om, first["id"])["status"] == "matched"
    second = receive(om, "900.00", memo=f"{o['name']} 尾款")  # pays 200 more than is due
    match(om)
    [a] = allocations(om, receipt=second["id"])
    assert money(a["amount"]) == 700
    assert order(om, o["id"])["payment_status"] == "paid"
    rest = receipt(om, second["id"])
    assert rest["status"] == "partial" and money(rest["open_amount"]) == 200


def test_one_receipt_for_two_orders_named_in_the_memo(om: OM) -> None:
    a, b = om.order(qty="5"), om.order(qty="7")  # 500.00 and 700.00
    r = receive(om, "1200.00", memo=f"{a['name']},{b['name']}货款", payer="宁波B类五金有限公司")
    outcome = match(om)
    assert len(outcome.applied) == 2
    assert {x["order"]: money(x["amount"]) for x in allocations(om, receipt=r["id"])} == {a["id"]: 500, b["id"]: 700}
    assert order(om, a["id"])["payment_status"] == order(om, b["id"])["payment_status"] == "paid"
    assert receipt(om, r["id"])["status"] == "matched"


def test_uncertain_matches_wait_for_review_and_the_order_follows_the_confirmation(om: OM) -> None:
    a, b = om.order(qty="5", advance=True), om.order(qty="5", advance=True)  # same customer, same amount
    r = receive(om, "500.00", payer="宁波B类五金有限公司")
    outcome = match(om)
    assert outcome.counts() == {"applied": 0, "proposed": 2, "withdrawn": 0}
    assert receipt(om, r["id"])["status"] == "review"
    assert order(om, a["id"])["payment_status"] == order(om, b["id"])["payment_status"] == "pending"
    proposals = allocations(om, receipt=r["id"], status="proposed")
    assert {p["order"] for p in proposals} == {a["id"], b["id"]}
    assert all(p["score"] == 60 for p in proposals)
    chosen = next(p for p in proposals if p["order"] == b["id"])
    records = om.runtime.records()
    records.update("allocation", chosen["id"], {"status": "applied"}, actor=om.actors["fin1"])
    assert order(om, b["id"])["payment_status"] == "paid"
    assert order(om, a["id"])["payment_status"] == "pending"
    assert receipt(om, r["id"])["status"] == "matched"  # the other proposal is moot: withdrawn on the next run
    assert match(om).counts() == {"applied": 0, "proposed": 0, "withdrawn": 1}
    assert [p["status"] for p in allocations(om, receipt=r["id"], order=a["id"])] == ["rejected"]


def test_a_stranger_paying_the_right_amount_is_only_proposed(om: OM) -> None:
    o = om.order(qty="5")
    r = receive(om, "500.00", payer="某某贸易商行")
    match(om)
    [p] = allocations(om, receipt=r["id"])
    assert p["order"] == o["id"] and p["status"] == "proposed" and p["score"] == 30
    assert order(om, o["id"])["payment_status"] == "pending"
    om.runtime.records().update("allocation", p["id"], {"status": "rejected"}, actor=om.actors["fin1"])
    assert match(om).counts() == {"applied": 0, "proposed": 0, "withdrawn": 0}  # a rejection is remembered
    assert receipt(om, r["id"])["status"] == "unmatched"


def test_nothing_in_common_matches_nothing(om: OM) -> None:
    om.order(qty="5")
    r = receive(om, "123.45", payer="无关公司", memo="退款")
    assert match(om).counts() == {"applied": 0, "proposed": 0, "withdrawn": 0}
    assert receipt(om, r["id"])["status"] == "unmatched"


def test_other_currencies_and_cancelled_orders_are_not_candidates(om: OM) -> None:
    usd = usd_order(om, "5")
    cancelled = om.order(qty="6")
    om.act(cancelled["id"], "cancel", "sales1", comment="客户取消")
    r = receive(om, "500.00", memo=usd["name"])  # a CNY receipt naming a USD order
    gone = receive(om, "600.00", memo=cancelled["name"])
    assert match(om).counts()["applied"] == 0
    assert allocations(om, receipt=r["id"]) == allocations(om, receipt=gone["id"]) == []
    dollars = receive(om, "500.00", memo=usd["name"], currency="USD")
    match(om)
    assert [a["order"] for a in allocations(om, receipt=dollars["id"], status="applied")] == [usd["id"]]


def test_a_hand_allocation_in_another_currency_is_refused_by_name(om: OM) -> None:
    usd = usd_order(om, "5")
    r = receive(om, "500.00")
    with pytest.raises(ValidationFailed) as refused:
        om.runtime.records().create("allocation", {"receipt": r["id"], "order": usd["id"], "amount": "500.00"},
                                    actor=om.actors["fin1"])
    assert set(refused.value.errors) == {"order"}
    with pytest.raises(ValidationFailed) as too_much:
        om.runtime.records().create("allocation", {"receipt": r["id"], "order": om.order(qty="9")["id"],
                                                   "amount": "900.00"}, actor=om.actors["fin1"])
    assert set(too_much.value.errors) == {"amount"}
    assert allocations(om, receipt=r["id"]) == []
