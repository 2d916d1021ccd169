"""The board editor's live preview over the real WSGI stack: the draft's widget runs through the
dashboards' own compiler and service as the caller — what the preview shows is what the board
shows once published; a bad query is a 422 naming the widget and the field; designers only."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sunmao.runtime import Runtime
from tests.conftest import Api, make_api
from tests.screens import demo

WAR_ROOM = "order_management/dashboards/war_room.json"


@pytest.fixture
def plant(runtime: Runtime) -> Runtime:
    demo.install(runtime)
    demo.seed(runtime, orders=14)
    return runtime


@pytest.fixture
def ops(plant: Runtime) -> Api:
    """The operations manager: the manager role, and the designer role that opens the designer."""
    return make_api(plant, "ops", ["designer", "manager"])


def bar(wid: str = "orders_by_status", **query: Any) -> dict[str, Any]:
    return {"id": wid, "type": "bar", "title": {"zh": "各状态订单", "en": "Orders by status"},
            "x": 0, "y": 8, "w": 6, "h": 3,
            "query": {"entity": "order", "group_by": [{"field": "status"}],
                      "measures": [{"key": "orders", "op": "count", "label": {"zh": "订单数", "en": "Orders"}},
                                   {"key": "amount", "op": "sum", "field": "amount",
                                    "label": {"zh": "金额", "en": "Amount"}}],
                      "sort": ["-orders"], **query}}


def new_draft(api: Api) -> tuple[int, dict[str, Any]]:
    draft = api.post("/api/v1/_design/drafts", json={"title": "看板"}).json["id"]
    doc = api.get(f"/api/v1/_design/drafts/{draft}/documents/{WAR_ROOM}").json["document"]
    return draft, doc


def preview(api: Api, draft: int, widget: dict[str, Any]) -> Any:
    return api.post(f"/api/v1/_design/drafts/{draft}/preview/widget", json={"address": WAR_ROOM, "widget": widget})


def test_the_preview_of_a_bar_equals_the_published_board(plant: Runtime, ops: Api) -> None:
    draft, doc = new_draft(ops)
    widget = bar()
    shown = preview(ops, draft, widget)  # not saved yet: the preview runs what the editor holds
    assert shown.status_code == 200, shown.json
    figure = shown.json["figure"]
    assert [t["type"] for t in figure["data"]] == ["bar", "bar"]
    assert sum(figure["data"][0]["y"]) == 14  # every order, counted in SQL under the manager's scope

    doc = copy.deepcopy(doc)
    doc["widgets"].append(widget)
    saved = ops.client.put(f"/api/v1/_design/drafts/{draft}/documents/{WAR_ROOM}", json={"document": doc},
                           headers={**ops._headers(), "If-Match": '"0"'})
    assert saved.status_code == 200 and saved.json["problems"] == []
    assert ops.post(f"/api/v1/_design/drafts/{draft}/publish", json={"comment": "各状态订单"}).status_code == 200
    board = ops.get("/dashboards/war_room/w/orders_by_status")
    assert board.status_code == 200
    assert board.json["figure"]["data"] == figure["data"]
    assert board.json["figure"]["layout"] == figure["layout"]


def test_a_sum_over_a_text_field_is_a_422_naming_the_widget_and_the_field(ops: Api) -> None:
    draft, _doc = new_draft(ops)
    widget = bar(measures=[{"key": "remarks", "op": "sum", "field": "remarks"}], sort=["-remarks"])
    refused = preview(ops, draft, widget)
    assert refused.status_code == 422
    assert refused.json["errors"] == {"widgets.orders_by_status.query.measures[0].field": [
        "widget “Orders by status” (orders_by_status), query.measures[0].field: remarks is a text field; this "
        "needs one of: integer, decimal"]}
    assert "orders_by_status" in refused.json["detail"] and "remarks" in refused.json["detail"]

    unknown = preview(ops, draft, bar(group_by=[{"field": "colour"}]))
    assert unknown.status_code == 422
    assert list(unknown.json["errors"])[0] == "widgets.orders_by_status.query.group_by[0].field"
    assert "'colour' is not a field of order" in unknown.json["detail"]

    shapeless = preview(ops, draft, {**bar(), "type": "doughnut"})
    assert shapeless.status_code == 422 and list(shapeless.json["errors"]) == ["widgets.orders_by_status.type"]


def test_only_designers_preview(plant: Runtime, ops: Api) -> None:
    draft, _doc = new_draft(ops)
    manager = make_api(plant, "zhou", ["manager"])
    assert preview(manager, draft, bar()).status_code == 403
    assert preview(make_api(plant, "root", ["admin"]), draft, bar()).status_code == 200
    assert ops.post(f"/api/v1/_design/drafts/{draft}/preview/widget", json={"widget": bar()}).status_code == 422
    missing = ops.post(f"/api/v1/_design/drafts/{draft}/preview/widget",
                       json={"address": "order_management/dashboards/nope.json", "widget": bar()})
    assert missing.status_code == 404


def test_a_designer_without_the_entity_rights_is_told_so(plant: Runtime) -> None:
    """The preview runs as the caller: a designer whose roles read no orders sees why, not the numbers."""
    dora = make_api(plant, "dora", ["designer"])
    draft, _doc = new_draft(dora)
    shown = preview(dora, draft, bar())
    assert shown.status_code == 200 and "figure" not in shown.json and shown.json["denied"]


def test_the_editor_offers_the_fields_a_widget_may_use(plant: Runtime) -> None:
    """Stored, visible fields with their value types, one link away, and a row's parent."""
    from sunmao.designer import boards

    apps, _texts = plant.current_apps()
    snap = boards.snapshot(plant, apps, 1)
    fields = {e: {f["path"]: f["type"] for f in found} for e, found in boards.query_fields(snap).items()}
    order = fields["order"]
    assert order["amount"] == "decimal" and order["status"] == "select" and order["order_date"] == "date"
    assert order["customer.grade"] == "select" and order["created_at"] == "datetime"
    assert "lines" not in order  # a table is not a column
    assert fields["order_line"]["parent.order_date"] == "date" and "name" not in fields["order_line"]
    assert boards.snapshot(plant, apps, 1) is snap  # editing a board does not recompile the rest


