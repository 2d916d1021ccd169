"""Customers matched across channels, uncertain matches sent to review, cross-channel duplicate
orders held for confirmation, and one checkout's single-item orders merged into one order."""

from __future__ import annotations

from tests.inbound.conftest import Shop
from tests.inbound.payloads import wecom_submission, woo_order

XINDA = "宁波鑫达五金制品有限公司"


def test_customer_matched_across_channels_by_phone_formatted_differently(shop: Shop) -> None:
    # Stored as "138-0013-8000"; the web shop sends "+86 138-0013-8000", WeCom "138 0013 8000".
    shop_order = shop.web_shop(woo_order(1001, company="宁波鑫达五金", email="new-buyer@xinda-hw.example"))
    nuts = [{"产品编码": "NUT-M8", "数量": "3000", "单位": "件", "单价(元)": "0.12"}]
    wecom = shop.wecom(wecom_submission("SUB-1001", company="鑫达五金（宁波）", phone="138 0013 8000", lines=nuts))
    assert shop_order.status_code == 200 and wecom.status_code == 200, (shop_order.json, wecom.json)
    xinda = shop.customer_ids[XINDA]
    assert shop.order(shop_order.json["order"]["id"])["customer"] == xinda
    assert shop.order(wecom.json["order"]["id"])["customer"] == xinda
    assert shop.count("customer") == 2  # nobody new


def test_name_only_match_goes_to_review_not_merged(shop: Shop) -> None:
    sent = shop.web_shop(woo_order(1002, company="  宁波鑫达五金制品  ", phone="13912345678",
                                   email="someone@other.example"))
    assert sent.status_code == 200, sent.json
    assert [h["code"] for h in sent.json["holds"]] == ["customer_review"]
    order = shop.order(sent.json["order"]["id"])
    assert order["intake_status"] == "review"
    assert "CUS-00001" in order["hold_reason"]
    customer = shop.runtime.records().get("customer", order["customer"])
    assert customer["id"] != shop.customer_ids[XINDA]
    assert customer["company_name"] == "宁波鑫达五金制品"
    assert customer["phone"] == "13912345678"
    assert customer["intake_status"] == "review"
    assert customer["possible_duplicate_of"] == shop.customer_ids[XINDA]


def test_same_lines_from_another_channel_are_held_as_possible_duplicate(shop: Shop) -> None:
    first = shop.web_shop(woo_order(1003, lines=[("BLT-M8-30", 1200, 0.35), ("NUT-M8", 1200, 0.12)]))
    assert first.status_code == 200
    same = shop.wecom(wecom_submission("SUB-1003", lines=[
        {"产品编码": "NUT-M8", "数量": "1200", "单位": "件", "单价(元)": "0.12"},
        {"产品编码": "BLT-M8-30", "数量": "1,200.00", "单位": "件", "单价(元)": "0.36"}]))
    assert same.status_code == 202, same.json
    assert same.json["status"] == "held"
    assert same.json["holds"][0]["code"] == "possible_duplicate"
    held = shop.order(same.json["order"]["id"])
    assert held["intake_status"] == "held"
    assert held["possible_duplicate_of"] == first.json["order"]["id"]
    assert first.json["order"]["name"] in held["hold_reason"]

    other_qty = shop.wecom(wecom_submission("SUB-1004", lines=[
        {"产品编码": "NUT-M8", "数量": "1200", "单位": "件", "单价(元)": "0.12"},
        {"产品编码": "BLT-M8-30", "数量": "2400", "单位": "件", "单价(元)": "0.35"}]))
    assert other_qty.status_code == 200 and other_qty.json["status"] == "processed"
    assert shop.order(other_qty.json["order"]["id"])["intake_status"] == "normal"
    again_same_channel = shop.web_shop(woo_order(1005, lines=[("BLT-M8-30", 1200, 0.35), ("NUT-M8", 1200, 0.12)]))
    assert again_same_channel.status_code == 200  # a repeat order on the same channel is normal business


def test_single_item_orders_of_one_checkout_are_merged(shop: Shop) -> None:
    items = [("BLT-M8-30", 2000, 0.35), ("NUT-M8", 2000, 0.12), ("HNG-304-100", 50, 6.8)]
    answers = [shop.web_shop(woo_order(1100 + i, lines=[item], checkout="co_8f2a61")) for i, item in enumerate(items)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json.get("action") for a in answers] == [None, "merged", "merged"]
    assert len({a.json["order"]["id"] for a in answers}) == 1
    order = shop.order(answers[0].json["order"]["id"])
    assert [line["qty"] for line in order["lines"]] == ["2000.00", "2000.00", "50.00"]
    assert order["amount"] == "1280.00"
    assert order["checkout_id"] == "co_8f2a61"
    assert shop.count("order") == 1
    other_checkout = shop.web_shop(woo_order(1200, lines=[("NUT-M8", 10, 0.12)], checkout="co_99"))
    assert other_checkout.json["order"]["id"] != order["id"]
