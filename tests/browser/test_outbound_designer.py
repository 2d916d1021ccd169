"""The operations manager in the webhook designer, and a staff user who sees the effect: (e) a WeCom
robot message on "order approved" — the message previewed live from a real order, a test sent to a
real receiver on 127.0.0.1 with its answer and the test delivery in the log, published — then a
finance user approves an order and the real message reaches the receiver. A real server, Debian's
Chromium, no mocks."""

# ruff: noqa: S105 - test secrets

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from sunmao.designer.drafts import Drafts
from sunmao.records import SYSTEM
from tests.browser.test_designer import OPS, check_and_publish, expect, inbox_of, new_draft, saved, submit_as_sales
from tests.browser.test_designer import plant as plant  # noqa: PLC0414 - a plant of this module's own
from tests.browser.test_designer import tab as tab  # noqa: PLC0414
from tests.outbound.helpers import drive
from tests.outbound.receiver import Receiver

pytestmark = pytest.mark.browser

KEY = "wecom_order_approved"


@pytest.fixture
def robot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    """A WeCom robot of our own on 127.0.0.1 (the server reads SUNMAO_WECOM_BASE_URL per delivery)."""
    receiver = Receiver()
    monkeypatch.setenv("SUNMAO_WECOM_BASE_URL", receiver.url + "/wecom")
    yield receiver
    receiver.close()


