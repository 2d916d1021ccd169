"""The order app's boards over the real WSGI stack: every widget answers for every role that may open it,
a sales rep's board counts their orders only, and each bar's drill-down list holds exactly its count."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from sunmao import accounts
from sunmao.records import SYSTEM
from sunmao.runtime import Runtime
from sunmao.workflow import WorkflowService
from tests.conftest import Api
from tests.screens import demo


@pytest.fixture
def app(runtime: Runtime) -> Runtime:
    demo.install(runtime)
    demo.users(runtime)
    data = demo.seed(runtime, orders=14)
    records = runtime.records()
    for i, order in enumerate(data["orders"]):  # two reps: sales owns every third order, another rep some
        rep = "sales" if i % 3 == 0 else ("li" if i % 3 == 1 else None)
        records.update("order", order["id"], {"sales_rep": rep}, actor=SYSTEM)
    flows = WorkflowService(runtime.db, runtime.snapshot())
    for order in data["orders"][::2]:  # half of them submitted: they go on to review or straight to approved
        flows.transition("order", order["id"], "submit", SYSTEM)
    return runtime


def client(runtime: Runtime, username: str) -> Api:
    from sunmao.web import create_wsgi

    return Api(create_wsgi(runtime), accounts.create_token(runtime.db, username, "tests"))


def test_every_widget_of_every_board_answers(app: Runtime) -> None:
    snapshot = app.snapshot()
    boards = snapshot.features["dashboards"].boards
    assert {"war_room", "kpi", "customers", "integrity", "sales_home", "finance_home", "production_home"} <= set(boards)
    api = client(app, "admin")
    for board in boards.values():
        assert api.get(f"/dashboards/{board.key}").status_code == 200
        for w in board.widgets:
            response = api.get(f"/dashboards/{board.key}/w/{w.id}?period=all")
            assert response.status_code == 200, (board.key, w.id, response.get_data(as_text=True)[:500])
            body = response.get_json()
            drawn = {"figure", "number", "table", "empty"} & set(body)
            assert "denied" not in body and drawn, (board.key, w.id, body)


def _bars(api: Api, board: str, widget: str, query: str = "period=all") -> list[tuple[Any, str]]:
    body = api.get(f"/dashboards/{board}/w/{widget}?{query}").get_json()
    trace = body["figure"]["data"][0]
    values = trace.get("values") or (trace.get("y") if trace.get("orientation") != "h" else trace.get("x"))
    return list(zip(values, trace["customdata"], strict=True))


@pytest.mark.parametrize("username", ["sales", "manager", "production", "admin"])
def test_drill_down_list_equals_the_bar_under_each_role(app: Runtime, username: str) -> None:
    api = client(app, username)
    board = "sales_home" if username == "sales" else "war_room"
    widget = "mine_stage" if username == "sales" else "by_stage"
    bars = _bars(api, board, widget)
    assert bars and sum(v for v, _ in bars) > 0
    for value, link in bars:
        path = urlsplit(link)
        assert path.path == "/app/order"
        listed = api.get(f"/api/v1/order?{path.query}&limit=1").get_json()
        assert listed["total"] == value, (link, listed)
        # the list screen itself accepts the same filters
        assert api.get(link).status_code in (200, 302)


def test_a_sales_rep_board_counts_their_orders_only(app: Runtime) -> None:
    sales = client(app, "sales")
    mine = sum(v for v, _ in _bars(sales, "sales_home", "mine_stage"))
    everyone = sum(v for v, _ in _bars(client(app, "admin"), "sales_home", "mine_stage"))
    # sales sees its own orders (every third: 5) and the unassigned ones (4), not li's (5)
    assert (mine, everyone) == (9, 14)
    assert sales.get("/api/v1/order?limit=1").get_json()["total"] == mine
    number = sales.get("/dashboards/sales_home/w/mine_drafts").get_json()["number"]
    assert number["value"] == sales.get("/api/v1/order?status=draft&limit=1").get_json()["total"]


def test_board_filters_follow_into_the_drill_down(app: Runtime) -> None:
    api = client(app, "manager")
    first = api.get("/api/v1/order?status__ne=draft&sort=-order_date&limit=1").get_json()["items"][0]
    grade = api.get(f"/api/v1/customer/{first['customer']}").get_json()["grade"]
    bars = _bars(api, "war_room", "by_channel", f"period=last_7_days&grade={grade}")  # follows every filter
    assert bars
    for value, link in bars:
        params = dict(parse_qsl(urlsplit(link).query))
        assert params["customer.grade"] == grade and "order_date__ge" in params
        assert api.get(f"/api/v1/order?{urlsplit(link).query}&limit=1").get_json()["total"] == value


def test_a_table_exports_to_excel_with_what_the_role_sees(app: Runtime) -> None:
    import io

    from openpyxl import load_workbook

    api = client(app, "production")
    shown = api.get("/dashboards/production_home/w/late").get_json()["table"]
    response = api.get("/dashboards/production_home/w/late.xlsx")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == shown["columns"] and len(rows) - 1 == len(shown["rows"])
    assert client(app, "sales").get("/dashboards/production_home/w/late.xlsx").status_code == 403


@pytest.mark.parametrize(("username", "key"), [("sales", "sales_home"), ("finance", "finance_home"),
                                               ("production", "production_home"), ("manager", "war_room")])
def test_each_role_home_page_shows_its_board(app: Runtime, username: str, key: str) -> None:
    page = client(app, username).get("/app").get_data(as_text=True)
    assert "data-board" in page and f'"key": "{key}"' in page
    assert "/dashboards/plotly.min.js" in page


def test_plotly_js_is_served_from_the_installed_package(app: Runtime) -> None:
    import plotly.offline

    response = client(app, "manager").get("/dashboards/plotly.min.js")
    assert response.status_code == 200 and response.data == plotly.offline.get_plotlyjs().encode()
    assert "max-age" in response.headers["Cache-Control"] and response.headers.get("ETag")
