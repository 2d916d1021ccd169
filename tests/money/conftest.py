"""The order app with people in every role (the workflow tests' fixture), and money helpers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sunmao.clock import today
from sunmao.matching.engine import Matcher, Outcome
from sunmao.records import SYSTEM
from sunmao.records.query import ListQuery
from tests.workflow.conftest import OM, om  # noqa: F401 - the fixture, shared

RULE = "receipts_to_orders"


def receive(app: OM, amount: str, *, memo: str = "", payer: str = "", who: str = "fin1", **extra: Any
            ) -> dict[str, Any]:
    """A receipt as finance records it by hand."""
    payload = {"received_on": (today() - timedelta(days=1)).isoformat(), "amount": amount,
               "payer_name": payer, "reference": memo, **extra}
    return app.runtime.records().create("receipt", payload, actor=app.actors[who])


def usd_order(app: OM, qty: str) -> dict[str, Any]:
    app.runtime.records().create("exchange_rate", {"currency": "USD", "rate": "7.1000",
                                                  "rate_date": (today() - timedelta(days=30)).isoformat()})
    return app.order(qty=qty, currency="USD")


def match(app: OM, ids: list[int] | None = None) -> Outcome:
    rt = app.runtime
    return Matcher(rt.db, rt.snapshot(), rt.records()).run(RULE, ids)


def order(app: OM, order_id: int) -> dict[str, Any]:
    return app.runtime.records().get("order", order_id, actor=SYSTEM)


def receipt(app: OM, receipt_id: int) -> dict[str, Any]:
    return app.runtime.records().get("receipt", receipt_id, actor=SYSTEM)


def allocations(app: OM, **where: Any) -> list[dict[str, Any]]:
    filters = [(k, "eq", str(v)) for k, v in where.items()]
    return app.runtime.records().list("allocation", ListQuery(filters=filters, limit=100), actor=SYSTEM)["items"]


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def count(app: OM, entity: str) -> int:
    table = app.runtime.snapshot().tables[entity]
    with app.runtime.db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)
                                .where(table.c.deleted_at.is_(None))).scalar_one())
