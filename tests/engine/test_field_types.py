"""Field types are one class each, in one registry — and a new type (``phone``, one module) works
everywhere a field does: the API (create, update, a 422 naming the field, filters), the form and
record screens, the spreadsheet import, the OpenAPI document, the rules, the designer and a
type change of stored values."""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sunmao import accounts
from sunmao.fields import CLASSES, TYPES, build_registry, conversion_targets, field_type
from sunmao.fields.base import FieldType
from sunmao.fields.phone import SPELLED, STORED, PhoneType, normalise
from sunmao.runtime import Runtime
from sunmao.snapshot import rule_fields
from sunmao.web import create_wsgi
from tests.conftest import Api, make_api
from tests.imports.conftest import workbook
from tests.screens.conftest import Browser

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ROOT / "platform" / "sunmao" / "fields"
#: What the field types may not import: everything above them (they sit above rules and meta).
ABOVE = ("storage", "records", "web", "workflow", "hooks", "jobs", "imports", "designer", "dashboards", "printing",
         "snapshot", "runtime", "features", "cli", "portal", "admin", "notices", "shipping")
PHONE = {"id": "f_phone", "key": "phone", "type": "phone", "label": {"zh": "电话", "en": "Phone"}}


def _with_phone(lab_dir: Path, field: dict[str, Any] | None = None) -> None:
    path = lab_dir / "entities" / "supplier.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["fields"].append(field or PHONE)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def phones(runtime: Runtime, lab_dir: Path) -> Runtime:
    _with_phone(lab_dir)
    runtime.install_app(lab_dir)
    return runtime


@pytest.fixture
def api(phones: Runtime) -> Api:
    return make_api(phones, "root", ["admin"])


# -- the registry ----------------------------------------------------------------------------

