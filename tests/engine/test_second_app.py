"""A second app built from metadata alone — a repair shop: tickets with parts, an online-booking
channel, a scan-to-receive page and a scan that takes the parts out of stock — works with the
same engine features as the order app, and the engine names neither app."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from sunmao import accounts
from sunmao.hooks.inbound import set_secret
from sunmao.records import SYSTEM
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.screens.conftest import Browser

REPAIR = Path(__file__).resolve().parents[1] / "fixtures" / "repair"
PLATFORM = Path(__file__).resolve().parents[2] / "platform"
TOKEN = "booking-token-2f9c"  # noqa: S105 - a test fixture


@pytest.fixture
def shop(runtime: Runtime) -> dict[str, Any]:
    runtime.install_app(REPAIR)
    for name, role in (("desk", "counter"), ("tech", "technician")):
        accounts.create_user(runtime.db, name, "correct horse battery", [role])
    set_secret(runtime.db, "booking_token", TOKEN)
    records = runtime.records()
    parts = records.create_many("part", [{"code": "SCR-14", "part_name": "14寸屏幕"},
                                         {"code": "BAT-5000", "part_name": "5000mAh 电池"}], actor=SYSTEM)
    records.create_many("part_move", [{"part": p["id"], "qty": 3, "reason": "stock_in"} for p in parts], actor=SYSTEM)
    stock = records.create_many("part_stock", [{"part": p["id"]} for p in parts], actor=SYSTEM)
    return {"runtime": runtime, "parts": parts, "stock": stock}


def _free(runtime: Runtime, stock_id: int) -> int:
    return runtime.records().get("part_stock", stock_id)["free"]


def test_a_booking_is_received_by_scan_and_its_parts_leave_stock(shop: dict[str, Any]) -> None:
    runtime, parts, stock = shop["runtime"], shop["parts"], shop["stock"]
    assert [_free(runtime, s["id"]) for s in stock] == [3, 3]  # the roll-up of the stock-in movements
    hooks = Client(create_wsgi(runtime))
    booking = {"id": "BK-7781", "name": "王先生", "phone": "+86 139 0000 1111", "device": "ThinkPad X1"}
    booked = hooks.post("/hooks/booking", data=json.dumps(booking),
                        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    assert booked.status_code == 200, booked.json
    ticket = runtime.records().get("ticket", booked.json["order"]["id"])
    assert ticket["state"] == "booked" and ticket["phone"] == "13900001111"  # the channel's phone cleaning

    desk, tech = (Browser(create_wsgi(runtime)).login(n, "correct horse battery") for n in ("desk", "tech"))
    assert "扫码收件" in desk.get("/app").text  # the scan pages the metadata declares are in the menu
    received = desk.post_json("/app/scan", {"code": "BK-7781", "view": "scan_receive"})  # by the booking number
    assert received.status_code == 200 and received.json["done"], received.json
    assert runtime.records().get("ticket", ticket["id"])["state"] == "received"

    runtime.records().update("ticket", ticket["id"], {"parts": [{"part": parts[0]["id"], "count": 1},
                                                                 {"part": parts[1]["id"], "count": 5}]}, actor=SYSTEM)
    short = tech.post_json("/app/scan", {"code": ticket["name"], "view": "scan_repair"})
    assert short.status_code == 409 and "BAT-5000" in short.json["message"] and "short by 2" in short.json["message"]
    assert [_free(runtime, s["id"]) for s in stock] == [3, 3]  # refused: nothing moved
    assert runtime.records().get("ticket", ticket["id"])["state"] == "received"

    runtime.records().update("ticket", ticket["id"], {"parts": [{"part": parts[0]["id"], "count": 1},
                                                                 {"part": parts[1]["id"], "count": 2}]}, actor=SYSTEM)
    done = tech.post_json("/app/scan", {"code": ticket["name"], "view": "scan_repair"})
    assert done.status_code == 200 and done.json["stock_moves"] == 2, done.json
    assert [_free(runtime, s["id"]) for s in stock] == [2, 1]
    moves = [m for m in runtime.records().list("part_move", None)["items"] if m["reason"] == "used"]
    assert sorted(m["qty"] for m in moves) == [-2, -1] and all(m["ticket"] == ticket["id"] for m in moves)
    assert runtime.records().get("ticket", ticket["id"])["state"] == "repaired"
    again = desk.post_json("/app/scan", {"code": ticket["name"], "view": "scan_receive"})
    assert again.status_code == 409  # the workflow refuses a second receive


def test_a_scan_view_naming_what_does_not_exist_is_refused_at_publish(runtime: Runtime, tmp_path: Path) -> None:
    import shutil

    from sunmao.meta.errors import MetadataError

    copy = tmp_path / "repair"
    shutil.copytree(REPAIR, copy)
    view = json.loads((copy / "views" / "scan_repair.json").read_text())
    view["scan"]["action"] = "fix"
    view["scan"]["issue"]["stock"]["available"] = "spare"
    (copy / "views" / "scan_repair.json").write_text(json.dumps(view))
    with pytest.raises(MetadataError) as refused:
        runtime.install_app(copy)
    text = str(refused.value)
    assert "scan.action" in text and "'fix' is not an action" in text
    assert "scan.issue.stock.available" in text and "'spare' is not a field of part_stock" in text


def test_the_engine_names_no_app() -> None:
    """No entity or field of the order app (or of this one) is named in the engine's code, and the
    time zone is set in one place. (A channel document's own words — the incoming ``order`` and
    its ``customer`` section — are the channel feature's vocabulary, not an app's entities: they
    are never used to reach an entity, a table or a field.)"""
    names = ["order_line", "product", "sku", "qty", "on_hand", "stock_level", "stock_move", "shipment",
             "company_name", "weight_kg", "exchange_rate", "ticket", "part_stock"]
    assert not _grep(r"[\"'](" + "|".join(names) + r")[\"']")
    assert not _grep(r"(entities|tables|compiled|by_key)\[[\"'](order|customer)[\"']")
    assert not _grep(r"ZoneInfo\([\"']")  # every zone comes from sunmao.clock


def _grep(pattern: str) -> list[str]:
    """The lines of the engine's Python that match ``pattern`` (extended regular expression)."""
    found = subprocess.run(["grep", "-rnE", pattern, str(PLATFORM / "sunmao"), "--include=*.py"],
                           capture_output=True, text=True, check=False)
    return found.stdout.splitlines()
