"""History in words (both languages, by document and path), and every designer word in both languages."""

from __future__ import annotations

import copy
import re
from pathlib import Path

from sunmao.designer.history import diff_apps
from sunmao.designer.words import W
from sunmao.meta.package import load_package
from sunmao.resources import app_path


def _apps() -> dict:
    return {"order_management": copy.deepcopy(load_package(app_path("order_management")).documents)}


def _lines(old: dict, new: dict) -> dict[str, list[str]]:
    return {d.address: [line.text.zh for line in d.lines] for d in diff_apps(old, new)}


def test_entity_fields_added_removed_renamed_changed_and_moved() -> None:
    old, new = _apps(), _apps()
    order = new["order_management"]["entities/order.json"]
    fields = order["fields"]
    fields.append({"id": "f_coat", "key": "coating_color", "type": "select",
                   "label": {"zh": "涂层颜色", "en": "Coating"},
                   "options": [{"value": "black", "label": {"zh": "黑", "en": "Black"}}]})
    fields.remove(next(f for f in fields if f["key"] == "checkout_id"))
    next(f for f in fields if f["key"] == "sales_rep")["key"] = "sales_person"
    next(f for f in fields if f["key"] == "remarks")["required"] = True
    fields.insert(0, fields.pop(5))
    lines = _lines(old, new)["order_management/entities/order.json"]
    assert "新增字段 涂层颜色（coating_color）：单选" in lines
    assert "移除字段 结账批次号（checkout_id）（数据归档保留，可恢复）" in lines
    assert "字段改名：sales_rep → sales_person（业务员（sales_person），数据不变）" in lines
    assert "字段 备注（remarks） 的必填：新增 true" in lines
    assert "字段顺序调整" in lines


def test_forms_views_and_workflows_in_words_with_their_paths() -> None:
    old, new = _apps(), _apps()
    docs = new["order_management"]
    docs["forms/order.json"]["sections"][0]["fields"].append("remarks")
    docs["views/production_queue.json"]["columns"].remove("customer")
    flow = docs["workflows/order_lifecycle.json"]
    review = next(a for a in flow["approvals"] if a["key"] == "review")
    next(b for b in review["branches"] if b["key"] == "finance")["steps"][0]["sla_hours"] = 8
    found = {d.address: d for d in diff_apps(old, new)}
    form = found["order_management/forms/order.json"]
    assert form.title.zh == "表单「销售订单」" and form.lines[0].path == "$.sections[0].fields"
    assert form.lines[0].text.zh == "$.sections[0].fields：加入 remarks"
    assert found["order_management/views/production_queue.json"].lines[0].text.en == "$.columns: removed customer"
    sla = found["order_management/workflows/order_lifecycle.json"].lines[0]
    assert sla.path == "$.approvals[key=review].branches[key=finance].steps[key=finance_review].sla_hours"
    assert sla.text.zh.endswith("4 → 8")


def test_documents_added_and_removed() -> None:
    old, new = _apps(), _apps()
    del new["order_management"]["views/order_board.json"]
    new["order_management"]["views/complaints.json"] = {"kind": "view", "key": "complaints", "entity": "order",
                                                        "type": "list", "label": {"zh": "投诉", "en": "Complaints"}}
    found = {d.address: d for d in diff_apps(old, new)}
    assert found["order_management/views/order_board.json"].action == "removed"
    assert found["order_management/views/complaints.json"].lines[0].text.en == "document added"
    assert "order_management/app.json" not in found  # its document list follows the documents


def test_every_designer_word_exists_in_both_languages() -> None:
    assert all(text.zh.strip() and text.en.strip() for text in W.values())
    assert not [key for key in W if hasattr(dict, key)]  # templates read t.<key>: no dict method names
    root = Path(__file__).resolve().parents[2]
    used = set()
    for path in (root / "widgets" / "designer").glob("*.js"):
        used |= set(re.findall(r"\bW\.([a-z_]+)", path.read_text(encoding="utf-8")))
    for path in (root / "platform" / "sunmao" / "designer" / "templates" / "designer").glob("*.html"):
        used |= set(re.findall(r"\{\{[^}]*\bt\.([a-z_]+)", path.read_text(encoding="utf-8")))
    assert used and not used - set(W), used - set(W)
