"""Designer operations across documents: a rename reaches every place that names the field; new
entities come with a form and a list; type changes say what happens to the stored values."""

from __future__ import annotations

from sunmao.designer.checks import check_documents
from sunmao.designer.operations import conversions, new_entity, rename_field
from sunmao.runtime import Runtime


def _doc(apps: dict, address: str) -> dict:
    app, _, path = address.partition("/")
    return apps[app][path]


def test_renames_reach_forms_views_workflows_channels_and_other_entities(order_app: Runtime) -> None:
    docs = order_app.revision_documents(order_app.current_version())
    for entity, field_id, new in (("order", "f_due_date", "delivery_date"), ("order", "f_customer", "client"),
                                  ("customer", "f_payment_terms", "terms"), ("product", "f_price", "list_price")):
        apps, summary = rename_field(docs, entity, field_id, new)
        report = check_documents(order_app, apps, order_app.current_version())
        assert not report.problems, (summary.en, [str(p) for p in report.problems])
        assert [s.action for s in report.steps][0] == "rename_column"
    apps, _ = rename_field(docs, "order", "f_due_date", "delivery_date")
    form = _doc(apps, "order_management/forms/order.json")
    assert "delivery_date" in form["sections"][1]["fields"]
    assert _doc(apps, "order_management/views/due_calendar.json")["calendar"]["date_field"] == "delivery_date"
    assert "delivery_date" in _doc(apps, "order_management/channels/web_shop.json")["fields"]
    assert _doc(apps, "order_management/entities/customer.json")["related"][0]["columns"][2] == "delivery_date"
    apps, _ = rename_field(docs, "order", "f_customer", "client")
    assert _doc(apps, "order_management/entities/customer.json")["related"][0]["field"] == "client"
    apps, _ = rename_field(docs, "customer", "f_payment_terms", "terms")
    item = _doc(apps, "order_management/forms/order.json")["sections"][0]["fields"][0]
    assert item["fill"]["payment_terms"] == "terms"  # the order's field keeps its key; the source is renamed


def test_a_child_field_rename_reaches_the_parents_formulas_and_grid(order_app: Runtime) -> None:
    docs = order_app.revision_documents(order_app.current_version())
    apps, _ = rename_field(docs, "order_line", "f_qty", "quantity")
    order = _doc(apps, "order_management/entities/order.json")
    total = next(f for f in order["fields"] if f["key"] == "total_qty")
    assert total["formula"] == {"sum": [{"var": "lines"}, "quantity"]}
    grid = _doc(apps, "order_management/forms/order.json")["sections"][2]["fields"][0]
    assert "quantity" in grid["columns"]


def test_renaming_the_currency_field_keeps_the_money_of_the_record_and_its_rows(order_app: Runtime) -> None:
    docs = order_app.revision_documents(order_app.current_version())
    apps, _ = rename_field(docs, "order", "f_currency", "currency_code")
    report = check_documents(order_app, apps, order_app.current_version())
    assert not report.problems, [str(p) for p in report.problems]
    order = {f["key"]: f for f in _doc(apps, "order_management/entities/order.json")["fields"]}
    line = {f["key"]: f for f in _doc(apps, "order_management/entities/order_line.json")["fields"]}
    assert order["amount"]["currency"] == "currency_code" and line["amount"]["currency"] == "currency_code"
    assert order["amount_cny"]["currency"] == "CNY"
    rate = _doc(apps, "order_management/entities/order.json")["lookups"][0]  # reads exchange_rate's own currency
    assert rate["where"]["and"][0] == {"==": [{"var": "currency"}, {"var": "$record.currency_code"}]}
    assert rate["when"] == {"!=": [{"var": "currency_code"}, "CNY"]}
    match = _doc(apps, "order_management/matching/receipts_to_orders.json")  # a receipt's currency keeps its key
    assert match["same"] == [{"source": "currency", "target": "currency_code"}]


def test_a_colliding_rename_is_refused_at_check_naming_the_path(order_app: Runtime) -> None:
    docs = order_app.revision_documents(order_app.current_version())
    apps, _ = rename_field(docs, "order", "f_due_date", "order_date")
    report = check_documents(order_app, apps, order_app.current_version())
    assert any(p.file == "order_management/entities/order.json" and p.path.endswith(".key") and "rename one" in
               p.message for p in report.problems), [str(p) for p in report.problems]


def test_a_new_entity_comes_with_a_form_and_a_list_and_publishes(order_app: Runtime) -> None:
    docs = order_app.revision_documents(order_app.current_version())
    fields = [{"id": "f_subject", "key": "subject", "type": "string", "label": {"zh": "主题", "en": "Subject"},
               "required": True},
              {"id": "f_customer", "key": "customer", "type": "link", "to": "customer",
               "label": {"zh": "客户", "en": "Customer"}}]
    apps, created, words = new_entity(docs, "order_management", {
        "key": "complaint", "label": {"zh": "客户投诉", "en": "Complaint"}, "naming": "CP-{YYYY}-{####}",
        "fields": fields, "roles": ["sales"]})
    assert created == ["order_management/entities/complaint.json", "order_management/forms/complaint.json",
                       "order_management/views/complaint_list.json"]
    assert words.zh == "新建实体 客户投诉（complaint）"
    assert check_documents(order_app, apps, order_app.current_version()).ok
    result = order_app.publish(apps)
    assert [s.action for s in result.steps] == ["create_table"]
    assert order_app.snapshot().entities["complaint"].allows({"sales"}, "create")


def test_conversions_offer_each_type_with_what_happens_to_the_values(lab: Runtime) -> None:
    lab.records().create_many("widget", [{"title": "a", "notes": "2026-11-02"}, {"title": "b", "notes": "12"},
                                         {"title": "c", "notes": "下周"}])
    doc = next(f for f in lab.revision_documents(1)["lab"]["entities/widget.json"]["fields"] if f["key"] == "notes")
    found = conversions(lab, "widget", doc)
    by = {t["type"]: t for t in found["targets"]}
    assert found["filled"] == 3 and "text" not in by and "boolean" not in by  # no value would survive as yes/no
    assert by["string"]["converts"] and by["string"]["text"]["zh"] == "全部 3 个值都能转为文本"
    assert by["date"]["failed"] == 2 and "第 2、3 号记录" in by["date"]["text"]["zh"]
    assert by["integer"]["failed"] == 2
    assert by["select"]["converts"] and by["select"]["values"] == ["12", "2026-11-02", "下周"]
    assert by["select"]["text"]["zh"] == "现有的 3 个不同值将成为选项，全部 3 个值保留"
