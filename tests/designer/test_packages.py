"""Packages: canonical byte-stable export; an upgrade of a customised app keeps the plant's
changes, brings the new version's, and shows what both changed as a conflict — nothing lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sunmao.designer import packages
from sunmao.designer.drafts import Drafts
from sunmao.designer.publishing import publish_draft, resolve_conflicts
from sunmao.resources import app_path
from sunmao.runtime import Runtime
from tests.designer.conftest import ANNA, save

ORDER = "order_management/entities/order.json"
FLOW = "order_management/workflows/order_lifecycle.json"
FORM = "order_management/forms/order.json"


def _finance_when(flow: dict) -> dict:
    review = next(a for a in flow["approvals"] if a["key"] == "review")
    return next(b for b in review["branches"] if b["key"] == "finance")["when"]


def _threshold(flow: dict) -> Any:
    return _finance_when(flow)["and"][1][">"][1]


def _set_threshold(flow: dict, value: int) -> None:
    _finance_when(flow)["and"][1][">"][1] = value


def _field(key: str, zh: str, en: str) -> dict:
    return {"id": f"f_{key}", "key": key, "type": "string", "label": {"zh": zh, "en": en}}


@pytest.fixture
def shipped_v2(tmp_path: Path) -> Path:
    """The order app 0.2 as a vendor would ship it: a new field and a new review threshold."""
    target = tmp_path / "order_management"
    shutil.copytree(app_path("order_management"), target)
    manifest = json.loads((target / "app.json").read_text(encoding="utf-8"))
    manifest["version"] = "0.2.0"
    (target / "app.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    order = json.loads((target / "entities/order.json").read_text(encoding="utf-8"))
    order["fields"].append(_field("incoterms", "贸易术语", "Incoterms"))
    (target / "entities/order.json").write_text(json.dumps(order, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
    flow = json.loads((target / "workflows/order_lifecycle.json").read_text(encoding="utf-8"))
    _set_threshold(flow, 30000)
    (target / "workflows/order_lifecycle.json").write_text(json.dumps(flow, ensure_ascii=False, indent=2) + "\n",
                                                           encoding="utf-8")
    return target


def _customise(runtime: Runtime) -> Drafts:
    """The plant's own changes, made in the designer: a field, a threshold, a rearranged form."""
    drafts = Drafts(runtime)
    d = drafts.create(ANNA, title="本厂定制")
    save(drafts, d.id, ORDER, lambda doc: doc["fields"].append(_field("coating_color", "涂层颜色", "Coating colour")))
    save(drafts, d.id, FLOW, lambda flow: _set_threshold(flow, 80000))

    def rearrange(form: dict) -> None:
        first, second = form["sections"][0], form["sections"][1]
        second["fields"].remove("due_date")
        first["fields"].insert(0, "due_date")
        first["fields"].append("coating_color")
    save(drafts, d.id, FORM, rearrange)
    publish_draft(runtime, drafts, d.id, ANNA, "本厂定制")
    return drafts