@pytest.mark.parametrize("widget", [
    {}, {"id": 5}, {"id": "w", "type": "bar"}, {"id": "w", "type": "bar", "title": "x", "query": "order"},
    {"id": "w", "type": "bar", "title": {"zh": "x", "en": "x"}, "query": {"entity": "nothing"}},
    {"id": "w", "type": "bar", "title": {"zh": "x", "en": "x"}, "query": {"entity": "order", "measures": [
        {"key": "k", "op": "duration", "from": "nope", "to": "draft"}], "group_by": [{"field": "customer.grade",
                                                                                      "bucket": "week"}]}},
    {"id": "w", "type": "heatmap", "title": {"zh": "x", "en": "x"}, "query": {"entity": "order", "measures": [
        {"key": "k", "op": "count"}], "group_by": [{"field": "status"}]}},
])
def test_a_malformed_widget_is_a_422_never_a_500(ops: Api, widget: dict[str, Any]) -> None:
    draft, _doc = new_draft(ops)
    refused = preview(ops, draft, widget)
    assert refused.status_code == 422, refused.json
    assert refused.json["errors"] and all(k.startswith("widgets.") for k in refused.json["errors"])


def test_the_board_page_opens_the_board_editor_and_json_on_request(plant: Runtime, ops: Api) -> None:
    import json
    import re

    from sunmao import accounts
    from sunmao.web import create_wsgi
    from tests.screens.conftest import Browser

    draft, _doc = new_draft(ops)
    accounts.create_user(plant.db, "zhou", demo.PASSWORD, ["manager"])
    accounts.create_user(plant.db, "opsweb", demo.PASSWORD, ["designer", "manager"])
    wsgi = create_wsgi(plant)
    page = Browser(wsgi).login("opsweb").get(f"/designer/drafts/{draft}/doc/{WAR_ROOM}")
    assert page.status_code == 200
    assert "data-dz-board-grid" in page.text and 'src="/dashboards/plotly.min.js"' in page.text
    assert not re.search(r'src="(https?:)?//', page.text)  # plotly.js from the app, never a CDN
    setup = json.loads(re.search(r'<script type="application/json" id="dz-setup">(.*?)</script>', page.text,
                                 re.S).group(1))
    assert {"order", "customer"} <= {e["key"] for e in setup["board_entities"]}
    assert {"path": "amount", "type": "decimal", "label": {"zh": "订单金额", "en": "Order amount"}} in \
        setup["board_fields"]["order"]
    raw = Browser(wsgi).login("opsweb").get(f"/designer/drafts/{draft}/doc/{WAR_ROOM}?raw=1")
    assert raw.status_code == 200 and "data-dz-board-grid" not in raw.text
    assert Browser(wsgi).login("zhou").get(f"/designer/drafts/{draft}/doc/{WAR_ROOM}").status_code == 403


def test_the_preview_runs_under_the_callers_row_scope(plant: Runtime, ops: Api) -> None:
    """A sales rep who may design sees in the preview what the board shows them: their own orders."""
    import sqlalchemy as sa

    orders = plant.snapshot().tables["order"]
    with plant.db.write() as conn:  # four orders of another rep: not lin's to see
        ids = [r.id for r in conn.execute(sa.select(orders.c.id).order_by(orders.c.id).limit(4))]
        conn.execute(orders.update().where(orders.c.id.in_(ids)).values(sales_rep="wang"))
    rep = make_api(plant, "lin", ["designer", "sales"])
    draft, doc = new_draft(rep)
    widget = next(w for w in doc["widgets"] if w["id"] == "by_channel")
    for who in (ops, rep):
        shown = preview(who, draft, widget)
        board = who.get("/dashboards/war_room/w/by_channel")
        assert shown.status_code == board.status_code == 200
        assert {k: v for k, v in shown.json.items() if k != "cached"} == \
            {k: v for k, v in board.json.items() if k != "cached"}
    counted = [sum(preview(who, draft, widget).json["figure"]["data"][0]["values"]) for who in (ops, rep)]
    assert counted == [14, 10]
