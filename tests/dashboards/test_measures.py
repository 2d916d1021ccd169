"""Each measure and date bucket against hand-computed figures on fixed orders (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from sunmao.records import SYSTEM
from sunmao.records.stages import replace_history
from tests.dashboards.conftest import board, publish_board, rows_of, widget
from tests.workflow.conftest import OM

CST = timezone(timedelta(hours=8))
#: customer grade, order date, quantity (at 10.00), state, shipped at (Shanghai time)
ORDERS = [
    ("A", "2026-03-02", 10, "draft", None),
    ("A", "2026-03-08", 20, "approved", None),
    ("B", "2026-03-09", 30, "approved", None),
    ("C", "2026-04-15", 40, "shipped", datetime(2026, 3, 31, 23, 30, tzinfo=CST)),
    ("C", "2026-07-01", 50, "shipped", datetime(2026, 4, 1, 0, 30, tzinfo=CST)),
]


@pytest.fixture
def fixed(om: OM) -> list[dict[str, Any]]:
    payloads = []
    for grade, day, qty, state, shipped in ORDERS:
        payloads.append({
            "customer": om.customers[grade], "order_date": day,
            "due_date": (datetime.fromisoformat(day) + timedelta(days=30)).date().isoformat(),
            "status": state, "shipped_at": shipped.isoformat() if shipped else None,
            "waybill_no": "SF1" if shipped else None,
            "lines": [{"product": om.products["plain"], "qty": str(qty), "unit_price": "10.00"}]})
    return om.runtime.records().create_many("order", payloads, actor=SYSTEM, history=True)


def _query(**kw: Any) -> dict[str, Any]:
    return {"entity": "order", **kw}


def _by(rows: list[dict[str, Any]], key: str = "n") -> dict[Any, Any]:
    return {r["g0"]: r[key] for r in rows}


def test_measures_and_buckets(om: OM, fixed: list[dict[str, Any]]) -> None:
    count = {"key": "n", "op": "count"}
    amount = {"key": "amount", "op": "sum", "field": "amount"}
    widgets = [
        widget("by_status", _query(group_by=[{"field": "status"}], measures=[count])),
        widget("by_grade", _query(group_by=[{"field": "customer.grade"}], measures=[count])),
        widget("months", _query(group_by=[{"field": "order_date", "bucket": "month"}], measures=[count, amount])),
        widget("weeks", _query(group_by=[{"field": "order_date", "bucket": "week"}], measures=[count])),
        widget("days", _query(group_by=[{"field": "order_date", "bucket": "day"}], measures=[count])),
        widget("quarters", _query(group_by=[{"field": "order_date", "bucket": "quarter"}], measures=[count, amount])),
        widget("years", _query(group_by=[{"field": "order_date", "bucket": "year"}], measures=[count])),
        widget("ship_days", _query(group_by=[{"field": "shipped_at", "bucket": "day"}], measures=[count],
                                   filters=[{"field": "shipped_at", "op": "is_null", "value": False}])),
        widget("ship_months", _query(group_by=[{"field": "shipped_at", "bucket": "month"}], measures=[count],
                                     filters=[{"field": "shipped_at", "op": "is_null", "value": False}])),
        widget("ship_quarters", _query(group_by=[{"field": "shipped_at", "bucket": "quarter"}], measures=[count],
                                       filters=[{"field": "shipped_at", "op": "is_null", "value": False}])),
        widget("totals", _query(measures=[
            count, amount, {"key": "avg", "op": "avg", "field": "amount"},
            {"key": "min", "op": "min", "field": "amount"},
            {"key": "max", "op": "max", "field": "amount"},
            {"key": "customers", "op": "count_distinct", "field": "customer"},
            {"key": "median_qty", "op": "percentile", "field": "total_qty", "p": 0.5},
            {"key": "p90_qty", "op": "percentile", "field": "total_qty", "p": 0.9},
            {"key": "big", "op": "count", "when": {"where": {">=": [{"var": "amount"}, 300]}}},
            {"key": "mean", "op": "formula", "formula": {"/": [{"var": "amount"}, {"var": "n"}]}},
            {"key": "none", "op": "formula", "formula": {"/": [{"var": "n"}, 0]}}])),
        widget("top2", _query(group_by=[{"field": "customer"}], measures=[amount], sort=["-amount"], limit=2)),
    ]
    publish_board(om.runtime, board("fixed", widgets))

    def rows(wid: str) -> list[dict[str, Any]]:
        return rows_of(om.runtime, "fixed", wid)

    assert _by(rows("by_status")) == {"draft": 1, "approved": 2, "shipped": 2}
    assert _by(rows("by_grade")) == {"A": 2, "B": 1, "C": 2}
    assert _by(rows("months")) == {"2026-03-01": 3, "2026-04-01": 1, "2026-07-01": 1}
    assert _by(rows("months"), "amount") == {"2026-03-01": 600, "2026-04-01": 400, "2026-07-01": 500}
    assert _by(rows("weeks")) == {"2026-03-02": 2, "2026-03-09": 1, "2026-04-13": 1, "2026-06-29": 1}
    assert _by(rows("days")) == {d: 1 for _g, d, *_ in ORDERS}
    assert _by(rows("quarters"), "amount") == {"2026-01-01": 600, "2026-04-01": 400, "2026-07-01": 500}
    assert _by(rows("years")) == {"2026-01-01": 5}
    # 23:30 and 00:30 in Shanghai are the same UTC day (15:30 and 16:30 on 31 March): local days decide
    assert _by(rows("ship_days")) == {"2026-03-31": 1, "2026-04-01": 1}
    assert _by(rows("ship_months")) == {"2026-03-01": 1, "2026-04-01": 1}
    assert _by(rows("ship_quarters")) == {"2026-01-01": 1, "2026-04-01": 1}
    [totals] = rows("totals")
    assert totals["n"] == 5 and totals["amount"] == 1500 and totals["avg"] == 300
    assert (totals["min"], totals["max"], totals["customers"], totals["big"]) == (100, 500, 3, 3)
    assert totals["median_qty"] == pytest.approx(30) and totals["p90_qty"] == pytest.approx(46)
    assert totals["mean"] == pytest.approx(300) and totals["none"] is None
    top = rows("top2")
    assert [r["amount"] for r in top] == [900, 300] and top[0]["g0"] == om.customers["C"]


def test_stage_durations_in_hours_and_working_hours(om: OM) -> None:
    """Submitted Friday 17:00, scheduled Monday 10:00 (Shanghai): 65 hours; 2 working hours (9:00–18:00)."""
    a, b = om.order(), om.order()
    snapshot = om.runtime.snapshot()
    fri = datetime(2026, 11, 20, 17, 0, tzinfo=CST)  # a Friday; the calendar has no holiday that week
    with om.runtime.db.write() as conn:
        replace_history(conn, snapshot, "order", a["id"], [
            ("draft", fri - timedelta(hours=1), None, None), ("submitted", fri, "submit", None),
            ("approved", fri + timedelta(minutes=30), "approve", None),
            ("scheduled", fri + timedelta(hours=65), "schedule", None)])
        replace_history(conn, snapshot, "order", b["id"], [
            ("draft", fri, None, None), ("submitted", fri + timedelta(hours=1), "submit", None),
            ("scheduled", fri + timedelta(hours=4), "schedule", None)])
    measure = {"op": "duration", "from": "submitted", "to": "scheduled"}
    publish_board(om.runtime, board("stages", [widget("d", {"entity": "order", "measures": [
        {"key": "hours", **measure}, {"key": "work", **measure, "working": True},
        {"key": "longest", **measure, "aggregate": "max"},
        {"key": "in_draft", "op": "duration", "states": ["draft"], "unit": "minutes", "aggregate": "sum"},
        {"key": "revised", "op": "count", "when": {"took": ["revise", "reject"]}}]})]))
    [row] = rows_of(om.runtime, "stages", "d")
    # a: 65 h (working: Fri 17–18 and Mon 9–10 = 2 h); b: 3 h (Fri 18:00 → Sat 21:00: 0 working hours)
    assert row["hours"] == pytest.approx((65 + 3) / 2)
    assert row["work"] == pytest.approx((2 + 0) / 2)
    assert row["longest"] == pytest.approx(65)
    assert row["in_draft"] == pytest.approx(60 + 60)
    assert row["revised"] == 0
    assert datetime.now(UTC) > fri


def test_every_chart_type_builds_its_figure(om: OM, fixed: list[dict[str, Any]]) -> None:
    from sunmao.dashboards.service import DashboardService
    from sunmao.dashboards.web import payload

    count = {"key": "n", "op": "count", "label": {"zh": "订单数", "en": "Orders"}}
    by_status = {"entity": "order", "group_by": [{"field": "status"}], "measures": [count]}
    widgets = [
        widget("area", {"entity": "order", "group_by": [{"field": "order_date", "bucket": "month"}],
                        "measures": [count]}, "area"),
        widget("funnel", by_status, "funnel"),
        widget("heat", {"entity": "order", "group_by": [{"field": "order_date", "bucket": "month"},
                                                        {"field": "customer.grade"}], "measures": [count]}, "heatmap"),
        widget("donut", by_status, "pie", options={"hole": 0.5}),
        widget("stack", {"entity": "order", "group_by": [{"field": "status"}, {"field": "customer.grade"}],
                         "measures": [count]}, "bar", options={"stacked": True}),
        widget("gauge", {"entity": "order", "measures": [count]}, "gauge", options={"target": 4, "max": 10}),
        widget("gantt", {"entity": "order", "columns": ["name", "order_date", "due_date", "status"]}, "gantt",
               options={"start": "order_date", "end": "due_date", "color": "status", "label": "name"}),
        widget("card", {"entity": "order", "measures": [count]}, "number", options={"target": 6}),
        widget("map", {"entity": "order", "group_by": [{"field": "customer.province"}], "measures": [count]}, "map"),
    ]
    publish_board(om.runtime, board("types", widgets))
    service = DashboardService(om.runtime.records())
    found = service.board("types", SYSTEM)
    state = service.state(found, {})
    for w in found.widgets:
        body = payload(service, found, w, SYSTEM, state, "zh")
        assert "denied" not in body, body
        if w.type == "number":
            assert body["number"]["value"] == 5 and body["number"]["target"]["met"] is False
            assert body["drill"] == "/app/order?"
            continue
        traces = body["figure"]["data"]
        assert traces, w.id
    heat = payload(service, found, found.widget("heat"), SYSTEM, state, "zh")["figure"]["data"][0]
    assert heat["type"] == "heatmap" and sum(v or 0 for row in heat["z"] for v in row) == 5
    gantt = payload(service, found, found.widget("gantt"), SYSTEM, state, "zh")["figure"]["data"]
    assert {t["orientation"] for t in gantt} == {"h"} and sum(len(t["y"]) for t in gantt) == 5
    # 30 days from order date to due date, drawn as a bar of 31 whole days (the due date included)
    assert gantt[0]["x"][0] == 31 * 86400000


def test_cached_results_follow_writes_and_roles(om: OM, fixed: list[dict[str, Any]]) -> None:
    from sunmao.dashboards.service import CACHE, DashboardService

    publish_board(om.runtime, board("cache", [widget("n", {"entity": "order", "measures": [
        {"key": "n", "op": "count"}]}, "number")]))
    CACHE.clear()
    service = DashboardService(om.runtime.records())
    found = service.board("cache", SYSTEM)
    state = service.state(found, {})
    first = service.data(found, found.widget("n"), SYSTEM, state)
    again = service.data(found, found.widget("n"), SYSTEM, state)
    assert (first.cached, again.cached, again.rows) == (False, True, first.rows)
    om.order()  # a write to orders moves their data version
    after = service.data(found, found.widget("n"), SYSTEM, state)
    assert not after.cached and after.rows[0]["n"] == first.rows[0]["n"] + 1
    # another reader's scope is another key: sales1 sees the unassigned orders and their own, not sales2's
    om.order(sales_rep="sales2", by="sales2")
    mine = service.data(found, found.widget("n"), om.actors["sales1"], state)
    assert not mine.cached and mine.rows[0]["n"] == after.rows[0]["n"]
    assert service.data(found, found.widget("n"), SYSTEM, state).rows[0]["n"] == after.rows[0]["n"] + 1
