"""The webhook designer over the designer API: a WeCom robot message on "order approved" made in a
draft, previewed from a real order, sent once as a test to a real receiver on 127.0.0.1 (its answer
shown, the test in the delivery log), published, then delivered for a real approval. Bad input is a
4xx naming the field; only designers may call."""

# ruff: noqa: S105 - test secrets

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, make_api
from tests.outbound.helpers import drive
from tests.outbound.receiver import Answer, Receiver
from tests.workflow.conftest import OM, om  # noqa: F401 - the fixture is used by name

HOOK = "order_management/webhooks/wecom_order_approved.json"
ROBOT = {"kind": "webhook", "key": "wecom_order_approved", "label": {"zh": "订单审核通过通知", "en": "Order approved"},
         "events": ["order.transition.approve"],
         "target": {"type": "wecom", "secret": "wecom_ops_robot"},
         "message": {"msgtype": "markdown",
                     "content": "### 订单 {{ record.name }} 已审核通过\n> 金额：{{ record.amount }}\n"
                                "> 审核：{{ actor }}"},
         "retry": {"max_attempts": 3, "backoff_seconds": 1, "max_backoff_seconds": 5}}


@pytest.fixture
def robots(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Receiver:
    monkeypatch.setenv("SUNMAO_WECOM_BASE_URL", receiver.url + "/wecom")
    return receiver


def _ops(om: OM) -> Api:  # noqa: F811
    return make_api(om.runtime, "ops", ["designer"])


def _draft_with(ops: Api, doc: dict[str, Any], address: str = HOOK) -> int:
    draft = ops.post("/api/v1/_design/drafts", json={"title": "审核通过通知"}).json
    saved = ops.client.put(f"/api/v1/_design/drafts/{draft['id']}/documents/{address}", json={"document": doc},
                           headers=ops._headers({"If-Match": f'"{draft["rev"]}"'}))
    assert saved.status_code == 200, saved.json
    return int(draft["id"])


def test_a_robot_message_is_previewed_tested_published_then_delivered(om: OM, robots: Receiver) -> None:  # noqa: F811
    ops = _ops(om)
    order = om.order(grade="A")
    draft = _draft_with(ops, ROBOT)
    url = f"/api/v1/_design/drafts/{draft}"

    preview = ops.post(f"{url}/webhooks/preview", json={"address": HOOK, "record": order["name"]})
    assert preview.status_code == 200, preview.json
    assert preview.json["topic"] == "order.transition.approve" and preview.json["matches"] is True
    content = preview.json["json"]["markdown"]["content"]
    assert f"### 订单 {order['name']} 已审核通过" in content and "> 审核：ops" in content
    assert "1000" in content  # 10 × 100.00
    # the edited document, not yet saved, is what the live preview renders
    edited = {**ROBOT, "message": {**ROBOT["message"], "content": "改了：{{ name }}"}}
    live = ops.post(f"{url}/webhooks/preview", json={"address": HOOK, "record_id": order["id"], "document": edited})
    assert live.json["json"]["markdown"]["content"] == f"改了：{order['name']}"
    assert robots.snapshot() == []  # a preview sends nothing

    no_secret = ops.post(f"{url}/webhooks/test", json={"address": HOOK, "record": order["name"]})
    assert no_secret.status_code == 422 and "target.secret" in no_secret.json["errors"], no_secret.json
    assert ops.client.put("/api/v1/_design/secrets/wecom_ops_robot", json={"value": "OPS-ROBOT-KEY-1"},
                          headers=ops._headers()).status_code == 200

    sent = ops.post(f"{url}/webhooks/test", json={"address": HOOK, "record": order["name"]})
    assert sent.status_code == 200, sent.json
    assert sent.json["ok"] is True and sent.json["status_code"] == 200
    assert '"errcode":0' in sent.json["response"] and sent.json["request_url"].endswith("?key=***")
    (request,) = robots.snapshot()
    assert request.path == "/wecom/cgi-bin/webhook/send" and request.query == {"key": "OPS-ROBOT-KEY-1"}
    assert request.json()["markdown"]["content"] == content

    robots.answer_next(Answer(200, b'{"errcode":93000,"errmsg":"invalid webhook url"}'))
    refused = ops.post(f"{url}/webhooks/test", json={"address": HOOK, "record": order["name"]})
    assert refused.status_code == 200 and refused.json["ok"] is False
    assert "93000" in refused.json["error"] and "invalid webhook url" in refused.json["response"]
    log = ops.get("/api/v1/_design/webhooks/deliveries?webhook=wecom_order_approved").json["items"]
    assert [(d["status"], d["test"], d["last_status_code"]) for d in log] == [("dead", True, 200),
                                                                            ("succeeded", True, 200)]
    dead = ops.get("/api/v1/_design/webhooks/deliveries?webhook=wecom_order_approved&status=dead").json["items"]
    assert [d["id"] for d in dead] == [refused.json["delivery"]] and "not retried" in dead[0]["last_error"]

    published = ops.post(f"{url}/publish", json={"comment": "审核通过通知运营群"})
    assert published.status_code == 200, published.json
    runtime = om.runtime
    om.act(order["id"], "submit", "sales1")  # an A customer's small order: approved at once
    assert runtime.records().get("order", order["id"])["status"] == "approved"
    drive(runtime, lambda: len(robots.snapshot()) == 3)
    real = robots.snapshot()[-1].json()["markdown"]["content"]
    assert f"### 订单 {order['name']} 已审核通过" in real and "> 审核：" in real
    log = ops.get("/api/v1/_design/webhooks/deliveries?webhook=wecom_order_approved").json["items"]
    assert (log[0]["status"], log[0]["test"], log[0]["topic"]) == ("succeeded", False, "order.transition.approve")


def test_an_http_test_delivery_is_signed_as_real_ones_are(om: OM, receiver: Receiver) -> None:  # noqa: F811
    ops = _ops(om)
    order = om.order(grade="B")
    address = "order_management/webhooks/erp_orders.json"
    doc = {"kind": "webhook", "key": "erp_orders", "label": {"zh": "订单推送 ERP", "en": "Orders to the ERP"},
           "events": ["order.*"], "condition": {">": [{"var": "record.amount"}, 5000]},
           "target": {"type": "http", "url": receiver.url + "/erp", "secret": "erp_hook"},
           "payload": {"no": "{{ record.name }}", "amount": "{{ record.amount }}", "big": {"$logic": {">": [
               {"var": "record.amount"}, 500]}}}}
    draft = _draft_with(ops, doc, address)
    url = f"/api/v1/_design/drafts/{draft}/webhooks"
    preview = ops.post(f"{url}/preview", json={"address": address, "record": order["name"]}).json
    assert preview["topic"] == "order.updated" and preview["condition"] is False  # 1,000 is not above 5,000
    assert preview["json"]["no"] == order["name"] and preview["json"]["big"] is True
    ops.client.put("/api/v1/_design/secrets/erp_hook", json={"value": "whsec_" + "a2V5LWtleS1rZXkta2V5"},
                   headers=ops._headers())
    receiver.answer_next(Answer(409, b'{"error": "duplicate order"}'))
    sent = ops.post(f"{url}/test", json={"address": address, "record": order["name"], "topic": "order.created"}).json
    assert (sent["ok"], sent["status_code"]) == (False, 409) and "duplicate order" in sent["response"]
    (request,) = receiver.snapshot()
    assert request.path == "/erp" and request.headers["webhook-id"] == sent["event_id"]
    assert request.headers["webhook-signature"].startswith("v1,")


def test_bad_input_is_a_4xx_naming_the_field_and_only_designers_may_call(om: OM, robots: Receiver) -> None:  # noqa: F811
    ops = _ops(om)
    order = om.order(grade="A")
    draft = _draft_with(ops, ROBOT)
    url = f"/api/v1/_design/drafts/{draft}/webhooks"

    missing = ops.post(f"{url}/preview", json={"record": order["name"]})
    assert missing.status_code == 422 and "address" in str(missing.json["errors"])
    unknown = ops.post(f"{url}/preview", json={"address": HOOK, "record": "SO-NOPE"})
    assert unknown.status_code == 422 and list(unknown.json["errors"]) == ["record"]
    no_record = ops.post(f"{url}/test", json={"address": HOOK})
    assert no_record.status_code == 422 and list(no_record.json["errors"]) == ["record"]
    gone = ops.post(f"{url}/preview", json={"address": "order_management/webhooks/nope.json", "record": order["name"]})
    assert gone.status_code == 404
    wrong_type = ops.post(f"{url}/preview", json={"address": HOOK, "record_id": "7"})
    assert wrong_type.status_code == 422 and "record_id" in wrong_type.json["errors"]
    not_about_a_record = ops.post(f"{url}/preview", json={"address": HOOK, "topic": "workflow.task.created"})
    assert not_about_a_record.status_code == 422 and list(not_about_a_record.json["errors"]) == ["event"]
    typed = ops.post(f"{url}/preview", json={"address": HOOK, "topic": "workflow.task.created",
                                             "event": {"name": "SO-1", "actor": "fin1"}})
    assert typed.status_code == 200 and typed.json["matches"] is False
    assert typed.json["json"]["markdown"]["content"].startswith("### 订单  已审核通过")

    broken = {**ROBOT, "target": {"type": "wecom"}, "message": {"msgtype": "markdown", "content": "x"}}
    shown = ops.post(f"{url}/preview", json={"address": HOOK, "record": order["name"], "document": broken})
    assert shown.status_code == 200 and shown.json["compiled"] is False
    assert any(p["path"].startswith("$.target") for p in shown.json["problems"])
    refused = ops.post(f"{url}/test", json={"address": HOOK, "record": order["name"], "document": broken})
    assert refused.status_code == 422 and any(k.startswith("target") for k in refused.json["errors"]), refused.json
    bad_rule = {**ROBOT, "condition": {"no_such_op": [1]}}
    ruled = ops.post(f"{url}/preview", json={"address": HOOK, "record": order["name"], "document": bad_rule}).json
    assert ruled["compiled"] is False and ruled["problems"][0]["path"] == "$.condition"
    assert robots.snapshot() == []

    sales = make_api(om.runtime, "sales9", ["sales"])
    for path, payload in (("/preview", {"address": HOOK, "record": order["name"]}),
                          ("/test", {"address": HOOK, "record": order["name"]})):
        assert sales.post(url + path, json=payload).status_code == 403
    assert sales.get("/api/v1/_design/webhooks/deliveries").status_code == 403
    assert robots.snapshot() == []


# -- print templates: the live PDF preview; scheduled jobs: what runs and when ------------------------------

PRINT = "order_management/prints/order_confirmation.json"
JOB = "order_management/jobs/nightly_order_priorities.json"


def _session(om: OM, username: str, roles: list[str]) -> Any:  # noqa: F811
    """A browser-like session (the designer pages are pages, not API routes)."""
    from werkzeug.test import Client

    from sunmao import accounts
    from sunmao.web import create_wsgi

    accounts.create_user(om.runtime.db, username, "correct horse battery", roles)
    client = Client(create_wsgi(om.runtime))
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    signed = client.post("/login", data={"username": username, "password": "correct horse battery",
                                         "csrf_token": token})
    assert signed.status_code in (302, 303), signed.get_data(as_text=True)[:300]
    return client


def test_a_print_layout_is_previewed_as_the_pdf_that_prints(om: OM) -> None:  # noqa: F811
    ops = _ops(om)
    order = om.order(grade="B")
    draft = ops.post("/api/v1/_design/drafts", json={"title": "确认书加备注"}).json
    layout = ops.get(f"/api/v1/_design/drafts/{draft['id']}/documents/{PRINT}").json["document"]
    layout["label"] = {"zh": "订单确认书（新版）", "en": "Order confirmation v2"}
    layout["table"]["columns"] = ["product", "qty", "amount"]
    saved = ops.client.put(f"/api/v1/_design/drafts/{draft['id']}/documents/{PRINT}", json={"document": layout},
                           headers=ops._headers({"If-Match": f'"{draft["rev"]}"'}))
    assert saved.status_code == 200, saved.json
    web = _session(om, "ops_web", ["designer", "manager"])  # printed under its own rights: managers read orders
    url = f"/designer/drafts/{draft['id']}/preview/print/{PRINT}"
    pdf = web.get(f"{url}?record={order['id']}", headers={"Accept-Language": "en"})
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf", pdf.get_data(as_text=True)[:500]
    data = pdf.get_data()
    # the draft's layout (its new title), printed for the chosen record
    assert data.startswith(b"%PDF") and f"Order confirmation v2 {order['name']}".encode() in data

    editor = web.get(f"/designer/drafts/{draft['id']}/doc/{PRINT}")
    assert editor.status_code == 200 and "data-oz-pdf" in editor.get_data(as_text=True)
    assert web.get(f"{url}?record=abc").status_code == 422
    assert web.get(f"{url}?record=999999").status_code == 422
    assert web.get(f"/designer/drafts/{draft['id']}/preview/print/order_management/prints/nope.json"
                   f"?record={order['id']}").status_code == 404
    layout["fields"] = ["customer", "no_such_field"]
    ops.client.put(f"/api/v1/_design/drafts/{draft['id']}/documents/{PRINT}", json={"document": layout},
                   headers=ops._headers({"If-Match": f'"{saved.json["rev"]}"'}))
    broken = web.get(f"{url}?record={order['id']}")
    assert broken.status_code == 422 and "no_such_field" in broken.get_data(as_text=True)
    sales = _session(om, "sales_web", ["sales"])
    assert sales.get(f"{url}?record={order['id']}").status_code == 403


def test_a_job_is_checked_and_its_next_runs_listed(om: OM) -> None:  # noqa: F811
    ops = _ops(om)
    draft = ops.post("/api/v1/_design/drafts", json={"title": "任务"}).json
    url = f"/api/v1/_design/drafts/{draft['id']}/jobs/preview"
    answer = ops.post(url, json={"address": JOB})
    assert answer.status_code == 200, answer.json
    assert answer.json["problems"] == [] and answer.json["runs"]["job"] == "records.recompute"
    assert answer.json["runs"]["args"] == {"entity": "order"}
    assert [n["local"][11:16] for n in answer.json["next"]] == ["02:20"] * 5  # every night, the plant's time
    doc = ops.get(f"/api/v1/_design/drafts/{draft['id']}/documents/{JOB}").json["document"]
    wrong = ops.post(url, json={"address": JOB, "document": {**doc, "cron": "61 2 * * *", "job": "nope.job"}}).json
    assert {p["path"] for p in wrong["problems"]} == {"$.cron", "$.job"} and wrong["next"] == []
    assert ops.post(url, json={}).status_code == 422
    empty = ops.post(url)  # no body at all (a fuzzer found this a 500): checked as {}
    assert empty.status_code == 422 and "address" in str(empty.json)
    assert ops.post(url, json={"address": JOB, "count": 0}).status_code == 422
    assert ops.post(url, json={"address": "order_management/jobs/nope.json"}).status_code == 404
    assert make_api(om.runtime, "sales9", ["sales"]).post(url, json={"address": JOB}).status_code == 403


def test_odd_but_documented_input_is_never_a_500(om: OM) -> None:  # noqa: F811
    ops = _ops(om)
    order = om.order(grade="A")
    draft = _draft_with(ops, ROBOT)
    url = f"/api/v1/_design/drafts/{draft}/webhooks/preview"
    for body in ({"address": HOOK, "record": order["name"], "topic": "order.transition"},
                 {"address": HOOK, "record": order["name"], "topic": "order"},
                 {"address": HOOK, "record_id": 2**63 - 1},
                 {"address": HOOK, "topic": "record", "event": {"id": "x", "entity": 5}},
                 {"address": "nope", "record": order["name"]}):
        answer = ops.post(url, json=body)
        assert answer.status_code in (200, 404, 422), (body, answer.status_code, answer.json)
    assert ops.post(url, json={"address": HOOK, "record": "SO\u0000"}).status_code == 422


def test_every_bundled_webhook_print_and_job_opens_in_its_editor(om: OM) -> None:  # noqa: F811
    from sunmao.resources import app_path

    order = om.order(grade="A")
    ops = _ops(om)
    draft = ops.post("/api/v1/_design/drafts", json={"title": "看看"}).json["id"]
    web = _session(om, "ops_pages", ["designer", "manager"])
    root = app_path("order_management")
    for folder, marker in (("webhooks", "data-wz-webhook"), ("prints", "data-oz-print"), ("jobs", "data-oz-job")):
        for path in sorted((root / folder).glob("*.json")):
            address = f"order_management/{folder}/{path.name}"
            page = web.get(f"/designer/drafts/{draft}/doc/{address}")
            assert page.status_code == 200 and marker in page.get_data(as_text=True), address
            if folder == "webhooks":  # each renders from an order, or asks for a typed event
                shown = ops.post(f"/api/v1/_design/drafts/{draft}/webhooks/preview",
                                 json={"address": address, "record": order["name"]})
                assert shown.status_code in (200, 422), (address, shown.json)
                assert shown.status_code == 200 or list(shown.json["errors"]) in (["event"], ["record"]), shown.json
