"""Data at scale (``sunmao demo --scale order=N``): the database copies real records, a set of
entities together. A copied order points at its copied customer, its lines and stage history come
along, dates move back, names stay unique, and the count is exact — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from sunmao.records import replicate
from sunmao.records.query import ListQuery
from sunmao.runtime import Runtime
from tests.screens import demo


def _scalar(runtime: Runtime, sql: str) -> int:
    with runtime.db.read() as conn:
        return conn.execute(sa.text(sql)).scalar()


@pytest.fixture
def oms(runtime: Runtime) -> Runtime:
    demo.install(runtime)
    data = demo.seed(runtime, orders=7, today=date(2026, 12, 1))
    records = runtime.records()
    first = data["orders"][0]
    records.create("payment", {"order": first["id"], "customer": first["customer"], "amount": "100",
                               "due_date": "2026-12-20"})
    return runtime


def test_copies_keep_every_link_inside_the_set(oms: Runtime) -> None:
    snapshot = oms.snapshot()
    customers = _scalar(oms, "select count(*) from t_customer")
    added = replicate.replicate(oms.db, snapshot, ["order", "customer", "payment"], target=24, step_days=30)
    assert replicate.counts(oms.db, snapshot, ["order"]) == {"order": 24}
    assert added["t_customer"] == 3 * customers  # 7 orders → 24: three copies (the last one partial)
    for orphan in (
        "select count(*) from t_order o left join t_customer c on c.id = o.customer where c.id is null",
        "select count(*) from t_order_line l left join t_order o on o.id = l.parent_id where o.id is null",
        'select count(*) from t_payment p left join t_order o on o.id = p."order" where o.id is null',
        "select count(*) from sm_stage s left join t_order o on o.id = s.record_id "
        "where s.entity = 'order' and o.id is null",
    ):
        assert _scalar(oms, orphan) == 0, orphan
    assert _scalar(oms, "select count(distinct name) from t_order") == 24
    lines = _scalar(oms, "select count(*) from t_order_line where parent_id <= 7")
    first_three = _scalar(oms, "select count(*) from t_order_line where parent_id <= 3")
    assert _scalar(oms, "select count(*) from t_order_line") == 3 * lines + first_three  # the last copy: 3 orders
    assert _scalar(oms, "select count(*) from t_payment") == 4  # the paid order is among those copied each time
    # the products are not copied: copied lines still sell the same products
    assert _scalar(oms, "select count(distinct product) from t_order_line") == _scalar(
        oms, "select count(distinct product) from t_order_line where parent_id <= 7")


def test_a_copied_order_reads_like_its_original_a_month_earlier(oms: Runtime) -> None:
    snapshot = oms.snapshot()
    replicate.replicate(oms.db, snapshot, ["order", "customer"], copies=1, step_days=30)
    records = oms.records()
    newest = records.list("order", ListQuery(sort=[("id", True)], limit=1))["items"][0]
    copy = records.get("order", newest["id"])
    original = records.get("order", newest["id"] - 7)
    assert copy["name"] == f"{original['name']}-1"
    assert date.fromisoformat(str(original["order_date"])) - date.fromisoformat(str(copy["order_date"])) \
        == timedelta(days=30)
    assert [line["product"] for line in copy["lines"]] == [line["product"] for line in original["lines"]]
    assert copy["customer"] != original["customer"]
    customer = records.get("customer", copy["customer"])
    assert customer["company_name"] == records.get("customer", original["customer"])["company_name"]
    # the engine keeps working on copies: a new order is numbered after them, an edit goes through
    records.update("order", copy["id"], {"remarks": "copied"})
    fresh = records.create("order", {"customer": copy["customer"], "order_date": "2026-12-02",
                                     "due_date": "2026-12-30", "payment_terms": "net_30",
                                     "lines": [{"product": copy["lines"][0]["product"], "qty": "5",
                                                "unit_price": "10", "unit": "pc"}]})
    assert fresh["id"] > copy["id"]


def test_nothing_to_copy_or_a_child_table_is_refused(runtime: Runtime) -> None:
    demo.install(runtime)
    with pytest.raises(ValueError, match="no records"):
        replicate.replicate(runtime.db, runtime.snapshot(), ["order"], target=10)
    with pytest.raises(ValueError, match="child table"):
        replicate.replicate(runtime.db, runtime.snapshot(), ["order_line"], target=10)
