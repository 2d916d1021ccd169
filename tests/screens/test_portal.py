"""The customer portal reveals one order to whoever has its number and phone digits, and nothing else."""

from __future__ import annotations

import re
from typing import Any

from sunmao.runtime import Runtime
from tests.screens.conftest import Browser


def _post(client: Browser, number: str, phone: str, ip: str = "10.0.0.1") -> Any:
    page = client.get("/portal")
    token = client.csrf(page.text)
    return client.client.post("/portal", data={"number": number, "phone": phone, "csrf_token": token},
                              environ_base={"REMOTE_ADDR": ip}, headers={"Accept-Language": "zh-CN"})


def test_lookup_shows_only_the_portal_fields(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    order = data["orders"][1]  # customer phone 0574-63821234
    visitor = browse()
    found = _post(visitor, order["name"], "1234", ip="10.0.0.2")
    assert found.status_code == 200 and "data-portal-order" in found.text
    assert "草稿" in found.text  # the stage, from the workflow
    assert "六角" in found.text or "螺" in found.text or "压铸" in found.text  # a line summary
    customer = data["customers"][1]
    for secret in (customer["company_name"], customer["phone"], "credit", order["amount"]):
        assert secret not in found.text
    link = re.search(r'href="(http://localhost/portal/o/[^"]+)"', found.text).group(1)
    again = visitor.get(link.removeprefix("http://localhost"))
    assert again.status_code == 200 and order["name"] in again.text
    assert visitor.get("/portal/o/forged.token.value").status_code == 404


def test_wrong_phone_and_unknown_number_look_the_same(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    visitor = browse()
    wrong = _post(visitor, data["orders"][2]["name"], "0000", ip="10.0.0.3")
    missing = _post(visitor, "SO-209912-99999", "1234", ip="10.0.0.3")
    assert wrong.status_code == missing.status_code == 404
    message = re.search(r"data-portal-error>([^<]+)<", wrong.text).group(1)
    assert message == re.search(r"data-portal-error>([^<]+)<", missing.text).group(1)


def test_guessing_is_rate_limited(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    visitor = browse()
    number = data["orders"][3]["name"]
    statuses = [_post(visitor, number, f"{n:04d}", ip=f"10.1.0.{n}").status_code for n in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]  # per order number, across IPs
    # Even the right digits are refused while the number is locked.
    assert _post(visitor, number, "1234", ip="10.1.0.99").status_code == 429
    ip_statuses = [_post(visitor, f"SO-2000-{n:05d}", "1234", ip="10.2.0.1").status_code for n in range(22)]
    assert ip_statuses[:20] == [404] * 20 and ip_statuses[20:] == [429, 429]  # per IP, across numbers


def test_a_shipped_order_asks_the_portal_question_once(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    """The portal view's survey: a 0–10 answer becomes one survey record of the order (NPS reads it)."""
    from sunmao.records import SYSTEM

    runtime, data = oms
    order = data["orders"][1]
    visitor = browse()
    draft = _post(visitor, order["name"], "1234", ip="10.0.0.7")
    assert "data-portal-survey" not in draft.text  # a draft: no question
    with runtime.db.write() as conn:  # as if shipped: the question is asked in shipped, paid and closed
        table = runtime.snapshot().tables["order"]
        conn.execute(table.update().where(table.c.id == order["id"]).values(status="shipped"))
    page = _post(visitor, order["name"], "1234", ip="10.0.0.8")
    assert "data-portal-survey" in page.text
    action = re.search(r'action="(/portal/o/[^"]+/survey)"', page.text).group(1)
    answered = visitor.client.post(action, data={"score": "9", "comment": "交期准",
                                                 "csrf_token": visitor.csrf(page.text)})
    assert answered.status_code == 200 and "data-portal-survey" not in answered.text
    [survey] = runtime.records().list("survey", actor=SYSTEM)["items"]
    assert (survey["order"], survey["score"], survey["source"]) == (order["id"], 9, "portal")
    assert survey["comment"] == "交期准"
    assert survey["customer"] == order["customer"]
