"""Realistic payloads of the three channels of the order management app.

Shapes follow what the providers send: a WooCommerce order (local times without offset,
prices as numbers, ``meta_data`` key/value lists), a WeCom smart-form submission with Chinese
field names (amounts as text with thousands separators, dates as 2026年12月20日), and an
Alibaba.com open-platform order (US Pacific local times, amounts as strings).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
PACIFIC = ZoneInfo("America/Los_Angeles")


def local(zone: ZoneInfo = SHANGHAI, **delta: float) -> datetime:
    return (datetime.now(zone) + timedelta(**delta)).replace(microsecond=0, tzinfo=None)


def woo_order(order_id: int = 727, *, lines: list[tuple[str, Any, Any]] | None = None,
              phone: str = "+86 138-0013-8000", company: str = "宁波鑫达五金制品有限公司",
              email: str = "caigou@xinda-hw.example", modified: str | None = None, checkout: str | None = None,
              status: str = "processing", note: str = "", due: str | None = None) -> dict[str, Any]:
    created = local()
    meta: list[dict[str, Any]] = [{"id": 9001, "key": "_wc_order_attribution_source_type", "value": "typein"}]
    if due:
        meta.append({"id": 9002, "key": "_delivery_date", "value": due})
    if checkout:
        meta.append({"id": 9003, "key": "_checkout_id", "value": checkout})
    items = lines if lines is not None else [("BLT-M8-30", 1200, 0.35)]
    return {
        "id": order_id,
        "parent_id": 0,
        "number": str(order_id),
        "order_key": f"wc_order_{order_id:08d}",
        "created_via": "checkout",
        "status": status,
        "currency": "CNY",
        "date_created": created.isoformat(),
        "date_created_gmt": (created - timedelta(hours=8)).isoformat(),
        "date_modified": created.isoformat(),
        "date_modified_gmt": modified or (created - timedelta(hours=8)).isoformat(),
        "date_paid": created.isoformat(),
        "total": "420.00",
        "customer_id": 12,
        "customer_note": note,
        "billing": {
            "first_name": "伟", "last_name": "张", "company": company, "address_1": "江北区金山路 88 号",
            "address_2": "", "city": "宁波", "state": "浙江", "postcode": "315033", "country": "CN",
            "email": email, "phone": phone,
        },
        "shipping": {
            "first_name": "伟", "last_name": "张", "company": company, "address_1": "江北区金山路 88 号",
            "address_2": "3号仓库", "city": "宁波", "state": "浙江", "postcode": "315033", "country": "CN",
        },
        "payment_method": "alipay",
        "payment_method_title": "支付宝",
        "meta_data": meta,
        "line_items": [
            {"id": 100 + i, "name": f"商品 {sku}", "product_id": 500 + i, "variation_id": 0, "quantity": qty,
             "tax_class": "", "subtotal": "0.00", "total": "0.00", "sku": sku, "price": price}
            for i, (sku, qty, price) in enumerate(items)
        ],
    }


def wecom_submission(submit_id: str = "SUB-20261125-0001", *, company: str = "宁波鑫达五金制品有限公司",
                     phone: str = "13800138000", tax_id: str = "", lines: list[dict[str, Any]] | None = None,
                     due: str | None = None) -> dict[str, Any]:
    due_day = (datetime.now(SHANGHAI) + timedelta(days=20)).date()
    return {
        "event": "form_submit",
        "corp_id": "ww3f2a9c0d11e5b7aa",
        "form_id": "FORM-ORDER-01",
        "form_name": "客户订货单",
        "submit_id": submit_id,
        "submit_time": local().strftime("%Y-%m-%d %H:%M:%S"),
        "submitter": {"userid": "zhangwei", "name": "张伟"},
        "data": {
            "客户名称": company,
            "联系电话": phone,
            "税号": tax_id,
            "交货日期": due or f"{due_day.year}年{due_day.month}月{due_day.day}日",
            "是否加急": "否",
            "收货地址": "浙江省宁波市江北区金山路88号",
            "订单明细": lines if lines is not None else [
                {"产品编码": "BLT-M8-30", "数量": "1,200", "单位": "件", "单价(元)": "0.35"}],
            "备注": "",
        },
    }


def alibaba_order(trade_id: str, *, modified: datetime, sku: str = "BLT-M8-30", qty: str = "5000",
                  email: str = "purchasing@acme-industrial.example", status: str = "to_be_shipped") -> dict[str, Any]:
    return {
        "trade_id": trade_id,
        "trade_status": status,
        "gmt_create": (modified - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S"),
        "gmt_modified": modified.strftime("%Y-%m-%d %H:%M:%S"),
        "shipping_date": (modified + timedelta(days=40)).strftime("%Y-%m-%d"),
        "buyer": {"company_name": "Acme Industrial Supply, LLC", "full_name": "John Smith", "email": email,
                  "phone": "+1 (415) 555-0100", "country": "US"},
        "order_amount": {"amount": "250.00", "currency": "USD"},
        "shipping_address": {"address": "1200 Harbor Blvd", "city": "Oakland", "country": "United States"},
        "products": [{"sku_code": sku, "product_name": "Hex bolt M8x30 8.8", "quantity": qty,
                      "unit": "Piece/Pieces", "unit_price": {"amount": "0.05", "currency": "USD"}}],
        "remark": "",
    }
