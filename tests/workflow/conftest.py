"""The order management app installed, with people in every role and a little master data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from sunmao import accounts, org
from sunmao.clock import today
from sunmao.records import SYSTEM, Actor
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from sunmao.workflow import WorkflowService

PEOPLE = {
    "sales1": ["sales"], "sales2": ["sales"], "fin1": ["finance"], "fin2": ["finance"], "tech1": ["tech"],
    "prod1": ["production"], "qc1": ["quality"], "wh1": ["warehouse"], "boss": ["manager"], "root": ["admin"],
}


@dataclass
class OM:
    runtime: Runtime
    actors: dict[str, Actor]
    customers: dict[str, int]
    products: dict[str, int]

    @property
    def flows(self) -> WorkflowService:
        rt = self.runtime
        return WorkflowService(rt.db, rt.snapshot())

    def order(self, *, grade: str = "B", qty: str = "10", price: str = "100.00", special: bool = False,
              due_in: int = 20, advance: bool = False, by: str = "sales1", **extra: Any) -> dict[str, Any]:
        product = "special" if special else "plain"
        payload = {
            "customer": self.customers[grade], "due_date": (today() + timedelta(days=due_in)).isoformat(),
            "advance_payment_required": advance, "sales_rep": "sales1",
            "lines": [{"product": self.products[product], "qty": qty, "unit_price": price,
                       **({"special_processes": ["electrophoresis"]} if special else {})}],
            **extra,
        }
        return self.runtime.records().create("order", payload, actor=self.actors[by])

    def act(self, order_id: int, action: str, who: str, **kw: Any) -> dict[str, Any]:
        return self.flows.transition("order", order_id, action, self.actors[who], **kw)

    def inbox(self, who: str, box: str = "mine") -> list[dict[str, Any]]:
        return self.flows.inbox(self.actors[who], box)


@pytest.fixture
def om(runtime: Runtime) -> OM:
    runtime.install_app(app_path("order_management"))
    actors = {}
    for name, roles in PEOPLE.items():
        user = accounts.create_user(runtime.db, name, "correct horse battery", roles)
        actors[name] = user.actor
    org.add_department(runtime.db, "sales", "销售部", head="boss")
    org.assign(runtime.db, "sales1", department_key="sales", manager="boss")
    records = runtime.records()
    customers = {}
    for grade in "ABC":
        customers[grade] = records.create("customer", {
            "company_name": f"宁波{grade}类五金有限公司", "grade_override": grade, "phone": "13800138000"},
            actor=SYSTEM)["id"]
    products = {
        "plain": records.create("product", {"sku": "HB-M8-30", "product_name": "六角螺栓", "unit": "pc",
                                            "price": "0.50"}, actor=SYSTEM)["id"],
        "special": records.create("product", {"sku": "BR-EP-01", "product_name": "刹车片支架", "unit": "pc",
                                              "price": "35.00", "special_processes": ["electrophoresis"]},
                                  actor=SYSTEM)["id"],
    }
    return OM(runtime, actors, customers, products)
