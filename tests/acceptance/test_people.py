"""What people read: notices in their words, a rejection with its reason, percentages, local
times, numbers dated by the order, the production queue in its order, amounts that fit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from sunmao.clock import today
from sunmao.jobs.outbox import dispatch_batch, has_pending
from sunmao.notices import notices
from sunmao.records import SYSTEM
from sunmao.web import create_wsgi
from tests.acceptance.conftest import due, line
from tests.workflow.conftest import OM


def _dispatch(om: OM) -> None:
    for _ in range(20):
        if not has_pending(om.runtime):
            return
        dispatch_batch(om.runtime)


def _titles(om: OM, who: str, lang: str) -> list[str]:
    return [n["title"][lang] for n in notices(om.runtime.db, om.actors[who].id)]


def test_a_review_notice_names_the_order_customer_amount_and_step(shopfloor: OM) -> None:
    order = shopfloor.order(grade="C", qty="1000")  # 100,000.00 CNY from a C customer: finance
    shopfloor.act(order["id"], "submit", "sales1")
    _dispatch(shopfloor)
    [zh] = _titles(shopfloor, "fin1", "zh")
    [en] = _titles(shopfloor, "fin1", "en")
    assert zh == f"待你审批：销售订单 {order['name']} · 宁波C类五金有限公司 · 折合人民币 100,000.00" \
                 "（财务审核（非A类客户，超过财务审核金额阈值））"
    assert en.startswith(f"Waiting for your approval: Sales order {order['name']} · 宁波C类五金有限公司")
    assert "finance_review" not in zh + en and "order #" not in zh + en


def test_a_rejection_needs_a_reason_and_tells_the_submitter(shopfloor: OM) -> None:
    order = shopfloor.order(grade="C", qty="1000")
    shopfloor.act(order["id"], "submit", "sales1")
    task = shopfloor.inbox("fin1")[0]
    client = _client(shopfloor, "fin1")
    refused = client.post(f"/api/v1/_tasks/{task['id']}/reject", {})
    assert refused.status_code == 422 and "comment" in refused.json["errors"]
    assert client.post(f"/api/v1/_tasks/{task['id']}/reject", {"comment": "  "}).status_code == 422
    assert shopfloor.runtime.records().get("order", order["id"])["status"] == "under_review"
    done = client.post(f"/api/v1/_tasks/{task['id']}/reject", {"comment": "信用额度不足，请先收回欠款"})
    assert done.status_code == 200, done.json
    _dispatch(shopfloor)
    [told] = _titles(shopfloor, "sales1", "zh")
    assert "fin1" in told and "信用额度不足，请先收回欠款" in told and order["name"] in told


def _client(om: OM, who: str) -> Any:
    from sunmao import accounts
    from tests.conftest import Api

    return Api(create_wsgi(om.runtime), accounts.create_token(om.runtime.db, who, "tests"))


def test_orders_are_numbered_by_their_order_date(shopfloor: OM) -> None:
    records = shopfloor.runtime.records()
    last_month = (today().replace(day=1) - timedelta(days=1))
    old, new = records.create_many("order", [
        {"customer": shopfloor.customers["B"], "order_date": last_month.isoformat(), "due_date": due(10),
         "lines": [line(shopfloor)]},
        {"customer": shopfloor.customers["B"], "due_date": due(10), "lines": [line(shopfloor)]}], actor=SYSTEM)
    assert old["name"].startswith(f"SO-{last_month:%Y%m}-") and new["name"].startswith(f"SO-{today():%Y%m}-")


def test_the_production_queue_is_in_priority_score_order(shopfloor: OM) -> None:
    from tests.screens.conftest import Browser

    made = [shopfloor.order(grade=g, qty=q, due_in=d) for g, q, d in (("C", "5", 25), ("A", "5", 25),
                                                                      ("B", "400", 4), ("C", "5", 2))]
    for order in made:
        shopfloor.act(order["id"], "submit", "sales1")
        for task in [t for who in ("prod1",) for t in shopfloor.inbox(who)]:
            shopfloor.flows.decide(task["id"], shopfloor.actors["prod1"], "approve", "可排")
    records = shopfloor.runtime.records()
    scores = {o["name"]: records.get("order", o["id"])["priority_score"] for o in made}
    page = Browser(create_wsgi(shopfloor.runtime)).login("prod1", "correct horse battery").get(
        "/app/views/production_queue").text
    shown = sorted(scores, key=page.index)
    assert shown == sorted(scores, key=lambda name: -float(scores[name])), scores


def test_percentages_and_local_times_read_as_people_write_them(shopfloor: OM) -> None:
    from sunmao.web.i18n import format_percent

    assert format_percent("0.5000", "zh", 4) == "50.00%" and format_percent("0.2513", "en", 4) == "25.13%"
    assert format_percent("0.5", "zh", 2) == "50%"
    from tests.screens.conftest import Browser

    browser = Browser(create_wsgi(shopfloor.runtime)).login("root", "correct horse battery")
    page = browser.get(f"/app/customer/{shopfloor.customers['B']}").text
    assert "80.00%" in page  # the on-time rate of a customer with nothing due yet (0.8)
    with shopfloor.runtime.db.read() as conn:
        from sunmao.storage import system as sm

        created = conn.execute(sa.select(sm.user.c.created_at).where(sm.user.c.username == "root")).scalar_one()
    local = created + timedelta(hours=8)
    shown = f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"  # the one date format of every page
    assert shown in browser.get("/admin/admin_users/").text  # Asia/Shanghai, not UTC


def test_a_printed_amount_never_wraps(shopfloor: OM) -> None:
    """The confirmation's amount column is as wide as its longest amount (a wrapped ¥1,234,567.89
    reads as two numbers); the text columns share the rest."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from sunmao.printing.pdf import _column_widths, cjk_font

    line_entity = shopfloor.runtime.snapshot().entities["order_line"]
    keys = ["product", "description", "qty", "unit", "unit_price", "discount_pct", "amount"]
    fields = [line_entity.by_key[k] for k in keys]
    rows = [["制动卡钳支架 BK-2201 QT450-10", "制动卡钳支架", "12,000.00", "件", "¥128.00", "0.00", "¥1,234,567.89"]]
    numeric = [f.value_type in ("decimal", "integer") and f.type != "link" for f in fields]
    font = cjk_font()
    widths = _column_widths(fields, rows, numeric, 172 * mm, font, "zh")
    assert abs(sum(widths) - 172 * mm) < 0.01
    amount = widths[keys.index("amount")]
    assert amount - 6 >= stringWidth("¥1,234,567.89", font, 9.5)  # the cell's padding left over
    assert widths[keys.index("product")] > amount  # names still get the most room
    # the response is a PDF a person can print
    from tests.screens.conftest import Browser

    order = shopfloor.order(qty="9999", price="123.45")
    pdf = Browser(create_wsgi(shopfloor.runtime)).login("sales1", "correct horse battery").get(
        f"/app/order/{order['id']}/print/order_confirmation")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
