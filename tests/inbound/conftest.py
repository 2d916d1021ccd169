"""The order management app with its channels, a few products and customers, and a client
that talks to ``/hooks/...`` over the real WSGI stack (dispatcher, Flask app, blueprint)."""

# ruff: noqa: S105, S106, S107 - the secrets below are test fixtures

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from werkzeug.test import Client, TestResponse

from sunmao import resources
from sunmao.hooks.inbound import set_secret
from sunmao.hooks.inbound.tables import inbound
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi

SHOP_SECRET = "wc_secret_5f1d0b8a3c"
WECOM_TOKEN = "wecom-form-token-7d2e91"
_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNMAO_SECRET_KEY", _KEY)


def woo_signature(body: bytes, secret: str = SHOP_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


@dataclass
class Shop:
    runtime: Runtime
    client: Client
    channel_ids: dict[str, int]
    product_ids: dict[str, int]
    customer_ids: dict[str, int]

    # -- talking to the hooks --------------------------------------------------------------

    def post(self, channel: str, body: bytes, headers: dict[str, str] | None = None, **kw: Any) -> TestResponse:
        headers = {"Accept-Language": "en", "Content-Type": "application/json", **(headers or {})}
        return self.client.post(f"/hooks/{channel}", data=body, headers=headers, **kw)

    def web_shop(self, order: dict[str, Any] | bytes, *, secret: str = SHOP_SECRET,
                 headers: dict[str, str] | None = None) -> TestResponse:
        body = order if isinstance(order, bytes) else dumps(order)
        return self.post("web_shop", body, {"X-WC-Webhook-Signature": woo_signature(body, secret),
                                            "X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-ID": "12",
                                            "X-WC-Webhook-Delivery-ID": "e0c1", **(headers or {})})

    def wecom(self, submission: dict[str, Any], *, token: str = WECOM_TOKEN) -> TestResponse:
        return self.post("wecom_form", dumps(submission), {"Authorization": f"Bearer {token}"})

    # -- looking at the database -----------------------------------------------------------

    def count(self, entity: str) -> int:
        table = self.runtime.snapshot().tables[entity]
        with self.runtime.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(table)
                                .where(table.c.deleted_at.is_(None))).scalar()

    def counts(self) -> dict[str, int]:
        from sunmao.storage import system as sm

        with self.runtime.db.read() as conn:
            audit = conn.execute(sa.select(sa.func.count()).select_from(sm.audit)).scalar()
            outbox = conn.execute(sa.select(sa.func.count()).select_from(sm.outbox)).scalar()
        return {"order": self.count("order"), "customer": self.count("customer"), "audit": audit, "outbox": outbox}

    def deliveries(self) -> list[dict[str, Any]]:
        with self.runtime.db.read() as conn:
            return [dict(r) for r in conn.execute(sa.select(inbound).order_by(inbound.c.id)).mappings()]

    def order(self, order_id: int) -> dict[str, Any]:
        return self.runtime.records().get("order", order_id)

    def add_channel(self, doc: dict[str, Any]) -> None:
        """Publish one more channel document into the installed app (tests of other settings)."""
        apps, texts = self.runtime.current_apps()
        apps["order_management"][f"channels/{doc['key']}.json"] = doc
        self.runtime.publish(apps, texts=texts)


PRODUCTS = [
    {"sku": "BLT-M8-30", "product_name": "六角螺栓", "spec": "M8×30 8.8级", "unit": "pc", "price": "0.35",
     "cost": "0.22"},
    {"sku": "NUT-M8", "product_name": "六角螺母", "spec": "M8 8级", "unit": "pc", "price": "0.12", "cost": "0.07"},
    {"sku": "HNG-304-100", "product_name": "不锈钢合页", "spec": "100mm 304", "unit": "pc", "price": "6.80",
     "cost": "4.10"},
    {"sku": "WSH-M8", "product_name": "平垫圈", "spec": "M8", "unit": "kg", "price": "14.50", "cost": "9.80"},
]

CUSTOMERS = [
    {"company_name": "宁波鑫达五金制品有限公司", "phone": "138-0013-8000", "email": "caigou@xinda-hw.example",
     "tax_id": "91330205MA2H4L7X3K", "province": "浙江", "city": "宁波"},
    {"company_name": "苏州恒通精密机械有限公司", "phone": "0512-6688 1234", "province": "江苏", "city": "苏州"},
]


@pytest.fixture
def shop(runtime: Runtime) -> Iterator[Shop]:
    runtime.install_app(resources.app_path("order_management"))
    records = runtime.records()
    channels = records.create_many("channel", [
        {"channel_code": "WEB_SHOP", "channel_name": "官网商城", "channel_type": "web_shop"},
        {"channel_code": "WECOM", "channel_name": "企业微信", "channel_type": "wecom"},
        {"channel_code": "ALIBABA", "channel_name": "阿里巴巴国际站", "channel_type": "alibaba"},
    ])
    products = records.create_many("product", PRODUCTS)
    customers = records.create_many("customer", CUSTOMERS)
    records.create("exchange_rate", {"currency": "USD", "rate_date": "2026-01-01", "rate": "7.1000"})
    set_secret(runtime.db, "web_shop_webhook", SHOP_SECRET)
    set_secret(runtime.db, "wecom_form_token", WECOM_TOKEN)
    yield Shop(
        runtime, Client(create_wsgi(runtime)),
        {c["channel_code"]: c["id"] for c in channels},
        {p["sku"]: p["id"] for p in products},
        {c["company_name"]: c["id"] for c in customers},
    )
