"""From order to factory floor: BOM explosion into dispatch orders on approval (the engine's
``generate``), the order's production per cent as a roll-up of the reports, the leader's robot."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sunmao.jobs.secrets import secret_store
from sunmao.records import SYSTEM, Actor
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from sunmao.workflow import WorkflowService
from tests.factory.helpers import refused_install
from tests.outbound.helpers import drive, rows
from tests.outbound.receiver import Receiver

SALES = Actor(7, "wang.fang", frozenset({"sales"}))


def plant(runtime: Runtime) -> dict[str, Any]:
    """A 3-level structure: a cabinet (assembled on A) of a frame (welded on B: 2 tubes of 4 % scrap
    from C, 8 bought bolts) and 2 doors (C, 10 % scrap)."""
    r = runtime.records()
    lines = {code: r.create("production_line", {"code": code, "line_name": f"{code} 线", "leader": f"lead.{code}",
                                               "robot_secret": f"robot_{code.lower()}"})
             for code in ("A", "B", "C")}
    p = {sku: r.create("product", {"sku": sku, "product_name": sku, "unit": "pc", "price": "1"})["id"]
         for sku in ("CAB", "FRAME", "TUBE", "BOLT", "DOOR")}
    r.create("bom", {"product": p["CAB"], "production_line": lines["A"]["id"], "lines": [
        {"component": p["FRAME"], "qty": "1", "production_line": lines["B"]["id"]},
        {"component": p["DOOR"], "qty": "2", "scrap_rate": "0.1", "production_line": lines["C"]["id"]}]})
    r.create("bom", {"product": p["FRAME"], "lines": [
        {"component": p["TUBE"], "qty": "2", "scrap_rate": "0.04", "production_line": lines["C"]["id"]},
        {"component": p["BOLT"], "qty": "8"}]})  # bought: no line, not dispatched
    r.create("bom", {"product": p["DOOR"], "active": False, "lines": [  # an old version: ignored
        {"component": p["BOLT"], "qty": "99", "production_line": lines["A"]["id"]}]})
    customer = r.create("customer", {"company_name": "宁波精工五金有限公司"})
    return {"lines": lines, "products": p, "customer": customer}


def new_order(runtime: Runtime, world: dict[str, Any], qty: str = "10") -> dict[str, Any]:
    return runtime.records().create("order", {
        "customer": world["customer"]["id"], "due_date": (date.today() + timedelta(days=30)).isoformat(),
        "currency": "CNY", "advance_payment_required": False,
        "lines": [{"product": world["products"]["CAB"], "qty": qty, "unit_price": "100"}]},
        actor=SALES)


def approve(runtime: Runtime, order_id: int) -> None:
    flows = WorkflowService(runtime.db, runtime.snapshot())
    order = flows.transition("order", order_id, "submit", SALES)
    if order["status"] != "approved":  # nobody holds a reviewing role here: the review is skipped
        flows.transition("order", order_id, "approve", SYSTEM)


def dispatch_orders(runtime: Runtime, order_id: int) -> list[dict[str, Any]]:
    found = runtime.records().list_all("dispatch_order", {"order": order_id}) if hasattr(
        runtime.records(), "list_all") else None
    if found is not None:
        return found
    import sqlalchemy as sa
    table = runtime.snapshot().tables["dispatch_order"]
    with runtime.db.read() as conn:
        ids = conn.execute(sa.select(table.c.id).where(table.c.order == order_id, table.c.deleted_at.is_(None))
                           .order_by(table.c.id)).scalars().all()
    return [runtime.records().get("dispatch_order", i) for i in ids]


@pytest.fixture
def app(runtime: Runtime) -> Runtime:
    runtime.install_app(app_path("order_management"))
    return runtime


def by_line(runtime: Runtime, world: dict[str, Any], order_id: int) -> dict[str, dict[str, Decimal]]:
    code = {line["id"]: c for c, line in world["lines"].items()}
    sku = {i: s for s, i in world["products"].items()}
    return {code[d["production_line"]]: {sku[row["product"]]: Decimal(row["qty"]) for row in d["lines"]}
            for d in dispatch_orders(runtime, order_id)}


def test_multilevel_explosion_with_scrap_grouped_by_line(app: Runtime) -> None:
    world = plant(app)
    order = new_order(app, world, "10")
    approve(app, order["id"])
    assert by_line(app, world, order["id"]) == {
        "A": {"CAB": Decimal("10")},                               # level 0: final assembly
        "B": {"FRAME": Decimal("10")},                             # 10 × 1
        "C": {"DOOR": Decimal("22"), "TUBE": Decimal("20.8")},     # 10 × 2 × 1.1; 10 × 1 × 2 × 1.04
    }
    (c,) = [d for d in dispatch_orders(app, order["id"]) if d["production_line"] == world["lines"]["C"]["id"]]
    tube = next(row for row in c["lines"] if row["product"] == world["products"]["TUBE"])
    assert tube["level"] == 2 and tube["parent_product"] == world["products"]["FRAME"]
    assert c["leader"] == "lead.C" and c["robot_secret"] == "robot_c" and c["planned_qty"] == "42.800"  # noqa: S105
    assert c["due_date"] == order["due_date"]


def test_generation_is_idempotent_across_revise_and_reapproval(app: Runtime) -> None:
    world = plant(app)
    order = new_order(app, world)
    approve(app, order["id"])
    first = [d["id"] for d in dispatch_orders(app, order["id"])]
    flows = WorkflowService(app.db, app.snapshot())
    flows.transition("order", order["id"], "revise", SALES, comment="客户改交期")
    approve(app, order["id"])
    assert [d["id"] for d in dispatch_orders(app, order["id"])] == first and len(first) == 3


def test_production_percent_follows_every_report(app: Runtime) -> None:
    world = plant(app)
    order = new_order(app, world, "10")
    approve(app, order["id"])
    r = app.records()
    assert Decimal(r.get("order", order["id"])["production_pct"]) == 0
    ds = dispatch_orders(app, order["id"])
    a = next(d for d in ds if d["production_line"] == world["lines"]["A"]["id"])
    production = Actor(9, "li.lei", frozenset({"production"}))
    r.update("dispatch_order", a["id"], {"lines": [{**a["lines"][0], "good_qty": "10"}]}, actor=production)
    got = r.get("order", order["id"])
    assert Decimal(got["production_good"]) == 10 and Decimal(got["production_planned"]) == Decimal("62.8")
    assert Decimal(got["production_pct"]) == Decimal("0.1592")  # 10 / 62.8
    for d in ds:
        d = r.get("dispatch_order", d["id"])
        r.update("dispatch_order", d["id"], {"lines": [{**row, "good_qty": row["qty"]} for row in d["lines"]]},
                 actor=production)
    assert Decimal(r.get("order", order["id"])["production_pct"]) == 1


def test_each_line_leader_hears_of_their_dispatch_order(
        app: Runtime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUNMAO_WECOM_BASE_URL", receiver.url)
    monkeypatch.setenv("SUNMAO_PUBLIC_URL", "https://erp.example.com/")
    world = plant(app)
    for code in ("a", "b", "c"):
        secret_store(app.db).set(f"robot_{code}", f"KEY-{code.upper()}")
    order = new_order(app, world)
    approve(app, order["id"])
    drive(app, lambda: sorted(r["status"] for r in rows(app) if r["webhook"] == "wecom_dispatch_order")
          == ["succeeded"] * 3)
    got = {req.query["key"]: req.json()["markdown"]["content"] for req in receiver.snapshot()
           if "新派工单" in req.body.decode()}
    assert set(got) == {"KEY-A", "KEY-B", "KEY-C"}
    names = {d["production_line"]: d for d in dispatch_orders(app, order["id"])}
    c = names[world["lines"]["C"]["id"]]
    assert f"### 新派工单 {c['name']}" in got["KEY-C"]
    assert f"(https://erp.example.com/app/dispatch_order/{c['id']})" in got["KEY-C"]
    assert "线长：lead.C" in got["KEY-C"] and f"销售订单：{order['name']}" in got["KEY-C"]


def _inspections(runtime: Runtime, order_id: int) -> list[dict[str, Any]]:
    import sqlalchemy as sa
    table = runtime.snapshot().tables["qc_inspection"]
    with runtime.db.read() as conn:
        ids = conn.execute(sa.select(table.c.id).where(table.c.order == order_id).order_by(table.c.id)).scalars().all()
    return [runtime.records().get("qc_inspection", i) for i in ids]


def _to_qc(app: Runtime, world: dict[str, Any]) -> tuple[dict[str, Any], WorkflowService]:
    order = new_order(app, world)
    approve(app, order["id"])
    flows = WorkflowService(app.db, app.snapshot())
    production = Actor(9, "li.lei", frozenset({"production"}))
    for action in ("schedule", "start_production", "finish_production"):
        flows.transition("order", order["id"], action, production)
    return order, flows


def test_passing_the_inspection_passes_the_orders_qc(app: Runtime) -> None:
    world = plant(app)
    order, flows = _to_qc(app, world)
    (inspection,) = _inspections(app, order["id"])
    assert inspection["result"] == "pending" and app.records().get("order", order["id"])["qc_status"] == "pending"
    quality = Actor(11, "zhou.qc", frozenset({"quality"}))
    flows.transition("qc_inspection", inspection["id"], "pass", quality)
    got = app.records().get("order", order["id"])
    assert (got["status"], got["qc_status"]) == ("ready_to_ship", "passed")  # what the ship gate reads


def test_failing_the_inspection_opens_rework(app: Runtime) -> None:
    world = plant(app)
    order, flows = _to_qc(app, world)
    (inspection,) = _inspections(app, order["id"])
    quality = Actor(11, "zhou.qc", frozenset({"quality"}))
    flows.transition("qc_inspection", inspection["id"], "fail", quality, comment="毛刺超标",
                     values={"rework_line": world["lines"]["C"]["id"], "defects": "门板毛刺"})
    got = app.records().get("order", order["id"])
    assert (got["status"], got["qc_status"]) == ("in_production", "failed")
    rework = [d for d in dispatch_orders(app, order["id"]) if d["kind"] == "rework"]
    assert len(rework) == 1 and rework[0]["production_line"] == world["lines"]["C"]["id"]
    assert inspection["name"] in rework[0]["note"] and "门板毛刺" in rework[0]["note"]
    flows.transition("order", order["id"], "finish_production", Actor(9, "li.lei", frozenset({"production"})))
    assert [i["result"] for i in _inspections(app, order["id"])] == ["failed", "pending"]  # inspected again


def test_production_percent_follows_the_api_the_form_and_an_import(app: Runtime) -> None:
    """Three adapters report on three dispatch orders; the order's per cent follows each."""
    from sunmao import accounts
    from sunmao.imports.plan import prepare
    from sunmao.imports.runner import run_import
    from sunmao.web import create_wsgi
    from tests.conftest import make_api
    from tests.imports.conftest import workbook
    from tests.screens.conftest import Browser

    world = plant(app)
    order = new_order(app, world, "10")
    approve(app, order["id"])
    line = {d["production_line"]: d for d in dispatch_orders(app, order["id"])}
    a, b, c = (line[world["lines"][code]["id"]] for code in ("A", "B", "C"))

    def pct() -> Decimal:
        return Decimal(app.records().get("order", order["id"])["production_pct"])

    api = make_api(app, "li.lei", ["production"])  # the API: 10 of 62.8
    answer = api.patch(f"/api/v1/dispatch_order/{a['id']}", json={"lines": [{**a["lines"][0], "good_qty": "10"}]})
    assert answer.status_code == 200, answer.json
    assert pct() == Decimal("0.1592")

    accounts.create_user(app.db, "wu.form", "correct horse battery", ["production"])  # the form: + 10
    browser = Browser(create_wsgi(app)).login("wu.form", "correct horse battery")
    saved = browser.post_json(f"/app/dispatch_order/{b['id']}/edit",
                              {"values": {"lines": [{**b["lines"][0], "good_qty": "10"}]}, "version": b["version"]})
    assert saved.status_code == 200, saved.json
    assert pct() == Decimal("0.3185")  # 20 / 62.8

    def book(ws: Any) -> None:  # an import by record number: + 22 doors and 20.8 tubes
        ws.append(["派工单号", "子件", "计划数量", "合格数"])
        sku = {i: s for s, i in world["products"].items()}
        for row in c["lines"]:
            ws.append([c["name"], sku[row["product"]], row["qty"], row["qty"]])

    records = app.records()
    production = Actor(9, "li.lei", frozenset({"production"}))
    prepared = prepare(records, "dispatch_order", workbook(book), "报工.xlsx")
    plan = prepared.plan
    plan.columns.update({0: "name", 1: "lines.product.sku", 2: "lines.qty", 3: "lines.good_qty"})
    plan.key_field = "name"
    done = run_import(records, production, prepared.table, plan, prepared.targets, commit=True)
    assert done.committed and done.updated == 1, [p.text("en") for p in done.problems]
    assert pct() == 1


