"""Stage history on every path: the API's action endpoint, an inbound webhook, the warehouse scan —
and the duration measure reads what they wrote."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sunmao.records.stages import replace_history
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.dashboards.conftest import board, publish_board, rows_of, stays, widget
from tests.inbound.conftest import Shop, shop  # noqa: F401 - the fixture is used by name
from tests.inbound.payloads import wecom_submission
from tests.screens import demo
from tests.screens.conftest import Browser
from tests.workflow.conftest import OM


def test_api_actions_write_stays(om: OM) -> None:
    from tests.acceptance.conftest import api

    order = om.order()
    client = api(om, "sales1")
    assert client.post(f"/api/v1/order/{order['id']}/actions/submit", json={}).status_code == 200
    assert [r["state"] for r in stays(om.runtime, order["id"])] == ["draft", "submitted", "approved"]
    assert stays(om.runtime, order["id"])[1]["entered_by"] == om.actors["sales1"].id


def test_a_webhook_order_starts_its_history(shop: Shop) -> None:  # noqa: F811
    sent = shop.wecom(wecom_submission())
    assert sent.status_code == 200, sent.json
    rows = stays(shop.runtime, sent.json["order"]["id"])
    assert rows and rows[0]["action"] is None and rows[-1]["left_at"] is None


@pytest.fixture
def warehouse(runtime: Runtime) -> Iterator[tuple[Runtime, dict[str, Any], Browser]]:
    demo.install(runtime)
    demo.users(runtime)
    data = demo.seed(runtime, orders=2)
    yield runtime, data, Browser(create_wsgi(runtime)).login("warehouse")


def test_a_scan_ships_and_the_duration_measure_reads_it(warehouse: tuple[Runtime, dict[str, Any], Browser]) -> None:
    runtime, data, browser = warehouse
    order = data["orders"][0]
    table = runtime.snapshot().tables["order"]
    with runtime.db.write() as conn:  # ready to ship, with a history that says since when
        conn.execute(table.update().where(table.c.id == order["id"]).values(
            status="ready_to_ship", qc_status="passed", credit_released=True))
        from datetime import UTC, datetime, timedelta

        replace_history(conn, runtime.snapshot(), "order", order["id"], [
            ("draft", datetime.now(UTC) - timedelta(hours=30), None, None),
            ("ready_to_ship", datetime.now(UTC) - timedelta(hours=6), "qc_pass", None)])
    shipped = browser.post_json("/app/scan", {"code": order["name"]})
    assert shipped.status_code == 200, shipped.json
    rows = stays(runtime, order["id"])
    assert [r["state"] for r in rows] == ["draft", "ready_to_ship", "shipped"]
    assert rows[-1]["action"] == "ship" and rows[1]["left_at"] is not None
    publish_board(runtime, board("ship", [widget("d", {"entity": "order", "measures": [
        {"key": "hours", "op": "duration", "from": "ready_to_ship", "to": "shipped"}]})]))
    [row] = rows_of(runtime, "ship", "d")
    assert row["hours"] == pytest.approx(6, abs=0.05)
