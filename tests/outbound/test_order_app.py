"""The order management app's WeCom notification of new orders, end to end on the bundled app."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from sunmao.jobs.secrets import secret_store
from sunmao.records import SYSTEM, Actor
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from tests.outbound.helpers import drive, rows
from tests.outbound.receiver import Receiver


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The app's metadata is what is tested here, not the database; SQLite only."""
    return f"sqlite:///{tmp_path / 'sunmao.db'}"


def test_sales_group_hears_of_new_orders_but_not_of_system_imports(
        runtime: Runtime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNMAO_WECOM_BASE_URL", receiver.url)
    runtime.install_app(app_path("order_management"))
    secret_store(runtime.db).set("wecom_sales_robot", "SALES-ROBOT-KEY")
    records = runtime.records()
    customer = records.create("customer", {"company_name": "宁波精工五金有限公司"})
    product = records.create("product", {"sku": "HX-M8", "product_name": "M8 六角螺栓", "unit": "pc",
                                         "price": "1.20"})
    due = date.today() + timedelta(days=30)
    order = {"customer": customer["id"], "due_date": due.isoformat(), "currency": "CNY",
             "lines": [{"product": product["id"], "qty": "1000", "unit_price": "1.20"}]}
    imported = records.create("order", order, actor=SYSTEM)  # e.g. demo data: not announced
    sales = Actor(7, "wang.fang", frozenset({"sales"}))
    placed = records.create("order", order, actor=sales)

    drive(runtime, lambda: [r["status"] for r in rows(runtime) if r["webhook"] == "wecom_new_order"]
          == ["succeeded"])
    (request,) = receiver.snapshot()
    assert request.query == {"key": "SALES-ROBOT-KEY"}
    content = request.json()["markdown"]["content"]
    assert f"### 新订单 {placed['name']}" in content and placed["name"] != imported["name"]
    assert f"客户编号：{customer['id']}" in content
    assert "CNY 1200.00" in content and f"交货日期：{due.isoformat()}" in content and "wang.fang" in content