def test_a_structure_that_contains_itself_is_refused_and_nothing_is_written(app: Runtime) -> None:
    from sunmao.errors import Conflict

    world = plant(app)
    p = world["products"]
    app.records().create("bom", {"product": p["TUBE"], "lines": [  # a tube made of cabinets
        {"component": p["CAB"], "qty": "1", "production_line": world["lines"]["A"]["id"]}]})
    order = new_order(app, world)
    with pytest.raises(Conflict, match="refers to itself"):
        approve(app, order["id"])
    assert dispatch_orders(app, order["id"]) == []
    assert app.records().get("order", order["id"])["status"] != "approved"


def test_a_generate_naming_a_missing_field_refuses_the_publish(runtime: Runtime, tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        approve_t = next(t for t in doc["transitions"] if t["key"] == "approve")
        approve_t["generate"][0]["structure"]["scrap"] = "loss_rate"
        approve_t["then"] = {"link": "customer", "action": "nothing"}

    text = refused_install(runtime, tmp_path, "workflows/order_lifecycle.json", change)
    assert "generate[0].structure.scrap: 'loss_rate' is not a field of bom_line" in text
    assert "then.action" in text


def test_the_generate_job_catches_up_orders_approved_before_their_bom(app: Runtime) -> None:
    from sunmao.jobs.registry import JobContext
    from sunmao.workflow.jobs import generate

    world = plant(app)
    r = app.records()
    lonely = r.create("product", {"sku": "LAMP", "product_name": "LAMP", "unit": "pc", "price": "1"})
    order = r.create("order", {"customer": world["customer"]["id"], "currency": "CNY",
                               "due_date": (date.today() + timedelta(days=30)).isoformat(),
                               "lines": [{"product": lonely["id"], "qty": "5", "unit_price": "9"}]}, actor=SALES)
    approve(app, order["id"])
    assert dispatch_orders(app, order["id"]) == []  # no BOM yet: nothing to make
    r.create("bom", {"product": lonely["id"], "production_line": world["lines"]["B"]["id"]})
    ctx = JobContext(runtime=app, run_id=None, attempt=1)
    assert generate(ctx, "order", "approve") == {"records": 1, "created": 1}
    assert generate(ctx, "order", "approve") == {"records": 1, "created": 0}  # once
    (made,) = dispatch_orders(app, order["id"])
    assert made["production_line"] == world["lines"]["B"]["id"] and made["planned_qty"] == "5.000"


def test_two_writers_generating_for_the_same_order_make_one_set(app: Runtime) -> None:
    """Two transactions explode the same order at the same moment (two workers catching up, or a
    catch-up beside an approval): the second sees nothing committed yet, yet the database's unique
    index (order, line, origin) lets only one set of dispatch orders exist."""
    import threading

    import sqlalchemy as sa

    from sunmao.errors import Conflict

    world = plant(app)
    order = new_order(app, world)
    approve(app, order["id"])
    table = app.snapshot().tables["dispatch_order"]
    with app.db.write() as conn:  # as if the BOM had come after the approval
        conn.execute(table.delete().where(table.c.order == order["id"]))
    records = app.records()
    (generator,) = WorkflowService(app.db, app.snapshot()).workflow("order").transitions["approve"].generates
    first_wrote, outcome = threading.Event(), {}

    def second() -> None:
        first_wrote.wait(10)
        try:
            with app.db.write() as conn:
                stored = records.fetch(conn, "order", order["id"])
                made = generator.run(records, conn, stored, records.evaluation_data("order", stored, conn), SYSTEM)
            outcome["made"] = len(made)
        except Conflict as exc:
            outcome["conflict"] = exc.extra.get("constraint", "")

    other = threading.Thread(target=second)
    other.start()
    with app.db.write() as conn:
        stored = records.fetch(conn, "order", order["id"])
        assert len(generator.run(records, conn, stored, records.evaluation_data("order", stored, conn), SYSTEM)) == 3
        first_wrote.set()
        other.join(0.5)  # the second writer waits on us (SQLite's lock, PostgreSQL's unique index)
    other.join(10)
    assert outcome.get("made") == 0 or outcome.get("conflict"), outcome  # SQLite: it saw ours; PostgreSQL: refused
    with app.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(table).where(
            table.c.order == order["id"])).scalar() == 3


def test_a_second_dispatch_order_of_the_same_origin_is_refused(app: Runtime) -> None:
    from sunmao.errors import Conflict

    world = plant(app)
    order = new_order(app, world)
    approve(app, order["id"])
    line_a = world["lines"]["A"]["id"]
    with pytest.raises(Conflict) as refused:
        app.records().create("dispatch_order", {"order": order["id"], "production_line": line_a, "origin": "bom"},
                             actor=SYSTEM, skip_read_only=True)
    assert "constraint" in refused.value.extra
    assert len(dispatch_orders(app, order["id"])) == 3
    rework = app.records().create("dispatch_order", {"order": order["id"], "production_line": line_a,
                                                     "kind": "rework", "origin": "QC-1"}, actor=SYSTEM)
    assert rework["origin"] == "QC-1"  # another origin on the same line is another dispatch order