def test_an_upgrade_keeps_customizations_brings_new_fields_and_shows_the_conflict(runtime: Runtime,
                                                                                   shipped_v2: Path) -> None:
    packages.install(runtime, app_path("order_management"))
    drafts = _customise(runtime)
    from tests.screens import demo

    data = demo.seed(runtime, orders=3)
    runtime.records().update("order", data["orders"][0]["id"], {"coating_color": "哑光黑"})
    before = runtime.current_version(fresh=True)

    with pytest.raises(packages.UpgradeConflicts) as refused:  # the CLI path: nothing changes
        packages.install(runtime, shipped_v2)
    [conflict] = refused.value.extra["conflicts"]
    assert (conflict["document"], conflict["path"]) == (FLOW, "$.approvals[key=review].branches[key=finance].when.and")
    # the shipped 0.1 names the threshold as a setting; both sides replaced it with a number of their own
    assert [c[">"][1] for c in (conflict["ours"][1], conflict["theirs"][1], conflict["base"][1])] == \
        [80000, 30000, {"setting": "finance_review_threshold"}]
    assert runtime.current_version(fresh=True) == before

    upgrade = packages.import_as_draft(runtime, drafts, ANNA, packages.load_package(shipped_v2))
    assert upgrade.origin["previous"] == "0.1.0" and upgrade.origin["customised"]
    docs = drafts.documents(upgrade.id)
    keys = [f["key"] for f in docs["order_management"]["entities/order.json"]["fields"]]
    assert "coating_color" in keys and "incoterms" in keys
    assert docs["order_management"]["forms/order.json"]["sections"][0]["fields"][0] == "due_date"
    assert _threshold(docs["order_management"]["workflows/order_lifecycle.json"]) == 80000  # ours until decided
    assert [c["path"] for c in upgrade.conflicts] == [conflict["path"]]
    with pytest.raises(Exception, match="undecided"):
        publish_draft(runtime, drafts, upgrade.id, ANNA, "upgrade")
    resolve_conflicts(drafts, upgrade.id, ANNA, {upgrade.conflicts[0]["id"]: "theirs"})
    done = publish_draft(runtime, drafts, upgrade.id, ANNA, "upgrade to 0.2")
    assert [s.action for s in done.result.steps] == ["add_column"]
    published = runtime.revision_documents(done.result.version)["order_management"]
    assert _threshold(published["workflows/order_lifecycle.json"]) == 30000
    assert published["app.json"]["version"] == "0.2.0"
    assert runtime.records().get("order", data["orders"][0]["id"])["coating_color"] == "哑光黑"
    # The next upgrade merges from 0.2 as shipped: re-installing it changes nothing.
    again = packages.plan_upgrade(runtime, packages.load_package(shipped_v2))
    assert again.conflicts == [] and again.documents == runtime.revision_documents(done.result.version)


def test_the_cli_installs_refuses_on_conflict_and_takes_a_side(runtime: Runtime, shipped_v2: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    from sunmao.cli import main

    monkeypatch.setenv("DATABASE_URL", runtime.db.url.render_as_string(hide_password=False))
    cli = CliRunner()
    assert cli.invoke(main, ["app", "install", "order_management"]).exit_code == 0
    _customise(runtime)
    refused = cli.invoke(main, ["app", "install", str(shipped_v2)])
    assert refused.exit_code == 2 and "this plant has" in refused.output and "80000" in refused.output
    taken = cli.invoke(main, ["app", "install", str(shipped_v2), "--take", "ours"])
    assert taken.exit_code == 0, taken.output
    docs = runtime.revision_documents(runtime.current_version(fresh=True))["order_management"]
    assert _threshold(docs["workflows/order_lifecycle.json"]) == 80000
    assert "incoterms" in [f["key"] for f in docs["entities/order.json"]["fields"]]
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    assert cli.invoke(main, ["app", "export", "order_management", str(out_a)]).exit_code == 0
    assert cli.invoke(main, ["app", "export", "order_management", str(out_b)]).exit_code == 0
    files = sorted(p.relative_to(out_a) for p in out_a.rglob("*.json"))
    assert files and all((out_a / f).read_bytes() == (out_b / f).read_bytes() for f in files)
    # Unchanged documents are the shipped bytes; changed ones keep the shipped key order.
    assert (out_a / "views/orders.json").read_bytes() == (shipped_v2 / "views/orders.json").read_bytes()
    exported = json.loads((out_a / "entities/order.json").read_text(encoding="utf-8"))
    assert list(exported) == list(json.loads((shipped_v2 / "entities/order.json").read_text(encoding="utf-8")))


def test_export_is_the_same_bytes_on_sqlite_and_postgresql_key_order(runtime: Runtime) -> None:
    packages.install(runtime, app_path("order_management"))
    drafts = Drafts(runtime)
    d = drafts.create(ANNA, title="x")
    save(drafts, d.id, ORDER, lambda doc: doc["fields"].append(_field("coating_color", "涂层颜色", "Coating")))
    publish_draft(runtime, drafts, d.id, ANNA, "x")
    files = packages.export_files(*packages.installed(runtime, "order_management"))
    text = files["entities/order.json"].decode()
    assert text.startswith('{\n  "kind": "entity",\n  "key": "order",') and '"key": "coating_color"' in text
    assert files["views/orders.json"] == (app_path("order_management") / "views/orders.json").read_bytes()
