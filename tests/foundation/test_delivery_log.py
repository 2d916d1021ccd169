"""The inbound delivery log keeps no credentials a sender sends along (cookies, API keys, session or
auth tokens), yet keeps what verifying a replay needs: the signature and the headers it covers."""

# ruff: noqa: S105 - the secrets below are test fixtures

from __future__ import annotations

import json

from sunmao.hooks.inbound import replay, set_secret
from tests.inbound.conftest import SHOP_SECRET, Shop, dumps, shop, woo_signature  # noqa: F401 - the fixture
from tests.inbound.payloads import woo_order

CREDENTIALS = {"X-Api-Key": "sk_live_51H8", "X-Auth-Token": "tok_77", "Authorization": "Basic dXNlcjpwYXNzd29yZA==",
               "X-Shopify-Access-Token": "shpat_12"}
COOKIE = "3f9a2c1d7e"


def _with_cookie(shop: Shop) -> None:  # noqa: F811
    shop.client.set_cookie("session", COOKIE)


def test_credentials_sent_along_a_signed_delivery_are_not_stored(shop: Shop) -> None:  # noqa: F811
    _with_cookie(shop)
    body = dumps(woo_order(9401))
    sent = shop.web_shop(body, headers=CREDENTIALS)
    assert sent.status_code == 200, sent.json
    [stored] = shop.deliveries()
    kept = json.dumps(stored["headers"]) + json.dumps(stored["query"])
    for value in [*CREDENTIALS.values(), COOKIE]:
        assert value not in kept
    assert {stored["headers"][name.lower()] for name in [*CREDENTIALS, "Cookie"]} == {"[redacted]"}
    assert stored["headers"]["x-wc-webhook-signature"] == woo_signature(body)  # a replay verifies with it
    assert stored["headers"]["x-wc-webhook-topic"] == "order.created"


def test_a_delivery_kept_before_its_secret_was_set_is_verified_on_replay(shop: Shop) -> None:  # noqa: F811
    doc = next(d for _f, d in shop.runtime.snapshot().documents("channel") if d["key"] == "web_shop")
    channel = {**json.loads(json.dumps(doc)), "key": "web_shop_b"}
    channel["auth"] = {**channel["auth"], "secrets": ["web_shop_b_webhook"]}
    shop.add_channel(channel)
    _with_cookie(shop)
    body = dumps(woo_order(9402))
    sent = shop.post("web_shop_b", body, {"X-WC-Webhook-Signature": woo_signature(body), **CREDENTIALS})
    assert sent.status_code == 503  # the secret is not set: kept, not verified
    set_secret(shop.runtime.db, "web_shop_b_webhook", SHOP_SECRET)
    answer = replay(shop.runtime.db, shop.runtime.snapshot(), sent.json["delivery"])
    assert answer.status == 200 and answer.body["status"] == "processed"
    [stored] = shop.deliveries()
    assert stored["verified"] and stored["headers"]["cookie"] == "[redacted]"
