"""Boards and the visual language: kanban moves through the workflow, late records, colours."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from sunmao.clock import today
from sunmao.records import SYSTEM
from sunmao.records.query import ListQuery
from sunmao.runtime import Runtime


def _orders(runtime: Any, *states: str, **values: Any) -> list[dict[str, Any]]:
    """Orders already in ``states`` (created as history, as an import of old orders would)."""
    records = runtime.records()
    customer = records.list("customer", ListQuery(limit=1))["items"][0]
    product = records.list("product", ListQuery(limit=1))["items"][0]
    line = {"product": product["id"], "qty": "10", "unit_price": "5.00"}
    return records.create_many("order", [
        {"customer": customer["id"], "order_date": (today() - timedelta(days=3)).isoformat(),
         "due_date": (today() + timedelta(days=10)).isoformat(), "lines": [line], "status": state, **values}
        for state in states], actor=SYSTEM, history=True)


def _move(browser: Any, order: dict[str, Any], value: str, **extra: Any) -> Any:
    return browser.post_json(f"/app/order/{order['id']}/move",
                             {"field": "status", "value": value, "version": order["version"], **extra})


def _status(runtime: Any, order: dict[str, Any]) -> str:
    return runtime.records().get("order", order["id"])["status"]


def test_a_drop_on_the_next_state_takes_the_workflow_action(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    response = _move(browse("production"), order, "scheduled")
    assert response.status_code == 200, response.text
    assert response.json["action"] == "schedule"
    assert _status(runtime, order) == "scheduled"


@pytest.mark.parametrize(("role", "state", "values", "target", "status", "says"), [
    # a role the action is not for: told who may
    ("sales", "approved", {}, "scheduled", 403, "only production may take “Schedule”"),
    # a failed guard: the guard's own message
    ("production", "scheduled", {"advance_payment_required": True}, "in_production", 409,
     "cannot take “Start production”: The advance payment must be confirmed before production starts"),
    # no action leads there
    ("admin", "approved", {}, "shipped", 409, "a record cannot go straight from “Approved” to “Shipped”"),
])
def test_a_refused_move_says_why_and_changes_nothing(oms: Any, browse: Any, role: str, state: str,
                                                     values: dict[str, Any], target: str, status: int,
                                                     says: str) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, state, **values)
    response = _move(browse(role), order, target)
    assert (response.status_code, response.json["detail"]) == (status, says)
    assert _status(runtime, order) == state


def test_an_action_needing_a_comment_asks_for_it_then_takes_it(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    manager = browse("manager")
    asked = _move(manager, order, "on_hold")
    assert asked.status_code == 422
    assert asked.json["needs"] == {"action": "hold", "label": "Put on hold", "comment": True, "fields": []}
    assert asked.json["detail"] == "“Put on hold” needs a comment"
    assert _status(runtime, order) == "approved"
    done = _move(manager, order, "on_hold", comment="客户要求延期")
    assert done.status_code == 200, done.text
    assert _status(runtime, order) == "on_hold"


def test_an_action_needing_fields_names_them(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "ready_to_ship", qc_status="passed", credit_released=True)
    warehouse = browse("warehouse")
    asked = _move(warehouse, order, "shipped")
    assert asked.status_code == 422
    assert [f["key"] for f in asked.json["needs"]["fields"]] == ["waybill_no"]
    assert "needs" in asked.json["detail"]
    assert _status(runtime, order) == "ready_to_ship"


def test_a_stale_card_is_a_conflict_not_an_overwrite(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    runtime.records().update("order", order["id"], {"remarks": "changed meanwhile"})
    response = _move(browse("production"), order, "scheduled")
    assert response.status_code == 412
    assert _status(runtime, order) == "approved"


# -- late records: a highlight rule declared in the view ----------------------------------------

def _late(runtime: Any, order: dict[str, Any], days: int = 2) -> str:
    """Move the due date into the past (the order's own rule refuses that through the service)."""
    table = runtime.snapshot().tables["order"]
    due = today() - timedelta(days=days)
    with runtime.db.write() as conn:
        conn.execute(table.update().where(table.c.id == order["id"]).values(due_date=due))
    return due.isoformat()


def _marked(html: str, name: str, tag: str) -> bool:
    """Whether the element (row, card, entry) naming ``name`` carries the view's mark."""
    import re

    for m in re.finditer(rf"<{tag}\b[^>]*>(?:(?!</{tag}>).)*?{re.escape(name)}(?:(?!</{tag}>).)*?</{tag}>", html, re.S):
        return 'marked' in m.group(0) and '逾期' in m.group(0)
    raise AssertionError(f"{name} is not on the page")


def test_late_orders_are_marked_in_list_kanban_calendar_and_gantt(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    late, done, on_time = _orders(runtime, "scheduled", "shipped", "scheduled")
    due = _late(runtime, late)
    _late(runtime, done)
    manager = browse("manager")
    pages = {"list": (manager.get("/app/order?sort=-id").text, "tr"),
             "kanban": (manager.get("/app/views/order_board").text, "a"),
             "calendar": (manager.get(f"/app/views/due_calendar?month={due[:7]}").text, "li"),
             "gantt": (manager.get("/app/views/order_gantt").text, "div")}
    for where, (html, tag) in pages.items():
        assert _marked(html, late["name"], tag), f"the late order is marked in the {where}"
        assert not _marked(html, on_time["name"], tag), f"an order on time is not marked in the {where}"
    for where in ("list", "kanban"):
        html, tag = pages[where]
        assert not _marked(html, done["name"], tag), f"a shipped order is not late in the {where}"
    manager.get("/lang/en")
    assert '<span class="mark">Late</span>' in manager.get("/app/order?sort=-id").text


def test_a_highlight_rule_naming_no_field_is_refused_at_publish(oms: Any) -> None:
    from sunmao.meta.errors import MetadataError

    runtime, _data = oms
    apps = runtime.current_apps()[0]
    apps["order_management"]["views/orders.json"]["highlight"]["when"] = {"<": [{"var": "due_dat"}, {"today": []}]}
    with pytest.raises(MetadataError) as info:
        runtime.publish(apps, dry_run=True)
    assert any(p.path.startswith("$.highlight.when") and "due_dat" in p.message for p in info.value.problems)


def test_gantt_labels_keep_the_digits_that_tell_orders_apart(oms: Any, browse: Any) -> None:
    from sunmao.web.screens.boards import short_names

    assert short_names(["SO-202612-00006", "SO-202612-00011"]) == {"SO-202612-00006": "00006",
                                                                  "SO-202612-00011": "00011"}
    assert short_names(["SO-202612-00006"]) == {"SO-202612-00006": "00006"}
    assert short_names(["SO-202611-00099", "SO-202612-00001"])["SO-202611-00099"] == "202611-00099"
    runtime, _data = oms
    orders = _orders(runtime, "scheduled", "scheduled")
    html = browse("production").get("/app/views/order_gantt").text
    for order in orders:
        tail = order["name"].rsplit("-", 1)[1]
        assert f'aria-label="{order["name"]}"' in html
        assert f'<span class="gantt-short" aria-hidden="true">{tail}</span>' in html


def test_the_calendar_is_also_an_agenda_of_the_days_with_records(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    due = date.fromisoformat(order["due_date"])
    html = browse("sales").get(f"/app/views/due_calendar?month={due.isoformat()[:7]}").text
    agenda = html[html.index('<ol class="agenda">'):]
    assert f"{due.year}年{due.month}月{due.day}日" in agenda
    assert order["name"] in agenda


# -- one visual language: status colours readable (WCAG AA) and told apart ------------------------

def _channels(colour: str) -> list[float]:
    return [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]


def _luminance(rgb: list[float]) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: list[float], b: list[float]) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _lab(rgb: list[float]) -> tuple[float, float, float]:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * linear[0] + 0.3576 * linear[1] + 0.1805 * linear[2]) / 0.95047
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    z = (0.0193 * linear[0] + 0.1192 * linear[1] + 0.9505 * linear[2]) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _declared_colours(runtime: Any) -> dict[str, dict[str, str]]:
    """Every colour the app declares: select options per field, workflow states per workflow."""
    snap = runtime.snapshot()
    out = {f"{e.key}.{f.key}": {o.value: o.color for o in f.options if o.color}
           for e in snap.entities.values() for f in e.fields if f.type == "select"}
    out |= {f"workflow {w.key}": {s.key: s.color for s in w.states.values() if s.color}
            for w in snap.features.get("workflows", {}).values()}
    return {k: v for k, v in out.items() if v}


def test_every_status_colour_is_readable_as_badge_text_and_hues_are_distinct(oms: Any) -> None:
    import math
    import re

    from sunmao.resources import bundle_path

    runtime, _data = oms
    css = (bundle_path("widgets") / "shell" / "shell.css").read_text()
    tint = re.search(r"\.badge \{[^}]*background: color-mix\(in srgb, var\(--badge\) (\d+)%, white\)", css)
    assert tint, "the badge's background is a tint of its colour over white"
    share = int(tint.group(1)) / 100
    colours = _declared_colours(runtime)
    assert len(colours["order.status"]) == 13 and colours["order.status"] == colours["workflow order_lifecycle"]
    poor, alike = [], []
    for where, options in colours.items():
        for value, colour in options.items():
            text = _channels(colour)
            background = [c * share + (1 - share) for c in text]
            ratio = _contrast(text, background)
            if ratio < 4.5:
                poor.append(f"{where}={value} {colour} {ratio:.2f}:1")
        for (a, ca), (b, cb) in ((x, y) for i, x in enumerate(options.items())
                                 for y in list(options.items())[i + 1:]):
            distance = math.dist(_lab(_channels(ca)), _lab(_channels(cb)))
            if distance < 15:
                alike.append(f"{where}: {a} {ca} ~ {b} {cb} (ΔE {distance:.1f})")
    assert not poor, f"badge text below WCAG AA 4.5:1: {poor}"
    assert not alike, f"colours too alike to tell apart: {alike}"


# -- error pages in the reader's language ------------------------------------------------------

def test_a_wrong_address_is_a_page_in_the_readers_language_and_json_for_machines(oms: Any, browse: Any) -> None:
    sales = browse("sales")
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = sales.get("/app/order/abc", headers=html)
    assert (page.status_code, page.mimetype) == (404, "text/html")
    assert "找不到该地址" in page.text and "没有这个页面：/app/order/abc" in page.text
    assert 'href="/app"' in page.text and "requested URL" not in page.text
    sales.get("/lang/en")
    english = sales.get("/app/order/abc", headers=html)
    assert english.status_code == 404 and "There is no page at /app/order/abc" in english.text
    for path, headers in (("/api/v1/order/abc", html), ("/app/order/abc", {"Accept": "application/json"})):
        machine = sales.get(path, headers=headers)
        assert (machine.status_code, machine.mimetype) == (404, "application/problem+json"), path
        assert machine.json["status"] == 404
    anonymous = browse().get("/app/nothing/here/at/all", headers=html)
    assert anonymous.status_code == 404 and "找不到该地址" in anonymous.text


def test_the_record_pages_action_inputs_carry_visible_labels(oms: Any, browse: Any) -> None:
    import re

    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    html = browse("manager").get(f"/app/order/{order['id']}").text
    actions = html[html.index('class="card wf-actions"'):html.index('class="record-layout"')]
    inputs = re.findall(r"<input (?![^>]*type=\"hidden\")[^>]*>", actions)
    assert inputs, "actions needing a comment ask for it"
    labelled = re.findall(r'<label class="wf-input"><span>([^<]+)</span><input [^>]*name="comment"', actions)
    assert len(labelled) == len(inputs)
    assert "暂停 · 评论" in labelled and "撤回修改 · 评论" in labelled


# -- one date format per locale: lists, records, Gantt and the back office ------------------------

def test_dates_and_times_read_the_same_on_every_page(oms: Any, browse: Any) -> None:
    import re

    runtime, _data = oms
    [order] = _orders(runtime, "scheduled")
    admin = browse("admin")
    zh_date = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
    zh_time = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d")
    iso_time = re.compile(r">[^<]*\d{4}-\d\d-\d\d[ T]\d\d:\d\d")
    due = date.fromisoformat(order["due_date"])
    record = admin.get(f"/app/order/{order['id']}").text
    assert f"{due.year}年{due.month}月{due.day}日" in record and zh_time.search(record)  # dates; the timeline
    users = admin.get("/admin/admin_users/").text
    assert zh_time.search(users) and not iso_time.search(users)  # the back office, in Asia/Shanghai
    gantt = admin.get("/app/views/order_gantt").text
    ticks = re.findall(r'class="gantt-tick"[^>]*>([^<]+)<', gantt)
    assert ticks and all(re.fullmatch(r"\d{1,2}月\d{1,2}日", t) for t in ticks), ticks
    assert zh_date.search(re.search(r'<strong class="month">([^<]+)<', gantt).group(1))
    admin.get("/lang/en")
    english = admin.get("/admin/admin_users/").text
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d\d:\d\d", english)
    ticks = re.findall(r'class="gantt-tick"[^>]*>([^<]+)<', admin.get("/app/views/order_gantt").text)
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", t) for t in ticks), ticks


# -- the portal carries the installation's name and logo -----------------------------------------

def test_the_portal_shows_the_companys_name_and_logo(oms: Any, browse: Any, monkeypatch: Any,
                                                     tmp_path: Any) -> None:
    plain = browse().get("/portal").text
    assert "榫卯" not in plain and "Sunmao" not in plain  # never the platform's brand to a customer
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                    '<rect width="10" height="10"/></svg>')
    monkeypatch.setenv("SUNMAO_COMPANY_NAME", "宁波精工紧固件有限公司")
    monkeypatch.setenv("SUNMAO_COMPANY_NAME_EN", "Ningbo Precision Fasteners")
    monkeypatch.setenv("SUNMAO_COMPANY_LOGO", str(logo))
    customer = browse()
    page = customer.get("/portal").text
    assert "<title>宁波精工紧固件有限公司 · 订单查询</title>" in page
    assert '<img src="/portal/logo" alt="宁波精工紧固件有限公司"' in page
    image = customer.get("/portal/logo")
    assert (image.status_code, image.mimetype) == (200, "image/svg+xml") and b"<rect" in image.data
    customer.get("/lang/en")
    assert "Ningbo Precision Fasteners" in customer.get("/portal").text
    monkeypatch.setenv("SUNMAO_COMPANY_LOGO", str(tmp_path / "missing.png"))
    assert customer.get("/portal/logo").status_code == 404
    assert "/portal/logo" not in customer.get("/portal").text


