"""Schema evolution on tables with rows: every row and value survives, or the change is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from sunmao.runtime import Runtime
from sunmao.storage.migrate import MigrationRefused


def _edit(lab_dir: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = lab_dir / "entities" / "widget.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _field(doc: dict, field_id: str) -> dict:
    return next(f for f in doc["fields"] if f["id"] == field_id)


def _rename(doc: dict, field_id: str, new_key: str) -> None:
    """Rename a field and the places that name it by key (what the designer does on a rename)."""
    field = _field(doc, field_id)
    old_key = field["key"]
    field["key"] = new_key
    doc["search_fields"] = [new_key if k == old_key else k for k in doc.get("search_fields", [])]
    for index in doc.get("indexes", []):
        index["fields"] = [new_key if k == old_key else k for k in index["fields"]]

    def rewrite(node: object) -> None:  # formulas and rules read the field by key
        if isinstance(node, dict):
            if node.get("var") == old_key:
                node["var"] = new_key
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)
    rewrite(doc["fields"])
    rewrite(doc.get("rules", []))


def _seed(runtime: Runtime) -> list[dict]:
    records = runtime.records()
    return records.create_many("widget", [
        {"title": "甲", "code": "AA-001", "qty": 10, "price": "1.50", "notes": "42"},
        {"title": "乙", "code": "AA-002", "qty": 20, "price": "2.25", "notes": "17"},
        {"title": "丙", "qty": 30, "notes": None, "parts": [{"part": "p", "qty": 2, "unit_price": "3.00"}]},
    ])


def _rows(runtime: Runtime) -> list[dict]:
    return runtime.records().list("widget", None)["items"]


def test_add_field_keeps_rows(lab: Runtime, lab_dir: Path) -> None:
    before = _seed(lab)
    _edit(lab_dir, lambda d: d["fields"].append(
        {"id": "f_weight", "key": "weight", "type": "decimal", "scale": 3, "label": {"zh": "重量", "en": "Weight"}}))
    result = lab.install_app(lab_dir)
    assert [s.action for s in result.steps] == ["add_column"]
    after = _rows(lab)
    assert [r["title"] for r in after] == [r["title"] for r in before]
    assert all(r["weight"] is None for r in after)
    lab.records().update("widget", after[0]["id"], {"weight": "1.125"})
    assert lab.records().get("widget", after[0]["id"])["weight"] == "1.125"


def test_rename_is_recognised_by_field_id(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)
    _edit(lab_dir, lambda d: _rename(d, "f_qty", "quantity"))
    result = lab.install_app(lab_dir)
    assert "rename_column" in [s.action for s in result.steps]
    assert "add_column" not in [s.action for s in result.steps]
    assert [r["quantity"] for r in _rows(lab)] == [10, 20, 30]
    assert lab.records().list("widget", None)["items"][0].get("qty") is None


def test_swapping_two_keys(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)

    def swap(d: dict) -> None:
        _field(d, "f_title").update(key="notes")
        _field(d, "f_notes").update(key="title")
        d["search_fields"] = ["notes", "code"]
    _edit(lab_dir, swap)
    lab.install_app(lab_dir)
    rows = _rows(lab)
    assert [r["notes"] for r in rows] == ["甲", "乙", "丙"]
    assert [r["title"] for r in rows] == ["42", "17", None]


def test_type_change_converts_every_value(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)
    _edit(lab_dir, lambda d: _field(d, "f_notes").update(type="integer"))
    result = lab.install_app(lab_dir)
    assert "change_type" in [s.action for s in result.steps]
    assert [r["notes"] for r in _rows(lab)] == [42, 17, None]
    _edit(lab_dir, lambda d: _field(d, "f_notes").update(type="decimal", scale=2))
    lab.install_app(lab_dir)
    assert [r["notes"] for r in _rows(lab)] == ["42.00", "17.00", None]


def test_type_change_refused_lists_rows_and_changes_nothing(lab: Runtime, lab_dir: Path) -> None:
    created = _seed(lab)
    version = lab.current_version(fresh=True)
    _edit(lab_dir, lambda d: _field(d, "f_title").update(type="integer"))
    with pytest.raises(MigrationRefused) as info:
        lab.install_app(lab_dir)
    refused = info.value
    assert refused.field_key == "title"
    assert sorted(r["id"] for r in refused.rows) == sorted(r["id"] for r in created)
    assert refused.rows[0]["reason"] == "'甲' cannot be read as integer"
    assert "refused" in refused.text.en and "拒绝" in refused.text.zh
    assert lab.current_version(fresh=True) == version
    assert [r["title"] for r in _rows(lab)] == ["甲", "乙", "丙"]


def test_refused_change_in_a_multi_step_publish_leaves_earlier_steps_undone(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)

    def change(d: dict) -> None:
        d["fields"].append({"id": "f_new", "key": "fresh", "type": "string", "label": {"zh": "新", "en": "New"}})
        _rename(d, "f_qty", "amount_count")
        _field(d, "f_title").update(type="date")
    _edit(lab_dir, change)
    with pytest.raises(MigrationRefused):
        lab.install_app(lab_dir)
    with lab.db.read() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("t_widget")}
    assert "fresh" not in columns and "amount_count" not in columns and "qty" in columns
    assert not any(c.startswith("_") for c in columns)


def test_widening_keeps_values(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)
    _edit(lab_dir, lambda d: _field(d, "f_price").update(precision=16))
    lab.install_app(lab_dir)
    _edit(lab_dir, lambda d: _field(d, "f_title").update(length=200))
    lab.install_app(lab_dir)
    rows = _rows(lab)
    assert [r["price"] for r in rows] == ["1.50", "2.25", None]
    lab.records().update("widget", rows[0]["id"], {"title": "长" * 150})


def test_archive_and_restore_a_field(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)
    original = json.loads((lab_dir / "entities" / "widget.json").read_text(encoding="utf-8"))
    def drop_code(d: dict) -> None:
        d["fields"].remove(_field(d, "f_code"))
        d["search_fields"].remove("code")
        for p in d["permissions"]:
            p["readonly_fields"] = [k for k in p.get("readonly_fields", []) if k != "code"]
    _edit(lab_dir, drop_code)
    result = lab.install_app(lab_dir)
    assert [s.action for s in result.steps if s.action != "drop_index"] == ["archive_column"]
    rows = _rows(lab)
    assert all("code" not in r for r in rows)
    with lab.db.read() as conn:
        archived = conn.execute(sa.text("SELECT _arch_f_code FROM t_widget ORDER BY id")).scalars().all()
    assert archived == ["AA-001", "AA-002", None]
    # A new field may now take the freed key without touching the archived data.
    _edit(lab_dir, lambda d: d["fields"].append(
        {"id": "f_code2", "key": "code", "type": "string", "label": {"zh": "新编码", "en": "New code"}}))
    lab.install_app(lab_dir)
    assert all(r["code"] is None for r in _rows(lab))
    # Restoring the original document brings the old values back under their key.
    (lab_dir / "entities" / "widget.json").write_text(json.dumps(original, ensure_ascii=False, indent=2) + "\n",
                                                      encoding="utf-8")
    result = lab.install_app(lab_dir)
    assert "restore_column" in [s.action for s in result.steps]
    assert [r["code"] for r in _rows(lab)] == ["AA-001", "AA-002", None]


def test_making_a_field_unique_is_refused_over_duplicates(lab: Runtime, lab_dir: Path) -> None:
    lab.records().create_many("widget", [{"title": "同名"}, {"title": "同名"}])
    _edit(lab_dir, lambda d: _field(d, "f_title").update(unique=True))
    with pytest.raises(MigrationRefused) as info:
        lab.install_app(lab_dir)
    assert info.value.rows == [{"title": "同名", "n": 2}]


def test_rollback_publishes_an_earlier_version(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)
    first = lab.current_version(fresh=True)
    _edit(lab_dir, lambda d: _rename(d, "f_qty", "pieces"))
    lab.install_app(lab_dir)
    result = lab.rollback(first)
    assert result.version == first + 2
    assert [r["qty"] for r in _rows(lab)] == [10, 20, 30]


def test_dry_run_plans_without_changing(lab: Runtime, lab_dir: Path) -> None:
    _seed(lab)
    apps = lab.current_apps()[0]
    widget = apps["lab"]["entities/widget.json"]
    _rename(widget, "f_qty", "pieces")
    result = lab.publish(apps, dry_run=True)
    assert [s.action for s in result.steps] == ["rename_column", "create_index", "drop_index"] or \
        "rename_column" in [s.action for s in result.steps]
    assert [r["qty"] for r in _rows(lab)] == [10, 20, 30]


def test_an_index_that_starts_a_longer_one_is_dropped(lab: Runtime, lab_dir: Path) -> None:
    """(supplier) is the link's own index; once (supplier, due) is declared it is redundant: the
    longer index answers the same lookups, and each write would maintain both."""
    def indexes() -> set[tuple[str, ...]]:
        with lab.db.read() as conn:
            return {tuple(ix["column_names"]) for ix in sa.inspect(conn).get_indexes("t_widget")}

    assert ("supplier",) in indexes()
    _edit(lab_dir, lambda doc: doc["indexes"].append({"fields": ["supplier", "due"]}))
    lab.install_app(lab_dir)
    after = indexes()
    assert ("supplier", "due") in after and ("supplier",) not in after
    if lab.db.is_sqlite:
        with lab.db.read() as conn:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT id FROM t_widget WHERE supplier = 1").all()
        assert any("supplier" in str(row) and "INDEX" in str(row).upper() for row in plan), plan


def test_a_links_own_index_leaves_out_empty_links_and_still_serves_lookups(lab: Runtime) -> None:
    with lab.db.read() as conn:
        (supplier_index,) = [ix for ix in sa.inspect(conn).get_indexes("t_widget")
                             if tuple(ix["column_names"]) == ("supplier",)]
        if lab.db.is_sqlite:
            partial = {row[1]: row[4] for row in conn.exec_driver_sql("PRAGMA index_list('t_widget')")}
            assert partial[supplier_index["name"]] == 1
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT id FROM t_widget WHERE supplier = 7").all()
            assert any(supplier_index["name"] in str(row) for row in plan), plan
        else:
            definition = conn.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :n "
                                              "AND schemaname = current_schema()"),
                                      {"n": supplier_index["name"]}).scalar_one()
            assert "WHERE (supplier IS NOT NULL)" in definition
