"""App packages: broken ones are refused with file, JSON path and message; export is byte-stable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sunmao.meta.errors import MetadataError
from sunmao.meta.package import load_package
from sunmao.resources import app_path
from sunmao.runtime import Runtime


def _break(lab_dir: Path, rel: str, change) -> None:  # type: ignore[no-untyped-def]
    path = lab_dir / rel
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def _problems(lab_dir: Path) -> list[str]:
    with pytest.raises(MetadataError) as info:
        load_package(lab_dir)
    return [str(p) for p in info.value.problems]


def test_schema_errors_name_file_path_and_fix(lab_dir: Path) -> None:
    _break(lab_dir, "entities/widget.json", lambda d: d["fields"][3].update(type="money"))
    _break(lab_dir, "entities/supplier.json", lambda d: d["fields"][0].pop("label"))
    problems = _problems(lab_dir)
    assert any(p.startswith("entities/widget.json: $.fields[3].type: 'money' is not one of") for p in problems)
    assert any(p.startswith("entities/supplier.json: $.fields[0]: 'label' is a required property: add it")
               for p in problems)


def test_bad_identifier_and_unknown_property(lab_dir: Path) -> None:
    _break(lab_dir, "entities/widget.json", lambda d: d["fields"][0].update(key="Title; DROP TABLE"))
    _break(lab_dir, "entities/supplier.json", lambda d: d.update(colour="red"))
    problems = _problems(lab_dir)
    assert any("$.fields[0].key" in p and "Lower-case letters, digits and underscores" in p for p in problems)
    assert any("supplier.json: $: Additional properties are not allowed ('colour' was unexpected); remove it"
               in p for p in problems)


def test_invalid_json_names_line_and_column(lab_dir: Path) -> None:
    (lab_dir / "entities" / "supplier.json").write_text('{\n  "kind": "entity",\n  "key": \n}', encoding="utf-8")
    assert _problems(lab_dir) == ["entities/supplier.json: line 4 column 1: invalid JSON: Expecting value"]


def test_missing_document(lab_dir: Path) -> None:
    (lab_dir / "entities" / "supplier.json").unlink()
    assert _problems(lab_dir)[0].startswith("entities/supplier.json: $: file not found")


def test_cross_document_checks_refuse_install(runtime: Runtime, lab_dir: Path) -> None:
    _break(lab_dir, "entities/widget.json", lambda d: d["fields"][10].update(to="vendor"))
    _break(lab_dir, "entities/widget.json", lambda d: d["fields"][1].update(key="version"))
    with pytest.raises(MetadataError) as info:
        runtime.install_app(lab_dir)
    text = [str(p) for p in info.value.problems]
    assert any("lab/entities/widget.json: $.fields[10].to: link target 'vendor' is not an entity" in p for p in text)
    assert any("$.fields[1].key: 'version' is a system column" in p for p in text)
    assert runtime.current_version(fresh=True) is None


def test_bad_formula_is_refused_with_its_path(runtime: Runtime, lab_dir: Path) -> None:
    _break(lab_dir, "entities/widget.json", lambda d: d["fields"][15].update(formula={"frobnicate": [1]}))
    with pytest.raises(MetadataError) as info:
        runtime.install_app(lab_dir)
    assert any(p.path == "$.fields[15].formula" and "frobnicate" in p.message for p in info.value.problems)


def test_export_round_trip_is_byte_stable(runtime: Runtime, tmp_path: Path) -> None:
    source = tmp_path / "om"
    shutil.copytree(app_path("order_management"), source)
    runtime.install_app(source)
    out = tmp_path / "exported"
    runtime.export_app("order_management", out)
    manifest = json.loads((source / "app.json").read_text(encoding="utf-8"))
    for rel in ["app.json", *manifest["documents"]]:
        assert (out / rel).read_bytes() == (source / rel).read_bytes(), rel
    # Installing the export again changes nothing and round-trips again.
    result = runtime.install_app(out)
    assert result.steps == []
    again = tmp_path / "again"
    runtime.export_app("order_management", again)
    for rel in ["app.json", *manifest["documents"]]:
        assert (again / rel).read_bytes() == (source / rel).read_bytes(), rel
