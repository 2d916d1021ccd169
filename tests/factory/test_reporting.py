"""报工: an operator finds a dispatch order by its code, starts and finishes its operations with good
and scrap quantities (the ``report_work`` scan view); the order's production per cent follows once
the last operation is finished. The same over the REST API; bad input is a 4xx naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sunmao import accounts
from sunmao.records import SYSTEM, Actor
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.conftest import make_api
from tests.factory.test_dispatch import app, approve, dispatch_orders, new_order, plant  # noqa: F401
from tests.screens.conftest import Browser

PASSWORD = "correct horse battery"  # noqa: S105


def floor(app: Runtime) -> dict[str, Any]:  # noqa: F811
    world = plant(app)
    order = new_order(app, world, "10")
    approve(app, order["id"])
    line = {d["production_line"]: d for d in dispatch_orders(app, order["id"])}
    a, b = line[world["lines"]["A"]["id"]], line[world["lines"]["B"]["id"]]
    for d in (a, b):
        app.records().update("dispatch_order", d["id"], {"operations": [
            {"seq": 10, "operation": "装配", "qty": "10"}, {"seq": 20, "operation": "包装", "qty": "10"}]},
            actor=SYSTEM)
    accounts.create_user(app.db, "li.lei", PASSWORD, ["production"])
    accounts.create_user(app.db, "wang.fang", PASSWORD, ["sales"])
    return {"order": order, "a": app.records().get("dispatch_order", a["id"]), "b": b}


def pct(runtime: Runtime, order_id: int) -> Decimal:
    return Decimal(runtime.records().get("order", order_id)["production_pct"])


def test_an_operator_reports_start_and_finish_and_the_order_follows(app: Runtime) -> None:  # noqa: F811
    f = floor(app)
    a = f["a"]
    phone = Browser(create_wsgi(app)).login("li.lei", PASSWORD)
    page = phone.get("/app/views/report_work")
    assert page.status_code == 200 and "data-report=\"report_work\"" in page.text
    found = phone.post_json("/app/report/report_work/find", {"code": a["name"]})
    assert found.status_code == 200, found.json
    body = found.json
    assert body["record"]["name"] == a["name"]
    assert [(r["title"], r["state"]) for r in body["rows"]] == [("装配", "waiting"), ("包装", "waiting")]
    first, last = (r["id"] for r in body["rows"])

    started = phone.post_json(f"/app/report/report_work/{a['id']}/{first}",
                              {"event": "start", "version": body["record"]["version"]})
    assert started.status_code == 200, started.json
    assert started.json["rows"][0]["state"] == "running" and started.json["rows"][0]["by"] == "li.lei"
    assert started.json["message"] in ("装配 已开工", "装配 started")  # in the reader's language
    version = started.json["record"]["version"]
    done = phone.post_json(f"/app/report/report_work/{a['id']}/{first}", {"event": "finish", "good": "10",
                                                                          "version": version})
    assert done.status_code == 200 and done.json["rows"][0]["state"] == "done"
    assert pct(app, f["order"]["id"]) == 0  # not the last operation: nothing is made yet
    last_done = phone.post_json(f"/app/report/report_work/{a['id']}/{last}", {  # a finish starts it too
        "event": "finish", "good": "9", "scrap": "1", "version": done.json["record"]["version"]})
    assert last_done.status_code == 200, last_done.json
    row = app.records().get("dispatch_order", a["id"])["operations"][1]
    assert row["actual_start"] and row["actual_finish"] and row["good_qty"] == "9.000" and row["scrap_qty"] == "1.000"
    got = app.records().get("dispatch_order", a["id"])
    assert (got["good_qty"], got["scrap_qty"]) == ("9.000", "1.000")
    assert pct(app, f["order"]["id"]) == Decimal("0.1433")  # 9 of 62.8


def test_bad_reports_are_refused_naming_the_field_and_change_nothing(app: Runtime) -> None:  # noqa: F811
    f = floor(app)
    a = f["a"]
    phone = Browser(create_wsgi(app)).login("li.lei", PASSWORD)
    row = a["operations"][0]["id"]
    url = f"/app/report/report_work/{a['id']}/{row}"
    for payload, field in (({"event": "finish", "good": "-1", "version": a["version"]}, "good"),
                           ({"event": "finish", "scrap": "很多", "version": a["version"]}, "scrap"),
                           ({"event": "pause", "version": a["version"]}, "event"),
                           ({"event": "start"}, "version")):
        answer = phone.post_json(url, payload)
        assert answer.status_code == 422 and field in answer.json["errors"], (payload, answer.json)
    assert phone.post_json(url, {"event": "start", "version": a["version"] - 1}).status_code == 412  # stale
    assert phone.post_json("/app/report/report_work/find", {"code": "DO-000000-00000"}).status_code == 404
    assert phone.post_json(f"/app/report/report_work/{a['id']}/999999", {"event": "start",
                                                                         "version": a["version"]}).status_code == 404
    assert app.records().get("dispatch_order", a["id"])["version"] == a["version"]  # nothing was written
    ok = phone.post_json(url, {"event": "finish", "good": "10", "version": a["version"]})
    again = phone.post_json(url, {"event": "finish", "good": "10", "version": ok.json["record"]["version"]})
    assert again.status_code == 409 and ("已经完工" in again.json["detail"] or "already" in again.json["detail"])
    sales = Browser(create_wsgi(app)).login("wang.fang", PASSWORD)  # may read, may not report
    assert sales.post_json(f"/app/report/report_work/{a['id']}/{a['operations'][1]['id']}", {
        "event": "start", "version": ok.json["record"]["version"]}).status_code == 403


def test_the_same_report_over_the_api(app: Runtime) -> None:  # noqa: F811
    f = floor(app)
    b = app.records().get("dispatch_order", f["b"]["id"])
    api = make_api(app, "line.terminal", ["production"])
    answer = api.patch(f"/api/v1/dispatch_order/{b['id']}", json={"operations": [
        {**b["operations"][0], "actual_start": "2026-12-30T01:00:00Z", "actual_finish": "2026-12-30T03:00:00Z",
         "good_qty": "10"},
        {**b["operations"][1], "actual_start": "2026-12-30T03:00:00Z", "actual_finish": "2026-12-30T04:00:00Z",
         "good_qty": "10", "operator": "小刘"}]})
    assert answer.status_code == 200, answer.json
    assert pct(app, f["order"]["id"]) == Decimal("0.1592")  # 10 of 62.8
    bad = api.patch(f"/api/v1/dispatch_order/{b['id']}", json={"operations": [
        {**b["operations"][0], "good_qty": "-3"}]})
    assert bad.status_code == 422 and any("good_qty" in k for k in bad.json["errors"]), bad.json


def test_finishing_the_last_operation_of_the_last_dispatch_order_sends_the_order_to_qc(
        app: Runtime) -> None:  # noqa: F811
    """The inspection is created when the last operation finishes — of the order's last open
    dispatch order — not before, and once."""
    from sunmao.workflow import WorkflowService
    from tests.factory.test_dispatch import _inspections

    f = floor(app)
    order_id = f["order"]["id"]
    c = next(d for d in dispatch_orders(app, order_id) if d["id"] not in (f["a"]["id"], f["b"]["id"]))
    app.records().update("dispatch_order", c["id"], {"operations": [{"seq": 10, "operation": "冲压"}]}, actor=SYSTEM)
    production = Actor(9, "li.lei", frozenset({"production"}))
    flows = WorkflowService(app.db, app.snapshot())
    for action in ("schedule", "start_production"):
        flows.transition("order", order_id, action, production)
    phone = Browser(create_wsgi(app)).login("li.lei", PASSWORD)

    def finish_all(dispatch_id: int) -> None:
        for row in app.records().get("dispatch_order", dispatch_id)["operations"]:
            version = app.records().get("dispatch_order", dispatch_id)["version"]
            answer = phone.post_json(f"/app/report/report_work/{dispatch_id}/{row['id']}",
                                     {"event": "finish", "good": "10", "version": version})
            assert answer.status_code == 200, answer.json

    finish_all(f["a"]["id"])
    finish_all(f["b"]["id"])
    got = app.records().get("order", order_id)
    assert (got["status"], got["production_open"]) == ("in_production", 1) and _inspections(app, order_id) == []
    finish_all(c["id"])
    got = app.records().get("order", order_id)
    assert (got["status"], got["qc_status"], got["production_open"]) == ("qc", "pending", 0)
    (inspection,) = _inspections(app, order_id)
    assert inspection["result"] == "pending"


def test_the_reporting_page_takes_no_scan_action(app: Runtime) -> None:  # noqa: F811
    f = floor(app)
    phone = Browser(create_wsgi(app)).login("li.lei", PASSWORD)
    answer = phone.post_json("/app/scan", {"view": "report_work", "code": f["a"]["name"]})
    assert answer.status_code == 404 and "report_work" in answer.json["detail"]
    assert app.records().get("dispatch_order", f["a"]["id"])["version"] == f["a"]["version"]
