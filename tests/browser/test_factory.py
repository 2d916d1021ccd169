"""The factory floor in a browser: the operations Gantt per production line, and 报工 on a phone
(390 px): scan a dispatch order, start an operation, finish it with good and scrap quantities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sunmao import clock
from sunmao.jobs.registry import JobContext
from sunmao.records import SYSTEM
from sunmao.workflow.jobs import schedule

PHONE = {"width": 390, "height": 844}


def _floor(server: dict[str, Any]) -> dict[str, Any]:
    runtime = server["runtime"]
    r = runtime.records()
    existing = {d["name"]: d for d in r.list("dispatch_order")["items"]}
    if existing:  # the session's server is shared: build the floor once
        return server.setdefault("floor", {})
    lines = [r.create("production_line", {"code": code, "line_name": name, "leader": leader})["id"]
             for code, name, leader in (("WELD", "焊接线", "陈线长"), ("ASSY", "装配线", "黄线长"))]
    orders = server["data"]["orders"]
    made = []
    for i, (line, ops) in enumerate(((lines[0], [("下料", "2", "0.05"), ("焊接", "1", "0.1")]),
                                     (lines[1], [("装配", "1", "0.08"), ("包装", "0", "0.02")]),
                                     (lines[0], [("打磨", "1", "0.05")]))):
        made.append(r.create("dispatch_order", {
            "order": orders[i]["id"], "production_line": line, "origin": "bom", "priority": 50 - i,
            "lines": [{"product": orders[i]["lines"][0]["product"], "qty": "60"}],
            "operations": [{"seq": 10 * (j + 1), "operation": name, "qty": "60", "setup_hours": setup,
                            "run_hours": run} for j, (name, setup, run) in enumerate(ops)]},
            actor=SYSTEM, skip_read_only=True))
    start = (clock.today() - timedelta(days=2)).isoformat()
    schedule(JobContext(runtime=runtime, run_id=None, attempt=1), "dispatch_plan", start)
    server["floor"] = {"dispatch": made, "order": orders[1]}
    return server["floor"]


def test_the_operations_gantt_groups_the_operations_by_line(tab: Any, server: dict[str, Any]) -> None:
    floor = _floor(server)
    desk = tab()
    desk.login("production")
    desk.goto("/app/views/operations_gantt")
    desk.page.wait_for_selector(".gantt-group")
    assert desk.page.locator(".gantt-group").all_inner_texts() == ["焊接线", "装配线"]
    assert desk.page.locator(".gantt-bar").count() == 5
    desk.shot("operations-gantt-desktop")
    desk.goto(f"/app/dispatch_order/{floor['dispatch'][0]['id']}")
    desk.page.wait_for_load_state()
    desk.shot("dispatch-order-desktop")


def test_an_operator_reports_work_on_a_phone(tab: Any, server: dict[str, Any]) -> None:
    floor = _floor(server)
    assembly = floor["dispatch"][1]
    phone = tab(**PHONE)
    phone.login("production")
    phone.goto("/app/views/report_work")
    phone.page.fill("#report-code", assembly["name"])
    phone.page.keyboard.press("Enter")
    phone.page.wait_for_selector(".report-row")
    rows = phone.page.locator(".report-row")
    assert rows.count() == 2 and "装配" in rows.nth(0).inner_text() and "未开工" in rows.nth(0).inner_text()
    rows.nth(0).locator("[data-event=start]").click()
    phone.page.wait_for_selector(".report-row.running")
    assert "装配 已开工" in phone.page.inner_text("[data-report-message]")
    running = phone.page.locator(".report-row.running")
    running.locator("input[name=good]").fill("58")
    running.locator("input[name=scrap]").fill("2")
    running.locator("[data-event=finish]").click()
    phone.page.wait_for_selector(".report-row.done")
    last = phone.page.locator(".report-row").nth(1)
    last.locator("[data-event=start]").click()
    phone.page.wait_for_selector(".report-row.running")
    phone.page.locator(".report-row.running input[name=good]").fill("58")
    phone.page.locator(".report-row.running [data-event=finish]").click()
    phone.page.locator(".report-row.done").nth(1).wait_for()
    assert "合格 58" in phone.page.locator(".report-row").nth(1).inner_text()
    phone.shot("report-phone")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the reporting page scrolls sideways on a phone ({width}px)"
    records = server["runtime"].records()
    done = records.get("dispatch_order", assembly["id"])
    assert [row["good_qty"] for row in done["operations"]] == ["58.000", "58.000"]
    assert done["good_qty"] == "58.000" and done["operations"][0]["scrap_qty"] == "2.000"
    assert float(records.get("order", floor["order"]["id"])["production_pct"]) > 0  # the order follows
