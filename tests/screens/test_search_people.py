"""Search people can use: ``q=`` matches words in any order, Chinese names written without the
words people leave out, and pinyin full spelling and initials through the search key the record
service keeps (``search_key``); an order is found by its customer's short name or pinyin; the
customer picker shows city and phone to tell similar names apart."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sunmao.records.query import search_terms
from sunmao.records.searchkey import spell
from sunmao.runtime import Runtime


def test_spelling() -> None:
    assert spell("宁波精工") == "ningbojinggong nbjg"
    assert spell("M8 螺栓") == "m8luoshuan m8ls"  # letters and digits kept
    assert spell("ABC-01") == ""
    assert search_terms("宁波精工 M8") == ["宁波", "精工", "M8"]
    assert search_terms("精工 宁波") == ["精工", "宁波"]


def _key(runtime: Runtime, customer: int) -> str:
    table = runtime.snapshot().tables["customer"]
    with runtime.db.read() as conn:
        return conn.execute(sa.select(table.c.search_key).where(table.c.id == customer)).scalar_one()


def test_customers_by_pinyin_and_words_in_any_order(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, _data = oms
    made = runtime.records().create("customer", {
        "company_name": "宁波市精工实业有限公司", "short_name": "宁波精工", "phone": "0574-87654321",
        "province": "浙江", "city": "宁波", "payment_terms": "net_30", "address": "宁波市鄞州区"})
    assert "nbsjgsyyxgs" in _key(runtime, made["id"]) and "ningboshijinggong" in _key(runtime, made["id"])
    sales = browse("sales")

    def names(q: str) -> list[str]:
        answer = sales.get("/api/v1/customer", query_string={"q": q, "limit": 20})
        assert answer.status_code == 200, answer.text
        return [c["company_name"] for c in answer.json["items"]]

    for q in ("宁波精工", "精工 宁波", "nbjg", "NBJG", "ningbo jinggong", "jinggong", "87654321"):
        assert "宁波市精工实业有限公司" in names(q), q
    assert "宁波市精工实业有限公司" not in names("苏州 精工")
    # the key follows an edit of the name, and a client cannot write it
    edited = sales.client.patch(f"/api/v1/customer/{made['id']}", json={"short_name": "甬精工"},
                                headers={"X-CSRFToken": sales.token})
    assert edited.status_code == 200 and "yjg" in _key(runtime, made["id"])
    refused = sales.client.patch(f"/api/v1/customer/{made['id']}", json={"search_key": "x"},
                                 headers={"X-CSRFToken": sales.token, "Accept-Language": "en"})
    assert refused.status_code == 422 and "search_key" in refused.json["errors"]


def test_orders_by_customer_short_name_and_initials(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    sales = browse("sales")
    ordered = {o["customer"] for o in data["orders"]}
    first = data["customers"][0]  # 宁波鑫达五金制品有限公司, 鑫达五金
    assert first["id"] in ordered
    for q in ("鑫达", "鑫达五金", "xdwj", "xinda"):
        items = sales.get("/api/v1/order", query_string={"q": q, "limit": 50}).json["items"]
        assert items and {o["customer"] for o in items} == {first["id"]}, q
    page = sales.get("/app/order", query_string={"q": "xdwj"}).text
    assert "鑫达" in page


def test_the_customer_picker_shows_city_and_phone(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    page = browse("sales").get("/app/order/new").text
    assert 'data-to="customer"' in page and 'data-hint="[&#34;sales_rep&#34;, &#34;city&#34;, &#34;phone&#34;]"' in page


def test_a_publish_that_adds_a_search_key_fills_it_for_existing_rows(tmp_path: Any) -> None:
    import json
    import shutil

    from sunmao import assembly
    from sunmao.resources import app_path

    app = tmp_path / "oms"
    shutil.copytree(app_path("order_management"), app)
    path = app / "entities" / "customer.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    without = dict(doc)
    without.pop("search_key")
    without["search_fields"] = [k for k in doc["search_fields"] if k != "search_key"]
    without["fields"] = [f for f in doc["fields"] if f["key"] != "search_key"]
    order = app / "entities" / "order.json"
    order_doc = json.loads(order.read_text(encoding="utf-8"))
    order.write_text(json.dumps({**order_doc, "search_fields": [
        k for k in order_doc["search_fields"] if k != "customer.search_key"]}, ensure_ascii=False), encoding="utf-8")
    path.write_text(json.dumps(without, ensure_ascii=False), encoding="utf-8")
    runtime = assembly.runtime(f"sqlite:///{tmp_path / 'x.db'}", check_interval=0)
    runtime.setup()
    runtime.install_app(app)
    made = runtime.records().create("customer", {"company_name": "宁波市精工实业有限公司", "short_name": "宁波精工",
                                                 "payment_terms": "net_30"})
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    order.write_text(json.dumps(order_doc, ensure_ascii=False), encoding="utf-8")
    runtime.install_app(app)
    assert "nbjg" in _key(runtime, made["id"])
    runtime.db.dispose()
