"""Money is declared, not guessed: a decimal field names its currency (an ISO code, or the field of
the record or its parent that holds one). An order in US dollars shows its lines in dollars, a
product's list price in yuan, and a quantity stays a number whatever its key."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from sunmao import assembly
from sunmao.meta.errors import MetadataError
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from sunmao.web.screens.fields import display


def test_money_follows_the_declared_currency(oms: tuple[Runtime, dict[str, Any]]) -> None:
    runtime, _data = oms
    entities = runtime.snapshot().entities
    order, line, product = entities["order"], entities["order_line"], entities["product"]
    dollars = {"currency": "USD"}
    assert display(line.by_key["amount"], "1234.5", "en", record=dollars) == "$1,234.50"
    assert display(order.by_key["amount_cny"], "1234.5", "zh", record=dollars) == "¥1,234.50"
    assert display(product.by_key["price"], "8", "zh") == "¥8.00"
    assert "¥" not in display(line.by_key["qty"], "8", "zh", record={"currency": "CNY"})
    assert display(line.by_key["amount"], "8", "zh", record={}) == "8.00"  # no currency known: a number


@pytest.mark.parametrize(("key", "currency", "says"), [
    ("amount", "money_code", "no field 'money_code' holds a currency code"),
    ("remarks", "CNY", "currency applies to decimal fields only"),
])
def test_a_currency_must_name_a_field_that_holds_one(tmp_path: Any, key: str, currency: str, says: str) -> None:
    app = tmp_path / "oms"
    shutil.copytree(app_path("order_management"), app)
    path = app / "entities" / "order.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    next(f for f in doc["fields"] if f["key"] == key)["currency"] = currency
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    runtime = assembly.runtime(f"sqlite:///{tmp_path / 'x.db'}", check_interval=0)
    runtime.setup()
    with pytest.raises(MetadataError) as caught:
        runtime.install_app(app)
    assert says in str(caught.value)
    runtime.db.dispose()
