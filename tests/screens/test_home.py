"""The home page per role: the user's to-do counts, each a link to the filtered list or inbox."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sunmao.records import Actor
from sunmao.storage import system as sm


def _actor(runtime: Any, username: str) -> Actor:
    with runtime.db.read() as conn:
        row = conn.execute(sa.select(sm.user).where(sm.user.c.username == username)).mappings().one()
    return Actor(id=row["id"], username=username, roles=frozenset(row["roles"]))


def _todos(html: str) -> dict[str, tuple[int, str, str]]:
    """key → (count, label, link) of the to-do counts on a home page."""
    return {m.group(3): (int(m.group(4)), m.group(5), m.group(2).replace("&amp;", "&"))
            for m in re.finditer(r'<a class="todo( urgent)?" href="([^"]+)" data-todo="([^"]+)">'
                                 r'<span class="todo-count">(\d+)</span><span class="todo-label">([^<]+)</span>', html)}


def _order(runtime: Any, data: dict[str, Any], actor: Actor, due_in: int = 9) -> dict[str, Any]:
    return runtime.records().create("order", {
        "customer": data["customers"][2]["id"], "due_date": (date.today() + timedelta(days=due_in)).isoformat(),
        "lines": [{"product": data["products"][1]["id"], "qty": "40", "unit_price": "0.12"}]}, actor=actor)


def test_sales_sees_their_drafts_and_the_count_opens_exactly_them(oms: Any, browse: Any) -> None:
    runtime, data = oms
    sales = _actor(runtime, "sales")
    mine = [_order(runtime, data, sales) for _ in range(2)]
    _order(runtime, data, _actor(runtime, "admin"))  # someone else's draft is not my to-do
    page = browse("sales")
    todos = _todos(page.get("/app").text)
    count, label, link = todos["drafts-order"]
    assert label == "我的草稿：销售订单"
    assert count == len([o for o in runtime.records().list("order", actor=sales)["items"]
                         if o["status"] == "draft" and o["created_by"] == sales.id]) >= 2
    assert link == f"/app/order?status=draft&created_by={sales.id}"
    listed = page.get(link).text
    assert all(o["name"] in listed for o in mine)
    assert count == len(set(re.findall(r"SO-\d{6}-\d{5}", listed)))


def test_an_approver_sees_tasks_and_overdue_tasks_linked_to_the_inbox(oms: Any, browse: Any) -> None:
    from sunmao.workflow import WorkflowService
    from sunmao.workflow.tables import task as task_table

    runtime, data = oms
    sales = _actor(runtime, "sales")
    service = WorkflowService(runtime.db, runtime.snapshot())
    orders = [_order(runtime, data, sales, due_in=1) for _ in range(2)]  # due soon: production confirms capacity
    for order in orders:
        service.transition("order", order["id"], "submit", sales)
    approver = browse("production")
    before = _todos(approver.get("/app").text)
    assert before["tasks"][0] >= 2 and before["tasks"][1:] == ("待我审批", "/app/inbox")
    with runtime.db.write() as conn:  # one task is past its due time
        conn.execute(task_table.update().where(task_table.c.record_id == orders[0]["id"],
                                               task_table.c.status == "pending")
                     .values(due_at=datetime.now(UTC) - timedelta(hours=3)))
    html = approver.get("/app").text
    after = _todos(html)
    assert after["overdue"][1:] == ("逾期待办", "/app/inbox?box=overdue") and after["overdue"][0] >= 1
    assert 'class="todo urgent" href="/app/inbox?box=overdue"' in html
    assert orders[0]["name"] in approver.get("/app/inbox?box=overdue").text
    assert "drafts-order" not in after  # production makes no orders: no drafts to count
    approver.get("/lang/en")
    assert _todos(approver.get("/app").text)["tasks"][1] == "Tasks waiting for me"
