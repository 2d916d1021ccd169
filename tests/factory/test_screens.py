"""The dispatch orders on the generated screens: the list, a dispatch order's page, the order's progress."""

from __future__ import annotations

from sunmao import accounts
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.factory.test_dispatch import app, approve, dispatch_orders, new_order, plant  # noqa: F401
from tests.screens.conftest import Browser


def test_a_line_leader_sees_the_dispatch_orders(app: Runtime) -> None:  # noqa: F811
    world = plant(app)
    order = new_order(app, world)
    approve(app, order["id"])
    accounts.create_user(app.db, "lead.c", "correct horse battery", ["production"])
    browser = Browser(create_wsgi(app)).login("lead.c", "correct horse battery")
    listing = browser.get("/app/dispatch_order")
    made = dispatch_orders(app, order["id"])
    assert listing.status_code == 200 and all(d["name"] in listing.text for d in made)
    page = browser.get(f"/app/dispatch_order/{made[0]['id']}")
    assert page.status_code == 200 and order["name"] in page.text
    shown = browser.get(f"/app/order/{order['id']}")
    assert shown.status_code == 200 and "生产进度" in shown.text
