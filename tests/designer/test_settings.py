"""App settings: named parameters that rules read as {"setting": key}, resolved at compile."""

from __future__ import annotations

import copy

from sunmao.meta.package import load_package
from sunmao.meta.settings import resolve_settings, values
from sunmao.resources import app_path
from sunmao.snapshot import validate_apps


def _apps() -> dict:
    package = load_package(app_path("order_management"))
    return {package.key: copy.deepcopy(package.documents)}


def test_the_order_app_names_its_threshold_and_weights() -> None:
    table = values(_apps())
    assert table["finance_review_threshold"] == 50000
    weights = (table["score_weight_on_time"], table["score_weight_orders"], table["score_weight_margin"])
    assert weights == (0.4, 0.3, 0.3)


def test_references_are_replaced_by_values_and_the_stored_documents_keep_them() -> None:
    apps = _apps()
    resolved, problems = resolve_settings(apps)
    assert problems == []
    flow = resolved["order_management"]["workflows/order_lifecycle.json"]
    finance = flow["approvals"][0]["branches"][0]
    assert finance["when"]["and"][1][">"][1] == 50000
    raw = apps["order_management"]["workflows/order_lifecycle.json"]["approvals"][0]["branches"][0]
    assert raw["when"]["and"][1][">"][1] == {"setting": "finance_review_threshold"}


def test_an_unknown_setting_is_a_problem_naming_the_place_and_the_known_keys() -> None:
    apps = _apps()
    flow = apps["order_management"]["workflows/order_lifecycle.json"]
    flow["approvals"][0]["branches"][0]["when"]["and"][1][">"][1] = {"setting": "finance_threshold"}
    problems = validate_apps(apps)
    assert len(problems) == 1
    p = problems[0]
    assert p.file == "order_management/workflows/order_lifecycle.json"
    assert p.path == "$.approvals[0].branches[0].when.and[1].>[1]"
    assert "finance_review_threshold" in p.message


def test_a_value_out_of_range_is_a_problem() -> None:
    apps = _apps()
    doc = apps["order_management"]["settings/order_settings.json"]
    doc["parameters"][1]["value"] = 1.5
    assert any("outside" in p.message for p in validate_apps(apps))
