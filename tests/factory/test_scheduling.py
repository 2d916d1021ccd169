"""Capacity scheduling (the ``workflow.schedule`` job over the app's ``schedules/dispatch_plan.json``):
two lines of 8 hours a day, five operations, New Year's Day and a weekend in the way, then an
urgent order that goes ahead of everything not yet started while the started operation stays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sunmao.jobs.registry import JobContext
from sunmao.records import SYSTEM
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from sunmao.workflow.jobs import schedule
from tests.factory.helpers import refused_install

START = "2026-12-30"  # a Wednesday; 2027-01-01 (Friday) is a holiday in calendars/cn_workdays.json


@pytest.fixture
def app(runtime: Runtime) -> Runtime:
    runtime.install_app(app_path("order_management"))
    return runtime


def op(name: str, setup: str, run: str, qty: str, seq: int) -> dict[str, Any]:
    return {"seq": seq, "operation": name, "setup_hours": setup, "run_hours": run, "qty": qty}


def floor(app: Runtime) -> dict[str, Any]:
    r = app.records()
    lines = {code: r.create("production_line", {"code": code, "line_name": f"{code} 线"})["id"]
             for code in ("L1", "L2")}
    customer = r.create("customer", {"company_name": "宁波精工五金有限公司"})
    order = r.create("order", {"customer": customer["id"], "due_date": "2027-02-01", "currency": "CNY",
                               "lines": [{"product": r.create("product", {"sku": "CAB", "product_name": "柜",
                                                                          "unit": "pc", "price": "1"})["id"],
                                          "qty": "1", "unit_price": "1"}]})

    def dispatch(line: str, priority: int, *ops: dict[str, Any]) -> int:
        return r.create("dispatch_order", {"order": order["id"], "production_line": lines[line],
                                           "origin": f"t{priority}", "priority": priority, "operations": list(ops)},
                        actor=SYSTEM, skip_read_only=True)["id"]

    return {"dispatch": dispatch, "one": dispatch("L1", 50, op("下料", "2", "0.5", "12", 10),  # 2 + 6 = 8 h
                                                  op("焊接", "1", "0.25", "12", 20)),             # 1 + 3 = 4 h
            "two": dispatch("L1", 40, op("下料", "2", "0.1", "60", 10)),                           # 8 h
            "three": dispatch("L2", 30, op("喷涂", "1", "0.5", "10", 10),                          # 6 h
                              op("包装", "0", "0.2", "10", 20))}                                   # 2 h


def planned(app: Runtime, dispatch_id: int) -> list[tuple[str, str | None, str | None]]:
    rows = app.records().get("dispatch_order", dispatch_id)["operations"]
    return [(row["operation"], row["planned_start"], row["planned_finish"]) for row in rows]


def run(app: Runtime) -> dict[str, int]:
    return schedule(JobContext(runtime=app, run_id=None, attempt=1), "dispatch_plan", START)


def test_operations_fill_each_lines_days_by_priority_and_skip_the_holiday(app: Runtime) -> None:
    f = floor(app)
    assert run(app) == {"orders": 3, "operations": 5, "changed": 5, "unplaced": 0}
    assert planned(app, f["one"]) == [("下料", "2026-12-30", "2026-12-30"),   # Wednesday's 8 hours
                                      ("焊接", "2026-12-31", "2026-12-31")]   # Thursday 4 h
    assert planned(app, f["two"]) == [("下料", "2026-12-31", "2027-01-04")]   # Thu 4 h, holiday, weekend, Mon 4 h
    assert planned(app, f["three"]) == [("喷涂", "2026-12-30", "2026-12-30"),  # the other line: 6 h + 2 h
                                        ("包装", "2026-12-30", "2026-12-30")]
    assert run(app)["changed"] == 0  # the same plan again: nothing written


def test_an_urgent_order_moves_ahead_of_unstarted_operations_only(app: Runtime) -> None:
    f = floor(app)
    run(app)
    r = app.records()
    one = r.get("dispatch_order", f["one"])
    started = [{**one["operations"][0], "actual_start": "2026-12-30T01:00:00Z", "operator": "张师傅"},
               one["operations"][1]]
    r.update("dispatch_order", f["one"], {"operations": started})
    urgent = f["dispatch"]("L1", 150, op("下料", "1", "0.5", "6", 10))  # 4 h, ahead of everyone
    assert run(app) == {"orders": 4, "operations": 5, "changed": 2, "unplaced": 0}
    assert planned(app, f["one"])[0] == ("下料", "2026-12-30", "2026-12-30")   # started: stays on Wednesday
    assert planned(app, urgent) == [("下料", "2026-12-31", "2026-12-31")]      # first free hours: Thursday
    assert planned(app, f["one"])[1] == ("焊接", "2026-12-31", "2026-12-31")   # Thursday's other 4 hours
    assert planned(app, f["two"]) == [("下料", "2027-01-04", "2027-01-04")]    # pushed past the holiday
    assert planned(app, f["three"])[0] == ("喷涂", "2026-12-30", "2026-12-30")  # the other line is untouched


def test_a_finished_order_is_left_alone_and_a_line_without_hours_places_nothing(app: Runtime) -> None:
    f = floor(app)
    r = app.records()
    two = r.get("dispatch_order", f["two"])
    r.update("dispatch_order", f["two"], {"operations": [
        {**two["operations"][0], "actual_start": "2026-12-29T01:00:00Z", "actual_finish": "2026-12-29T09:00:00Z",
         "good_qty": "60"}]})
    line2 = r.get("dispatch_order", f["three"])["production_line"]
    r.update("production_line", line2, {"hours_per_day": "0"})
    assert run(app) == {"orders": 2, "operations": 2, "changed": 2, "unplaced": 1}
    assert planned(app, f["two"]) == [("下料", None, None)]
    assert planned(app, f["three"])[0] == ("喷涂", None, None)


def test_a_schedule_naming_a_missing_field_refuses_the_publish(runtime: Runtime, tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["operation"]["run"] = "minutes_each"
        doc["orders"]["work_centre"] = "order"

    text = refused_install(runtime, tmp_path, "schedules/dispatch_plan.json", change)
    assert "$.operation.run: 'minutes_each' is not a field of dispatch_operation" in text
    assert "$.orders.work_centre: dispatch_order.order must link to production_line" in text


def test_the_operations_gantt_shows_each_line_its_bars_the_actual_work_and_the_late_ones(app: Runtime) -> None:
    import re
    from datetime import timedelta

    from sunmao import accounts, clock
    from sunmao.web import create_wsgi
    from tests.screens.conftest import Browser

    f = floor(app)
    run(app)
    r = app.records()
    one = r.get("dispatch_order", f["one"])
    r.update("dispatch_order", f["one"], {"operations": [
        {**one["operations"][0], "actual_start": "2026-12-30T01:00:00Z", "actual_finish": "2026-12-30T08:00:00Z"},
        one["operations"][1]]})
    week_ago = (clock.today() - timedelta(days=7)).isoformat()
    overdue = f["dispatch"]("L2", 10, {**op("返修", "1", "0", "1", 10), "planned_start": week_ago,
                                       "planned_finish": week_ago})
    accounts.create_user(app.db, "plan.wu", "correct horse battery", ["production"])
    browser = Browser(create_wsgi(app)).login("plan.wu", "correct horse battery")

    def page(start: str) -> str:
        got = browser.get(f"/app/views/operations_gantt?from={start}")
        assert got.status_code == 200
        return str(got.text)

    html = page("2026-12-28")
    groups = re.findall(r'class="gantt-group"[^>]*>(?:<span[^>]*>)?([^<]+)<', html)
    assert groups == ["L1 线", "L2 线"]
    l1, l2 = html.split('class="gantt-group"')[1:]
    names = {d: r.get("dispatch_order", d)["name"] for d in (f["one"], f["two"], f["three"], overdue)}
    assert l1.count('class="gantt-bar') == 3 and l2.count('class="gantt-bar') == 2  # the overdue one is weeks back
    assert f"{names[f['one']]} · 下料" in l1 and f"{names[f['two']]} · 下料" in l1 and names[f["three"]] in l2
    assert l1.count('class="gantt-actual"') == 1  # the cut that was done on Wednesday
    assert "gantt-late" not in html
    earlier = page((clock.today() - timedelta(days=10)).isoformat())
    late = re.findall(r'class="gantt-bar gantt-late"[^>]*title="([^"]+)"', earlier)
    assert len(late) == 1 and late[0].startswith(f"{names[overdue]} · 返修")
