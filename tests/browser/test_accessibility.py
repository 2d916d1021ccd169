"""An automated accessibility check: the vendored axe-core runs on the main pages, at desktop and
phone width, and a serious or critical violation fails the test (naming the rule and the elements)."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

AXE = "/assets/vendor/axe-core/axe.min.js"
PHONE = {"width": 390, "height": 844}


def _pages(server: dict[str, Any]) -> list[str]:
    order = server["data"]["orders"][0]
    return ["/app", "/app/order", f"/app/order/{order['id']}", "/app/order/new", "/app/inbox", "/dashboards",
            "/app/views/order_board", "/app/views/due_calendar", "/app/views/order_gantt"]


def violations(t: Any, path: str) -> list[str]:
    """Serious and critical axe violations of the page at ``path``, one line each."""
    t.goto(path)
    t.page.wait_for_load_state("networkidle")
    t.page.add_script_tag(url=AXE)  # our own origin: the page's CSP allows it
    found = t.page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
          .map(v => v.impact + " " + v.id + ": " + v.help + " — " +
               v.nodes.slice(0, 4).map(n => n.target.join(" ") + " (" +
                 (n.any.concat(n.all, n.none).map(c => c.message).join("; ")) + ")").join(", "));
    }""")
    return [f"{path}: {v}" for v in found]


@pytest.mark.parametrize("size", [{}, PHONE], ids=["desktop", "phone"])
def test_main_pages_have_no_serious_accessibility_violations(tab: Any, server: dict[str, Any],
                                                             size: dict[str, int]) -> None:
    t = tab(**size)
    t.login("admin")
    found = [v for path in _pages(server) for v in violations(t, path)]
    assert not found, "\n".join(found)
