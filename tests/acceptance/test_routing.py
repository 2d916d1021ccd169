"""The three-tier review routes an order by its facts however it arrives: orders made through
the REST API with products only (the product carries the special process), in CNY and in a
foreign currency converted at the rate of the order date, at the 50,000 CNY and 3-day edges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.acceptance.conftest import api, due, line
from tests.workflow.conftest import OM

# grade, currency, qty × 100.00 per unit, product, days to due → the reviews that must open
CASES = [
    ("B", "CNY", "500", "plain", 20, set()),                          # 50,000.00 CNY: not above
    ("B", "CNY", "500.01", "plain", 20, {"finance"}),                 # 50,001.00 CNY
    ("B", "USD", "70", "plain", 20, set()),                           # 7,000 USD × 7.1 = 49,700 CNY
    ("B", "USD", "71", "plain", 20, {"finance"}),                     # 7,100 USD × 7.1 = 50,410 CNY
    ("B", "USD", "100", "plain", 20, {"finance"}),                    # the USD 10,000 that used to pass
    ("C", "EUR", "65", "plain", 20, {"finance"}),                     # 6,500 EUR × 7.8 = 50,700 CNY
    ("A", "USD", "1000", "plain", 20, set()),                         # A customers skip finance
    ("B", "CNY", "1", "special", 20, {"tech"}),                       # the product has 电泳
    ("B", "USD", "1", "special", 20, {"tech"}),
    ("B", "CNY", "1", "plain", 3, set()),                             # due in exactly 3 days
    ("B", "CNY", "1", "plain", 2, {"capacity"}),                      # under 3 days
    ("C", "USD", "100", "special", 1, {"finance", "tech", "capacity"}),
]


@pytest.mark.parametrize(("grade", "currency", "qty", "product", "days", "expected"), CASES)
def test_api_orders_route_by_their_facts(shopfloor: OM, grade: str, currency: str, qty: str, product: str,
                                         days: int, expected: set[str]) -> None:
    sales = api(shopfloor, "sales1")
    made = sales.post("/api/v1/order", {"customer": shopfloor.customers[grade], "currency": currency,
                                        "due_date": due(days), "lines": [line(shopfloor, product, qty)]})
    assert made.status_code == 201, made.json
    order = made.json
    rate = {"CNY": Decimal(1), "USD": Decimal("7.1"), "EUR": Decimal("7.8")}[currency]
    assert Decimal(order["exchange_rate"]) == rate  # the latest rate on or before the order date
    assert Decimal(order["amount_cny"]) == (Decimal(qty) * 100 * rate).quantize(Decimal("0.01"))
    assert order["lines"][0]["has_special_process"] is (product == "special")
    submitted = sales.post(f"/api/v1/order/{order['id']}/actions/submit", {})
    assert submitted.status_code == 200, submitted.json
    tasks = [t for who in ("fin1", "tech1", "prod1") for t in shopfloor.inbox(who)]
    assert {t["branch"] for t in tasks} == expected
    assert submitted.json["status"] == ("approved" if not expected else "under_review")


def test_a_foreign_order_without_a_rate_is_refused_naming_the_rate(shopfloor: OM) -> None:
    sales = api(shopfloor, "sales1")
    refused = sales.post("/api/v1/order", {"customer": shopfloor.customers["B"], "currency": "JPY",
                                           "due_date": due(20), "lines": [line(shopfloor)]})
    assert refused.status_code == 422
    assert "exchange rate" in refused.json["errors"]["exchange_rate"][0]
    lowered = sales.post("/api/v1/order", {"customer": shopfloor.customers["B"], "currency": "JPY",
                                           "exchange_rate": "0.0010", "due_date": due(20),
                                           "lines": [line(shopfloor, qty="1000", price="1000")]})
    assert lowered.status_code == 422 and "exchange_rate" in lowered.json["errors"]  # no rate to dodge review
    api(shopfloor, "fin1").post("/api/v1/exchange_rate", {"currency": "JPY", "rate": "0.048", "rate_date": due(-2)})
    given = sales.post("/api/v1/order", {"customer": shopfloor.customers["B"], "currency": "JPY", "due_date": due(20),
                                         "lines": [line(shopfloor, qty="1000", price="1000")]})
    assert given.status_code == 201 and given.json["amount_cny"] == "48000.00"  # finance's rate of the day


def test_the_rate_follows_the_order_date_until_someone_sets_it(shopfloor: OM) -> None:
    sales = api(shopfloor, "sales1")
    order = sales.post("/api/v1/order", {"customer": shopfloor.customers["B"], "currency": "USD",
                                         "due_date": due(40), "lines": [line(shopfloor)]}).json
    assert order["exchange_rate"] == "7.1000"
    older = sales.patch(f"/api/v1/order/{order['id']}", {"order_date": due(-20)},
                        headers={"If-Match": f'"{order["version"]}"'})
    assert older.status_code == 200 and older.json["exchange_rate"] == "6.9000"  # the rate of that day
    typed = api(shopfloor, "root").patch(f"/api/v1/order/{order['id']}", {"exchange_rate": "7.0500"},
                                         headers={"If-Match": f'"{older.json["version"]}"'}).json
    moved = sales.patch(f"/api/v1/order/{order['id']}", {"order_date": due(0)},
                        headers={"If-Match": f'"{typed["version"]}"'})
    assert moved.json["exchange_rate"] == "7.0500"  # set by a person: theirs to keep
