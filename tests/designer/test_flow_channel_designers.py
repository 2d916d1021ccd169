"""The workflow and channel designers over the designer API: a review branch added in a draft is
simulated, published and then followed by a real order; a channel made in a draft from a pasted
sample is previewed, published (no app.json editing) and takes a signed delivery."""

# ruff: noqa: S105 - test secrets

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from typing import Any

from sunmao.records import SYSTEM
from tests.conftest import Api, make_api
from tests.workflow.conftest import OM, om  # noqa: F401 - the fixture is used by name

FLOW = "order_management/workflows/order_lifecycle.json"
SHOP = "order_management/channels/tea_shop.json"
BRANCH = {"key": "export_manager", "label": {"zh": "新出口国家经理审批", "en": "Manager: new export country"},
          "when": {"==": [{"var": "customer.country"}, "巴西"]},
          "steps": [{"key": "manager_review", "label": {"zh": "经理审批", "en": "Manager review"},
                     "approvers": {"role": "manager"}, "mode": "any"}]}


def _put(api: Api, path: str, json: Any, headers: dict[str, str] | None = None) -> Any:
    return api.client.put(path, json=json, headers=api._headers(headers))


def _ops(om: OM) -> Api:  # noqa: F811
    return make_api(om.runtime, "ops", ["designer", "manager"])


def _brazil_order(om: OM) -> dict[str, Any]:  # noqa: F811
    customer = om.runtime.records().create("customer", {"company_name": "巴西里约汽配公司", "country": "巴西",
                                                        "grade_override": "B", "phone": "13900139000"},
                                           actor=SYSTEM)
    om.customers["BR"] = customer["id"]
    return om.order(grade="BR")


def test_a_new_review_branch_is_simulated_then_followed_by_a_real_order(om: OM) -> None:  # noqa: F811
    ops = _ops(om)
    running = om.order(special=True)
    om.act(running["id"], "submit", "sales1")  # a run on the old version: it stays pinned there
    order = _brazil_order(om)
    draft = ops.post("/api/v1/_design/drafts", json={"title": "出口经理审批"}).json
    flow = ops.get(f"/api/v1/_design/drafts/{draft['id']}/documents/{FLOW}").json["document"]
    flow["approvals"][0]["branches"].append(BRANCH)
    saved = _put(ops, f"/api/v1/_design/drafts/{draft['id']}/documents/{FLOW}", json={"document": flow},
                    headers={"If-Match": f'"{draft["rev"]}"'})
    assert saved.status_code == 200, saved.json

    sim = ops.post(f"/api/v1/_design/drafts/{draft['id']}/simulate",
                   json={"entity": "order", "action": "submit", "record": order["name"], "as_user": "sales1"})
    assert sim.status_code == 200, sim.json
    branch = next(b for b in sim.json["branches"] if b["key"] == "export_manager")
    assert branch["applies"] and branch["inputs"] == {"customer.country": "巴西"}
    assert set(branch["steps"][0]["people"]) == {"boss", "ops"}
    assert om.inbox("boss") == []  # the simulation left nothing behind

    pinned = ops.get("/api/v1/_design/flows/pinned").json
    assert [i["runs"] for i in pinned["items"]] == [1]
    published = ops.post(f"/api/v1/_design/drafts/{draft['id']}/publish", json={"comment": "巴西订单经理审批"},
                         headers={"If-Match": f'"{saved.json["rev"]}"'})
    assert published.status_code == 200, published.json
    assert [(p["workflow"], p["runs"]) for p in published.json["pinned"]] == [("order_lifecycle", 1)]

    om.act(order["id"], "submit", "sales1")
    assert [t["branch"] for t in om.inbox("boss")] == ["export_manager"]


def _signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


TEA_ORDER = {"order_no": "TS-1001", "created": "2026-12-07 10:15:00", "buyer": {"company": "杭州茶韵贸易有限公司",
             "mobile": "139-0571-8888"}, "items": [{"code": "HB-M8-30", "count": 200, "price": "0.48"}]}


