"""Authentication per channel: HMAC (SHA-256 base64, SHA-1 hex with prefix over a composed
string with a timestamp), bearer tokens, Standard Webhooks; secrets rotated with two values
accepted at once; a channel whose secret is missing keeps the delivery for replay."""

# ruff: noqa: S105, S106, S107 - the secrets below are test fixtures

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from sunmao.hooks.inbound import replay, set_secret
from sunmao.jobs.secrets import secret_store
from tests.inbound.conftest import SHOP_SECRET, Shop, dumps, woo_signature
from tests.inbound.payloads import wecom_submission, woo_order


def _channel(key: str, auth: dict, **extra: object) -> dict:
    """A minimal channel writing orders for existing customers by phone (for auth tests)."""
    return {
        "kind": "channel", "key": key, "label": {"zh": key, "en": key}, "mode": "push",
        "actor": {"roles": ["sales"]}, "auth": auth,
        "dedup_key": {"var": "order.id"},
        "target": {"entity": "order", "external_id": "external_order_id"},
        "fields": {"external_order_id": {"from": "id", "required": True}, "due_date": "due"},
        "lines": {"field": "lines", "from": "items",
                  "fields": {"product": {"from": "sku", "lookup": {"entity": "product", "by": "sku"}},
                             "qty": "qty", "unit_price": "price"}},
        "customer": {"field": "customer", "entity": "customer", "create": False,
                     "fields": {"company_name": {"value": "?"}, "phone": {"from": "phone", "clean": ["phone"]}},
                     "match": [{"field": "phone", "as": "phone"}]},
        **extra,
    }


def _order(order_id: str) -> dict:
    return {"id": order_id, "due": "2099-01-31", "phone": "13800138000",
            "items": [{"sku": "NUT-M8", "qty": 500, "price": "0.12"}]}


def test_web_shop_hmac_sha256_base64(shop: Shop) -> None:
    body = dumps(woo_order(801))
    ok = shop.web_shop(body)
    assert ok.status_code == 200, ok.json
    assert ok.json["status"] == "processed"

    before = shop.counts()
    tampered = body.replace(b'"quantity": 1200', b'"quantity": 9200')
    bad = shop.post("web_shop", tampered, {"X-WC-Webhook-Signature": woo_signature(body)})
    assert bad.status_code == 401
    assert bad.headers["Content-Type"] == "application/problem+json"
    assert bad.json["type"].endswith("/bad-signature")
    assert "X-WC-Webhook-Signature does not match the body (HMAC-SHA256, base64)" in bad.json["detail"]
    missing = shop.post("web_shop", body)
    assert missing.status_code == 401 and "is missing" in missing.json["detail"]
    assert shop.counts() == before
    rejected = shop.deliveries()[-2]
    assert rejected["status"] == "rejected" and bytes(rejected["body"]) == tampered
    assert rejected["id"] == bad.json["delivery"]


def test_rotation_accepts_both_secrets(shop: Shop) -> None:
    # Two names in the document: the new secret under the second name is accepted beside the first.
    set_secret(shop.runtime.db, "web_shop_webhook_next", "wc_secret_next_e61")
    assert shop.web_shop(woo_order(811), secret=SHOP_SECRET).status_code == 200
    assert shop.web_shop(woo_order(812), secret="wc_secret_next_e61").status_code == 200
    # One name, two values: the old value stays accepted until the rotation is retired.
    set_secret(shop.runtime.db, "web_shop_webhook", "wc_secret_rotated_9a")
    assert shop.web_shop(woo_order(813), secret=SHOP_SECRET).status_code == 200
    assert shop.web_shop(woo_order(814), secret="wc_secret_rotated_9a").status_code == 200
    secret_store(shop.runtime.db).retire("web_shop_webhook")
    assert shop.web_shop(woo_order(815), secret=SHOP_SECRET).status_code == 401
    assert shop.web_shop(woo_order(816), secret="wc_secret_wrong").status_code == 401