def test_the_meta_schema_lists_exactly_the_registered_types() -> None:
    schema = json.loads((ROOT / "metadata" / "entity.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["field"]["properties"]["type"]["enum"] == list(TYPES)
    assert "phone" in TYPES and isinstance(field_type("phone"), PhoneType)


def test_a_type_name_given_twice_is_refused() -> None:
    class Twice(FieldType):
        name = "phone"

    with pytest.raises(ValueError, match="'phone' is defined twice"):
        build_registry((*CLASSES, Twice))
    with pytest.raises(KeyError, match="unknown field type 'fax'"):
        field_type("fax")


def test_the_field_types_import_nothing_above_them() -> None:
    for path in sorted(FIELDS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                parts = name.split(".")
                assert not (parts[0] == "sunmao" and len(parts) > 1 and parts[1] in ABOVE), f"{path.name}: {name}"


def test_importing_the_field_types_loads_only_the_layers_below() -> None:
    code = "import sys, sunmao.fields; print(' '.join(m for m in sys.modules if m.startswith('sunmao')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    below = ("sunmao", "sunmao.fields", "sunmao.meta", "sunmao.rules", "sunmao.i18n", "sunmao.errors", "sunmao.clock")
    assert [m for m in loaded if not m.startswith(tuple(b + "." for b in below)) and m not in below] == []


# -- a phone through the API -----------------------------------------------------------------

def test_a_phone_is_stored_in_one_spelling_on_create_and_update(api: Api) -> None:
    created = api.post("/api/v1/supplier", json={"title": "宁波鑫达", "phone": "+86 138-0013-8000"})
    assert created.status_code == 201, created.json
    assert created.json["phone"] == "13800138000"
    changed = api.patch(f"/api/v1/supplier/{created.json['id']}", json={"phone": "(0574) 6382 1234"},
                        headers={"If-Match": created.headers["ETag"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["phone"] == "057463821234"
    found = api.get("/api/v1/supplier", query_string={"phone": "0574-63821234"})  # a filter is read the same way
    assert [s["id"] for s in found.json["items"]] == [created.json["id"]]


def test_a_wrong_phone_is_a_422_naming_the_field(api: Api) -> None:
    refused = api.post("/api/v1/supplier", json={"title": "宁波鑫达", "phone": "138-0013"})
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["phone"]
    assert "not a phone number" in refused.json["errors"]["phone"][0]
    zh = api.post("/api/v1/supplier", json={"title": "宁波鑫达", "phone": "电话待定"},
                  headers={"Accept-Language": "zh"})
    assert zh.status_code == 422 and "不是电话号码" in zh.json["errors"]["phone"][0]


def test_the_openapi_document_states_the_phone(api: Api) -> None:
    schemas = api.get("/api/v1/openapi.json").json["components"]["schemas"]
    sent, stored = schemas["SupplierInput"]["properties"]["phone"], schemas["Supplier"]["properties"]["phone"]
    assert sent["type"] == ["string", "null"] and sent["pattern"] == SPELLED  # what a client may send
    assert stored["pattern"] == STORED and stored["title"] == "电话"  # what it gets back
    assert re.match(SPELLED, "+86 138-0013-8000") and re.match(STORED, "13800138000")
    # the pattern says exactly what the API takes
    for sample in ("+86 138-0013-8000", "(0574) 6382 1234", "8613800138000", "400-123-4567", "1380013800",
                   "+86 123 4567 8901", "１３８００１３８０００", "138 0013 8000 转 1"):
        assert bool(re.match(SPELLED, sample)) == (normalise(sample) is not None), sample
    params = {p["name"]: p for p in api.get("/api/v1/openapi.json").json["paths"]["/api/v1/supplier"]["get"]
              ["parameters"]}
    assert params["phone"]["schema"]["type"] == "string"


# -- screens, import, rules, designer --------------------------------------------------------

def test_the_form_offers_a_phone_keyboard_and_the_record_a_tel_link(phones: Runtime, api: Api) -> None:
    accounts.create_user(phones.db, "clerk1", "correct horse battery", ["clerk"])
    person = Browser(create_wsgi(phones)).login("clerk1", "correct horse battery")
    form = person.get("/app/supplier/new").text
    assert 'type="tel" inputmode="tel" autocomplete="tel"' in form and 'data-field="phone"' in form
    saved = api.post("/api/v1/supplier", json={"title": "慈溪宏盛", "phone": "0086 139 0000 1111"}).json
    page = person.get(f"/app/supplier/{saved['id']}").text
    assert '<a href="tel:13900001111">13900001111</a>' in page
    assert 'href="tel:13900001111"' in person.get("/app/supplier").text  # the list too


def test_an_imported_phone_is_normalised_and_a_bad_one_named(api: Api) -> None:
    def book(ws: Any) -> None:
        ws.append(["名称", "电话"])
        ws.append(["宁波鑫达", "+86 138 0013 8000"])
        ws.append(["慈溪宏盛", 13900001111])
        ws.append(["苏州恒通", "稍后补"])

    preview = api.client.post("/api/v1/supplier/import", data={"file": (io.BytesIO(workbook(book)), "供应商.xlsx")},
                              headers=api._headers({"Accept-Language": "zh"}))
    assert preview.status_code == 200, preview.text
    result = preview.json["result"]
    assert result["bad_rows"] == [4]
    assert [p["text"] for p in result["problems"]] == [
        "第 4 行 B 列：电话“稍后补”不是电话号码（手机 13800138000、座机 0574-63821234 或 400-123-4567，可带 +86）"]
    done = api.client.post(preview.json["commit_url"] + "?good_rows_only=true", headers=api._headers())
    assert done.status_code == 200 and done.json["status"] == "done", done.text
    stored = {s["title"]: s["phone"] for s in api.get("/api/v1/supplier").json["items"]}
    assert stored == {"宁波鑫达": "13800138000", "慈溪宏盛": "13900001111"}


def test_rules_read_a_phone_as_a_string(phones: Runtime) -> None:
    snap = phones.snapshot()
    assert rule_fields(snap.entities["supplier"], snap.entities)["phone"] == "string"


def test_the_designer_offers_the_phone_type() -> None:
    entry = next(t for t in (ft.designer_entry() for ft in TYPES.values()) if t["type"] == "phone")
    assert entry["label"] == {"zh": "电话", "en": "phone number"}
    assert "phone" in conversion_targets("string") and conversion_targets("phone") == ["string", "text"]
    assert conversion_targets("link") == []  # a link keeps its type


def test_a_text_field_becomes_a_phone_and_its_values_are_normalised(runtime: Runtime, lab_dir: Path) -> None:
    _with_phone(lab_dir, {**PHONE, "type": "string", "length": 40})
    runtime.install_app(lab_dir)
    runtime.records().create_many("supplier", [{"title": "甲", "phone": "+86 138-0013-8000"},
                                               {"title": "乙", "phone": "0574 6382 1234"}, {"title": "丙"}])
    path = lab_dir / "entities" / "supplier.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["fields"] = [f for f in doc["fields"] if f["key"] != "phone"] + [PHONE]  # the same field id, now a phone
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    runtime.install_app(lab_dir)
    with runtime.db.read() as conn:
        rows = conn.execute(sa.text("select title, phone from t_supplier order by id")).all()
    assert [tuple(r) for r in rows] == [("甲", "13800138000"), ("乙", "057463821234"), ("丙", None)]