def tea_channel() -> dict[str, Any]:
    return {"kind": "channel", "key": "tea_shop", "mode": "push", "label": {"zh": "茶韵商城", "en": "Tea shop"},
            "actor": {"username": "channel:tea_shop", "roles": ["sales"]},
            "auth": {"type": "hmac", "secrets": ["tea_shop_webhook"], "algorithm": "sha256", "encoding": "base64",
                     "header": "X-Shop-Signature"},
            "dedup_key": {"cat": ["tea-", {"var": "order.order_no"}]},
            "target": {"entity": "order", "external_id": "external_order_id"},
            "fields": {"external_order_id": {"from": "order_no", "required": True},
                       "order_date": {"from": "created"},
                       "due_date": {"from": "created", "rule": {"add_days": [{"var": "value"}, 30]}}},
            "lines": {"field": "lines", "from": "items", "fields": {
                "product": {"from": "code", "lookup": {"entity": "product", "by": "sku"}},
                "qty": {"from": "count"}, "unit_price": {"from": "price"}}},
            "customer": {"field": "customer", "entity": "customer", "fields": {
                "company_name": {"from": "buyer.company", "clean": ["company"], "required": True},
                "phone": {"from": "buyer.mobile", "clean": ["phone"]}},
                "match": [{"field": "phone", "as": "phone"}]}}


def test_a_channel_made_from_a_sample_is_previewed_published_and_takes_a_signed_delivery(om: OM) -> None:  # noqa: F811
    ops = _ops(om)
    draft = ops.post("/api/v1/_design/drafts", json={"title": "茶韵商城"}).json
    saved = _put(ops, f"/api/v1/_design/drafts/{draft['id']}/documents/{SHOP}", json={"document": tea_channel()},
                    headers={"If-Match": f'"{draft["rev"]}"'})
    assert saved.status_code in (200, 201), saved.json
    body = json.dumps(TEA_ORDER, ensure_ascii=False)
    unsigned = ops.post(f"/api/v1/_design/drafts/{draft['id']}/channels/preview",
                        json={"address": SHOP, "body": body, "headers": {}})
    assert unsigned.status_code == 200, unsigned.json
    assert unsigned.json["signature"] == "bad"  # no secret yet: said, and previewed anyway
    assert unsigned.json["order"]["external_order_id"] == "TS-1001"
    assert unsigned.json["customer"]["company_name"] == "杭州茶韵贸易有限公司"
    assert ops.get("/api/v1/_design/secrets/tea_shop_webhook").json["set"] is False
    assert _put(ops, "/api/v1/_design/secrets/tea_shop_webhook", json={"value": "tea-secret-0042"}).status_code == 200
    assert ops.get("/api/v1/_design/secrets/tea_shop_webhook").json["set"] is True
    signed = ops.post(f"/api/v1/_design/drafts/{draft['id']}/channels/preview", json={
        "address": SHOP, "body": body, "headers": {"X-Shop-Signature": _signature(body.encode(), "tea-secret-0042")}})
    assert signed.json["signature"] == "ok" and signed.json["status"] == 200
    with_skip = {**tea_channel(), "skip": [{"id": "test_order", "when": {"==": [{"var": "order.test"}, True]},
                                             "reason": {"zh": "测试订单", "en": "A test order"}}]}
    _put(ops, f"/api/v1/_design/drafts/{draft['id']}/documents/{SHOP}", json={"document": with_skip})
    test_body = json.dumps({**TEA_ORDER, "test": True}, ensure_ascii=False)
    skipped = ops.post(f"/api/v1/_design/drafts/{draft['id']}/channels/preview",
                       json={"address": SHOP, "body": test_body, "headers": {}}).json
    assert skipped["answer"]["status"] == "ignored" and skipped["order"] is None
    broken = copy.deepcopy(tea_channel())
    broken["fields"]["due_dat"] = "created"
    _put(ops, f"/api/v1/_design/drafts/{draft['id']}/documents/{SHOP}", json={"document": broken})
    bad = ops.post(f"/api/v1/_design/drafts/{draft['id']}/channels/preview",
                   json={"address": SHOP, "body": body, "headers": {}}).json
    assert bad["compiled"] is False and any(p["path"].startswith("$.fields.due_dat") for p in bad["problems"])
    _put(ops, f"/api/v1/_design/drafts/{draft['id']}/documents/{SHOP}", json={"document": tea_channel()})
    assert not om.runtime.records().list("customer", actor=SYSTEM)["items"] or all(
        c["company_name"] != "杭州茶韵贸易有限公司" for c in om.runtime.records().list("customer")["items"])

    published = ops.post(f"/api/v1/_design/drafts/{draft['id']}/publish", json={"comment": "茶韵商城上线"})
    assert published.status_code == 200, published.json
    sent = ops.client.post("/hooks/tea_shop", data=body.encode(), headers={
        "Content-Type": "application/json", "X-Shop-Signature": _signature(body.encode(), "tea-secret-0042")})
    assert sent.status_code == 200, sent.json
    order = om.runtime.records().get("order", sent.json["order"]["id"])
    assert order["external_order_id"] == "TS-1001" and order["lines"][0]["unit_price"] == "0.48"