def test_a_field_rename_in_the_designer_reaches_the_views_highlight_rule(oms: Any) -> None:
    from sunmao.designer.operations import rename_field

    runtime, _data = oms
    apps = runtime.current_apps()[0]
    due = next(f for f in apps["order_management"]["entities/order.json"]["fields"] if f["key"] == "due_date")
    renamed, _words = rename_field(apps, "order", due["id"], "delivery_date")
    rule = renamed["order_management"]["views/order_board.json"]["highlight"]["when"]
    assert rule["and"][0] == {"<": [{"var": "delivery_date"}, {"today": []}]}


# -- the back office speaks the reader's language and leads back to the app -------------------------

def test_the_back_office_speaks_chinese_and_has_a_way_back(oms: tuple[Runtime, dict[str, Any]],
                                                           browse: Any) -> None:
    admin = browse("admin")
    users = admin.get("/admin/admin_users/").text
    assert "返回应用" in users and 'href="/app"' in users and 'class="navbar-brand sm-brand" href="/app"' in users
    assert 'href="/lang/en">English<' in users  # the same language switch as every other screen
    tab = re.compile(r">\s*(列表|List)\s*(\(\d+\))?\s*<")
    assert [m.group(1) for m in tab.finditer(users)][:1] == ["列表"]  # Flask-Admin's own words, in Chinese
    assert "用户名" in users and "Username" not in users  # one language at a time, the reader's
    admin.get("/lang/en")
    english = admin.get("/admin/admin_users/").text
    assert [m.group(1) for m in tab.finditer(english)][:1] == ["List"]
    assert "Username" in english and "用户名" not in english and "Back to the app" in english
