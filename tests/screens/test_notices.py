"""The notification centre: approvals, mentions and notices reach the right people, once."""

from __future__ import annotations

from typing import Any

from sunmao.jobs.outbox import dispatch_batch, has_pending
from sunmao.records.query import ListQuery
from sunmao.workflow import WorkflowService


def _dispatch(runtime: Any) -> None:
    """What the job runner's pump does: hand every pending event to the subscribers."""
    for _ in range(20):
        if not has_pending(runtime):
            return
        dispatch_batch(runtime)


def test_a_review_task_and_a_mention_become_notices(oms: Any, browse: Any) -> None:
    runtime, data = oms
    sales, finance = browse("sales"), browse("finance")
    records = runtime.records()
    customer = next(c for c in records.list("customer", ListQuery(limit=50))["items"] if c["grade"] != "A")
    product = records.list("product", ListQuery(limit=1))["items"][0]
    order = records.create("order", {"customer": customer["id"], "due_date": "2099-12-31", "lines": [
        {"product": product["id"], "qty": "1000", "unit_price": "99.00"}]})
    submitted = sales.post_form(f"/app/order/{order['id']}/transition", {"action": "submit"})
    assert submitted.status_code == 302
    flows = WorkflowService(runtime.db, runtime.snapshot())
    assert flows.inbox(_actor(runtime, "finance"))  # a finance review waits
    sales.post_form(f"/app/order/{order['id']}/comments", {"body": "@finance 请优先看一下这张单"})
    _dispatch(runtime)
    page = finance.get("/app/notices").text
    assert "待你审批" in page and "提到了你" in page
    assert '<span class="badge">2</span>' in finance.get("/app").text
    _dispatch(runtime)  # a second pass adds nothing
    assert finance.get("/app/notices?show=unread").text.count('class="card task unread"') == 2
    finance.post_form("/app/notices/read", {})
    assert 'class="card task unread"' not in finance.get("/app/notices").text
    assert "提到了你" not in sales.get("/app/notices").text  # only the people concerned


def _actor(runtime: Any, username: str) -> Any:
    import sqlalchemy as sa

    from sunmao.accounts import get_user
    from sunmao.storage import system as sm

    with runtime.db.read() as conn:
        uid = conn.execute(sa.select(sm.user.c.id).where(sm.user.c.username == username)).scalar_one()
    return get_user(runtime.db, uid).actor
