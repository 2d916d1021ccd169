"""The order app with people in every role (tests/workflow/conftest.py), an API client per person,
and exchange rates: what the acceptance round's paths (API, webhook, form) are tried against."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sunmao import accounts
from sunmao.clock import today
from sunmao.records import SYSTEM
from sunmao.web import create_wsgi
from tests.conftest import Api
from tests.workflow.conftest import OM, om  # noqa: F401 - the fixture is used by name

#: CNY per unit, by days before today: the rate on an order date is the latest on or before it.
RATES = {"USD": [(30, "6.9000"), (1, "7.1000"), (-1, "7.3000")], "EUR": [(3, "7.8000")]}


@pytest.fixture
def shopfloor(om: OM) -> OM:  # noqa: F811 - the fixture of tests/workflow, extended
    records = om.runtime.records()
    for currency, rates in RATES.items():
        for days_ago, rate in rates:
            records.create("exchange_rate", {"currency": currency, "rate": rate,
                                             "rate_date": (today() - timedelta(days=days_ago)).isoformat()},
                           actor=SYSTEM)
    return om


def api(om: OM, username: str) -> Api:  # noqa: F811
    """A JSON client over the real WSGI stack with ``username``'s bearer token."""
    return Api(create_wsgi(om.runtime), accounts.create_token(om.runtime.db, username, "tests"))


def line(om: OM, product: str = "plain", qty: str = "10", price: str = "100.00") -> dict[str, Any]:  # noqa: F811
    """An order line as an integrator sends it: the product, nothing about its processes."""
    return {"product": om.products[product], "qty": qty, "unit_price": price}


def due(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()



def demo_module() -> Any:
    """The bundled app's demo generator (its declared ``demo`` extension)."""
    from sunmao.extensions import load_extension
    from sunmao.resources import app_path

    return load_extension(app_path("order_management"), "demo")
