"""The weekly integrity report lists exactly the planted unclosed orders, as a board table, an Excel
file and a WeCom robot message (a real HTTP receiver on 127.0.0.1)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import load_workbook

from sunmao.clock import today
from sunmao.dashboards.report import run_report
from sunmao.jobs.secrets import secret_store
from sunmao.records import SYSTEM
from sunmao.records.stages import replace_history
from tests.outbound.helpers import drive, statuses
from tests.outbound.receiver import Receiver
from tests.workflow.conftest import OM


def _plant(om: OM, state: str, days_ago: float, rep: str, **extra: Any) -> dict[str, Any]:
    """An order imported in ``state``, entered ``days_ago`` days ago."""
    entered = datetime.now(UTC) - timedelta(days=days_ago)
    [order] = om.runtime.records().create_many("order", [{
        "customer": om.customers["B"], "due_date": (today() + timedelta(days=20)).isoformat(), "status": state,
        "sales_rep": rep, "lines": [{"product": om.products["plain"], "qty": "1", "unit_price": "1.00"}],
        **extra}], actor=SYSTEM, history=True)
    with om.runtime.db.write() as conn:
        replace_history(conn, om.runtime.snapshot(), "order", order["id"],
                        [("draft", entered - timedelta(days=1), None, None), (state, entered, "x", None)])
    return order


def test_integrity_report_lists_exactly_the_planted_orders(om: OM, robots: Receiver) -> None:
    shipped = {"shipped_at": (datetime.now(UTC) - timedelta(days=40)).isoformat(), "waybill_no": "SF1",
               "qc_status": "passed", "credit_released": True}
    late = [
        _plant(om, "ready_to_ship", 5, "wang", qc_status="passed"),  # QC passed, not shipped after 3 days
        _plant(om, "shipped", 40, "li", payment_terms="net_30", **shipped),  # unpaid after net 30
        _plant(om, "approved", 10, "zhao"),  # not scheduled within 3 days
    ]
    _plant(om, "ready_to_ship", 1, "wang", qc_status="passed")  # not late yet
    _plant(om, "shipped", 40, "li", payment_terms="net_60", **shipped)  # net 60: not late yet
    _plant(om, "approved", 1, "zhao")
    om.order()  # a fresh draft: no check looks at drafts
    secret_store(om.runtime.db).set("wecom_ops_robot", "OPS-KEY")

    payload = run_report(om.runtime, "integrity", "unclosed", link_base="http://erp.example:5000")
    assert payload["count"] == 3
    assert {t["name"] for t in payload["top"]} == {o["name"] for o in late}
    by_name = {t["name"]: t for t in payload["top"]}
    assert by_name[late[1]["name"]]["owner"] == "li" and by_name[late[1]["name"]]["days_late"] >= 9.9
    assert by_name[late[0]["name"]]["problem"].startswith("质检合格但未发货")

    drive(om.runtime, lambda: "succeeded" in statuses(om.runtime))
    [message] = robots.snapshot()
    assert message.query == {"key": "OPS-KEY"}
    content = message.json()["markdown"]["content"]
    assert "3 张订单未闭环" in content and "http://erp.example:5000/dashboards/integrity" in content
    assert all(o["name"] in content for o in late)

    with om.runtime.db.read() as conn:
        from sunmao.storage import system as sm

        stored = conn.execute(sm.file.select().where(sm.file.c.id == payload["file_id"])).mappings().one()
    sheet = load_workbook(io.BytesIO((om.runtime.db.data_dir("files") / stored["id"]).read_bytes())).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(o["name"] for o in late)


def test_the_report_is_scheduled_monday_8_in_shanghai(om: OM) -> None:
    [job] = [j for j in om.runtime.snapshot().features["jobs"] if j.key == "weekly_integrity_report"]
    tick = job.next_tick(datetime(2026, 11, 25, tzinfo=UTC))  # a Wednesday
    assert tick == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 08:00 +08:00
