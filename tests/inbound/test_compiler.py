"""Channel documents are checked when metadata is published: problems name the file and the
JSON path, so a mapping mistake refuses the publish instead of bouncing orders later."""

from __future__ import annotations

import copy

import pytest

from sunmao import resources
from sunmao.assembly import FEATURES
from sunmao.meta.errors import MetadataError
from sunmao.meta.package import load_package
from sunmao.snapshot import compile_snapshot

FILE = "order_management/channels/web_shop.json"


def _apps() -> dict:
    package = load_package(resources.app_path("order_management"))
    return {package.key: copy.deepcopy(package.documents)}


def _problems(apps: dict) -> list[tuple[str, str, str]]:
    with pytest.raises(MetadataError) as refused:
        compile_snapshot(2, apps, features=[c for f in FEATURES for c in f.compilers])
    return [(p.file, p.path, p.message) for p in refused.value.problems]


def test_the_app_channels_compile() -> None:
    snapshot = compile_snapshot(1, _apps(), features=[c for f in FEATURES for c in f.compilers])
    channels = snapshot.features["channels"]
    assert set(channels) == {"web_shop", "wecom_form", "alibaba"}
    assert channels["alibaba"].mode == "pull" and channels["web_shop"].auth.type == "hmac"


def test_bad_rules_paths_and_fields_are_named_with_file_and_path() -> None:
    apps = _apps()
    doc = apps["order_management"]["channels/web_shop.json"]
    doc["dedup_key"] = {"cat_all": [{"var": "order.id"}]}
    doc["fields"]["due_dat"] = "meta_data[key=_delivery_date].value"
    doc["fields"]["amount"] = "total"
    doc["lines"]["fields"]["qty"] = {"from": "quantity..x"}
    doc["lines"]["fields"]["product"]["lookup"]["by"] = "sku_code"
    doc["customer"]["match"].append({"field": "wechat", "as": "exact"})
    doc["skip"][0]["when"] = {"in": [{"var": "order.status"}]}
    found = _problems(apps)
    by_path = {path: message for file, path, message in found if file == FILE}
    assert set(by_path) >= {"$.dedup_key", "$.fields.due_dat", "$.fields.amount", "$.lines.fields.qty.from",
                            "$.lines.fields.product.lookup.by", "$.customer.match[3].field", "$.skip[0].when"}
    assert "unknown operator" in by_path["$.dedup_key"].lower() or "cat_all" in by_path["$.dedup_key"]
    assert "order has no field 'due_dat'" in by_path["$.fields.due_dat"]
    assert "computed or read-only" in by_path["$.fields.amount"]
    assert "empty step" in by_path["$.lines.fields.qty.from"]
    assert "product has no field 'sku_code'" in by_path["$.lines.fields.product.lookup.by"]


def test_unmapped_required_field_and_schema_errors() -> None:
    apps = _apps()
    doc = apps["order_management"]["channels/wecom_form.json"]
    del doc["fields"]["due_date"]
    doc["time_zone"] = "Asia/Shanghia"
    found = _problems(apps)
    messages = {(path, message) for file, path, message in found if file.endswith("wecom_form.json")}
    assert ("$.fields", "order.due_date is required and has no default: map it") in messages
    assert any(path == "$.time_zone" and "unknown time zone" in message for path, message in messages)

    apps = _apps()
    apps["order_management"]["channels/alibaba.json"]["auth"] = {"type": "hmac", "secrets": ["x"]}
    schema_problems = _problems(apps)
    assert any(file.endswith("alibaba.json") and path.startswith("$.auth") for file, path, _ in schema_problems)