def test_sha1_hex_with_prefix_over_timestamp_id_and_body(shop: Shop) -> None:
    shop.add_channel(_channel("legacy_erp", {
        "type": "hmac", "secrets": ["legacy_erp_key"], "algorithm": "sha1", "encoding": "hex",
        "header": "X-Hub-Signature", "prefix": "sha1=", "message": "{timestamp}.{header:X-Request-Id}.{body}",
        "timestamp": {"header": "X-Timestamp", "format": "unix", "tolerance_seconds": 300}}))
    set_secret(shop.runtime.db, "legacy_erp_key", "erp-shared-key")

    def send(order_id: str, ts: int, *, secret: str = "erp-shared-key", request_id: str | None = "req-1"):
        body = dumps(_order(order_id))
        mac = hmac.new(secret.encode(), f"{ts}.{request_id or ''}.".encode() + body, hashlib.sha1).hexdigest()
        headers = {"X-Hub-Signature": "sha1=" + mac.upper(), "X-Timestamp": str(ts)}
        if request_id:
            headers["X-Request-Id"] = request_id
        return shop.post("legacy_erp", body, headers)

    now = int(time.time())
    ok = send("E-1", now)
    assert ok.status_code == 200, ok.json
    stale = send("E-2", now - 900)
    assert stale.status_code == 401 and stale.json["type"].endswith("/stale-timestamp")
    assert "s away from the server time; at most 300 s is accepted" in stale.json["detail"]
    assert send("E-3", now, secret="other").status_code == 401
    no_id = send("E-4", now, request_id=None)
    assert no_id.status_code == 401 and "X-Request-Id" in no_id.json["detail"]
    assert shop.count("order") == 1


def test_standard_webhooks(shop: Shop) -> None:
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    shop.add_channel(_channel("partner", {"type": "standard_webhooks", "secrets": ["partner_signing"]}))
    set_secret(shop.runtime.db, "partner_signing", secret)
    signer = Webhook(secret)

    def send(order_id: str, at: datetime, *, wrong: bool = False):
        payload = json.dumps(_order(order_id))
        signature = signer.sign(f"msg_{order_id}", at, payload)
        if wrong:
            signature = "v1," + base64.b64encode(b"x" * 32).decode()
        headers = {"webhook-id": f"msg_{order_id}", "webhook-timestamp": str(int(at.timestamp())),
                   "webhook-signature": "v1,bm90IG1pbmU= " + signature}  # several signatures: any may match
        return shop.post("partner", payload.encode(), headers)

    now = datetime.now(UTC)
    assert send("P-1", now).status_code == 200
    assert send("P-2", now, wrong=True).status_code == 401
    stale = send("P-3", datetime.fromtimestamp(now.timestamp() - 3600, UTC))
    assert stale.status_code == 401 and stale.json["type"].endswith("/stale-timestamp")
    assert shop.count("order") == 1


def test_bearer_token_in_header_or_query(shop: Shop) -> None:
    assert shop.wecom(wecom_submission("SUB-1")).status_code == 200
    via_query = shop.client.post("/hooks/wecom_form?token=wecom-form-token-7d2e91",
                                 data=dumps(wecom_submission("SUB-2")), content_type="application/json")
    assert via_query.status_code == 200, via_query.json
    wrong = shop.wecom(wecom_submission("SUB-3"), token="guess")
    assert wrong.status_code == 401 and wrong.json["type"].endswith("/bad-signature")
    stored = shop.deliveries()
    assert all("wecom-form-token" not in json.dumps(d["headers"]) + json.dumps(d["query"]) for d in stored)
    assert stored[0]["headers"]["authorization"].startswith("sha256:")


def test_missing_secret_keeps_delivery_for_replay(shop: Shop) -> None:
    shop.add_channel(_channel("supplier_portal", {"type": "bearer", "secrets": ["portal_token"]}))
    sent = shop.post("supplier_portal", dumps(_order("SP-1")), {"Authorization": "Bearer portal-123"})
    assert sent.status_code == 503
    assert "portal_token is not set" in sent.json["detail"]
    assert shop.count("order") == 0
    set_secret(shop.runtime.db, "portal_token", "portal-123")
    answer = replay(shop.runtime.db, shop.runtime.snapshot(), sent.json["delivery"])
    assert answer.status == 200 and answer.body["status"] == "processed"
    assert shop.count("order") == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_replayed_bearer_delivery_is_verified_against_the_stored_hash(shop: Shop) -> None:
    shop.add_channel(_channel("agent_app", {"type": "bearer", "secrets": ["agent_token"]}))
    set_secret(shop.runtime.db, "agent_token", "agent-1")
    sent = shop.post("agent_app", dumps(_order("AG-1")), {"Authorization": "Bearer forged"})
    assert sent.status_code == 401
    with pytest.raises(Exception) as refused:
        replay(shop.runtime.db, shop.runtime.snapshot(), sent.json["delivery"])
    assert getattr(refused.value, "status", None) == 401
    assert shop.count("order") == 0