def _order(plant: dict[str, Any], amount: int) -> dict[str, Any]:
    runtime = plant["runtime"]
    customer = runtime.records().create("customer", {"company_name": "宁波丙级五金有限公司", "phone": "13800138005",
                                                     "grade_override": "C"}, actor=SYSTEM)
    product = plant["data"]["products"][0]
    return runtime.records().create("order", {
        "customer": customer["id"], "due_date": (date.today() + timedelta(days=20)).isoformat(), "sales_rep": "sales",
        "lines": [{"product": product["id"], "qty": str(amount // 100), "unit_price": "100.00", "unit": "pc"}]},
        actor=SYSTEM)


def test_e_a_wecom_message_on_order_approved_tested_then_delivered(tab: Any, plant: dict[str, Any],
                                                                   robot: Receiver) -> None:
    order = _order(plant, 60000)
    started = time.perf_counter()
    ops = tab()
    ops.login(OPS)
    draft = new_draft(ops, "审核通过通知运营群")
    page = ops.page
    page.click("[data-dz-new-webhook]")
    page.fill("[data-wz-key]", KEY)
    page.fill('[data-wz-label="zh"]', "订单审核通过通知")
    page.fill('[data-wz-label="en"]', "Order approved")
    expect(page.locator("[data-wz-type]")).to_have_value("wecom")
    page.click("[data-wz-create]")
    page.wait_for_url(f"**/doc/order_management/webhooks/{KEY}.json")

    page.select_option("[data-wz-entity]", "order")
    page.select_option("[data-wz-trigger]", "transition.approve")
    expect(page.locator("[data-wz-events]")).to_have_value("order.transition.approve")
    content = page.locator("[data-wz-content]")
    content.fill("### 订单已审核通过 ")
    page.click('[data-wz-insert="record.name"]')
    content.press("End")
    content.type("\n> 金额：")
    page.click('[data-wz-insert="record.amount"]')
    page.fill("[data-wz-record]", order["name"])
    rendered = page.locator("[data-wz-rendered]")
    expect(rendered).to_contain_text(f"### 订单已审核通过 {order['name']}")
    expect(rendered).to_contain_text("> 金额：60000")
    expect(page.locator("[data-wz-message]")).to_have_text(f"### 订单已审核通过 {order['name']}\n> 金额：60000.00")

    expect(page.locator('[data-wz-secret-name="secret"]')).to_have_value(f"{KEY}_robot")
    page.fill('[data-wz-secret-value="secret"]', "OPS-ROBOT-KEY-7")
    page.click('[data-wz-secret-save="secret"]')
    expect(page.locator('[data-wz-secret-state="secret"]')).to_have_attribute("data-set", "1")
    saved(ops)

    page.click("[data-wz-test]")
    result = page.locator("[data-wz-test-result]")
    expect(result).to_have_attribute("data-wz-test-ok", "yes")
    expect(result.locator("[data-wz-test-status]")).to_have_attribute("data-wz-test-status", "200")
    expect(result.locator("[data-wz-test-answer]")).to_contain_text('"errcode":0')
    (test,) = robot.snapshot()
    assert test.query == {"key": "OPS-ROBOT-KEY-7"}
    assert test.json()["markdown"]["content"].startswith(f"### 订单已审核通过 {order['name']}")
    log = page.locator("[data-wz-log-table]")
    expect(log.locator('tr[data-test="1"][data-status="succeeded"]')).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    ops.shot("designer-webhook-desktop")

    check_and_publish(ops, draft, "订单审核通过时通知运营群")
    elapsed = time.perf_counter() - started
    assert elapsed < 60  # the whole scenario, publish included
    print(f"\nscenario (e) in the designer, publish included: {elapsed:.1f} s")

    submit_as_sales(tab, order)
    fin = inbox_of(tab, "finance")
    card = fin.page.locator("article.task", has_text=order["name"])
    card.locator('[data-decide="approve"]').click()
    expect(card).to_have_count(0)
    runtime = plant["runtime"]
    assert runtime.records().get("order", order["id"])["status"] == "approved"
    drive(runtime, lambda: len(robot.snapshot()) >= 2, timeout=30)
    real = robot.snapshot()[1]
    assert real.query == {"key": "OPS-ROBOT-KEY-7"}
    message = real.json()["markdown"]["content"]
    assert message.startswith(f"### 订单已审核通过 {order['name']}\n> 金额：60000"), message

    later = new_draft(ops, "查看投递记录")  # the published webhook, its log: the test and the real delivery
    ops.goto(f"/designer/drafts/{later}/doc/order_management/webhooks/{KEY}.json")
    row = ops.page.locator('[data-wz-log-table] tr[data-test="0"]')
    expect(row).to_have_attribute("data-status", "succeeded")
    expect(row).to_contain_text("order.transition.approve")


def test_print_layout_previewed_live_and_job_runs_listed_and_a_task_message_from_a_typed_event(
        tab: Any, plant: dict[str, Any]) -> None:
    ops = tab()
    ops.login(OPS)
    draft = new_draft(ops, "打印模板与任务")
    page = ops.page
    with page.expect_response(lambda r: "/preview/print/" in r.url) as first:
        ops.goto(f"/designer/drafts/{draft}/doc/order_management/prints/order_confirmation.json")
    assert first.value.status == 200 and first.value.headers["content-type"] == "application/pdf"
    expect(page.locator("[data-oz-pdf]")).to_have_attribute("src", re.compile(r"record=\d+"))
    # a change to the layout is saved, and the preview reloads with it
    with page.expect_response(lambda r: "/preview/print/" in r.url and r.status == 200):
        page.locator('[data-dz-schema-form] input[data-path="$.label.zh"]').fill("订单确认书（新版）")
        saved(ops)
    # a line column picked from the entity's fields: the document has it, the PDF is printed again
    column = page.locator('[data-oz-pick="columns"] [data-oz-field="remarks"]')
    expect(column).not_to_be_checked()
    with page.expect_response(lambda r: "/preview/print/" in r.url and r.status == 200):
        column.check()
        saved(ops)
    stored = Drafts(plant["runtime"]).document(draft, "order_management/prints/order_confirmation.json")
    assert stored["table"]["columns"][-1] == "remarks" and stored["label"]["zh"] == "订单确认书（新版）"

    ops.goto(f"/designer/drafts/{draft}/doc/order_management/jobs/nightly_order_priorities.json")
    out = page.locator("[data-oz-job-out]")
    expect(out.locator("[data-oz-job-name]")).to_have_text("records.recompute")
    expect(out.locator("[data-oz-next] li")).to_have_count(5)
    expect(out.locator("[data-oz-next] li").first).to_contain_text("02:20")

    # a bundled robot message about approval tasks (not one entity's records) is previewed from a typed event
    ops.goto(f"/designer/drafts/{draft}/doc/order_management/webhooks/wecom_review_task.json")
    expect(page.locator("[data-wz-needs]")).to_be_visible()
    page.locator("[data-wz-sample] summary").click()
    page.fill("[data-wz-event-json]", '{"entity": "order", "record_id": 7, "step": "finance_review", "task_id": 3}')
    rendered = page.locator("[data-wz-rendered]")
    expect(rendered).to_contain_text("待审批：订单 #7")
    expect(page.locator("[data-wz-condition-result]")).to_have_attribute("data-wz-condition-result", "yes")
