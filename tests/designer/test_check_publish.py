"""Check → publish: broken edits refused at check with document, path and fix; the plan in words;
two designers never overwrite each other; rollback and revert keep the data."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from sunmao.designer.checks import check_documents
from sunmao.designer.drafts import Drafts
from sunmao.designer.publishing import (
    BaseMoved,
    PublishRefused,
    merge_draft,
    publish_draft,
    resolve_conflicts,
    revert_draft,
    rollback_draft,
)
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from tests.designer.conftest import ANNA, BEN, WIDGET, field, save


def _check(lab: Runtime, drafts: Drafts, draft_id: int) -> Any:
    info = drafts.info(draft_id)
    return check_documents(lab, drafts.documents(draft_id), info.base_version, pending=info.conflicts)


def _seed(lab: Runtime) -> list[dict]:
    return lab.records().create_many("widget", [
        {"title": "甲", "code": "AA-001", "qty": 10, "notes": "2026-11-02"},
        {"title": "乙", "code": "AA-002", "qty": 20, "notes": "下周三"},
        {"title": "丙", "qty": 30, "notes": None},
        {"title": "丁", "qty": 40, "notes": "42"},
    ])


def _f(doc: dict, key: str) -> dict:
    return next(f for f in doc["fields"] if f["key"] == key)


def test_a_clean_draft_checks_with_the_plan_in_both_languages(lab: Runtime, drafts: Drafts) -> None:
    d = drafts.create(ANNA, title="coating")
    red = {"value": "red", "label": {"zh": "红", "en": "Red"}, "color": "#cc0000"}
    save(drafts, d.id, WIDGET,
         lambda doc: doc["fields"].append(field("f_coat", "coating", "select", "涂层颜色", options=[red])))
    report = _check(lab, drafts, d.id)
    assert report.ok, report.as_dict()
    assert [s.as_dict()["zh"] for s in report.steps] == ["新增字段 涂层颜色（coating）"]
    assert report.as_dict()["changes"][0]["lines"][0]["zh"] == "新增字段 涂层颜色（coating）：单选"


@pytest.mark.parametrize(("change", "path", "words"), [
    (lambda doc: _f(doc, "total").update(formula={"*": [{"var": "qtty"}, 2]}), "$.fields[14].formula",
     "did you mean 'qty'"),
    (lambda doc: doc.pop("label"), "$", "'label' is a required property: add it"),
    (lambda doc: _f(doc, "code").update(key="title"), "$.fields[1].key", "rename one"),
])
def test_a_broken_edit_is_refused_at_check_naming_document_path_and_fix(lab: Runtime, drafts: Drafts, change: Any,
                                                                        path: str, words: str) -> None:
    d = drafts.create(ANNA, title="broken")
    save(drafts, d.id, WIDGET, change)
    report = _check(lab, drafts, d.id)
    assert not report.ok
    problems = report.as_dict()["problems"]
    assert any(p["document"] == WIDGET and p["path"].startswith(path) and words in p["message"]
               for p in problems), problems
    with pytest.raises(PublishRefused) as refused:
        publish_draft(lab, drafts, d.id, ANNA, "try")
    assert refused.value.extra["problems"]
    assert lab.current_version() == d.base_version


def test_a_lossy_type_change_lists_the_rows_and_is_refused_until_fixed_or_archived(lab: Runtime,
                                                                                  drafts: Drafts) -> None:
    rows = _seed(lab)
    d = drafts.create(ANNA, title="notes → date")
    save(drafts, d.id, WIDGET, lambda doc: _f(doc, "notes").update(type="date"))
    report = _check(lab, drafts, d.id)
    [refused] = report.as_dict()["refused"]
    bad = [rows[1]["id"], rows[3]["id"]]
    assert [r["id"] for r in refused["rows"]] == bad
    assert refused["zh"].startswith(
        f"将把字段 备注（notes）从长文本转为日期：2 行无法转换（第 {bad[0]}、{bad[1]} 号部件）")
    assert "archive the field" in refused["en"]
    with pytest.raises(PublishRefused):
        publish_draft(lab, drafts, d.id, ANNA, "refused")
    # Fix the rows, and the same draft publishes; every value converted.
    lab.records().update("widget", rows[1]["id"], {"notes": "2026-11-04"})
    lab.records().update("widget", rows[3]["id"], {"notes": ""})
    assert _check(lab, drafts, d.id).ok
    done = publish_draft(lab, drafts, d.id, ANNA, "notes are dates")
    assert [s.action for s in done.result.steps] == ["change_type"]
    assert lab.records().get("widget", rows[0]["id"])["notes"] == "2026-11-02"


def test_archiving_the_field_instead_publishes_and_keeps_its_data(lab: Runtime, drafts: Drafts) -> None:
    rows = _seed(lab)
    d = drafts.create(ANNA, title="archive notes")
    save(drafts, d.id, WIDGET, lambda doc: doc["fields"].remove(_f(doc, "notes")))
    report = _check(lab, drafts, d.id)
    assert report.ok and [w["kind"] for w in report.warnings] == ["destructive"]
    published = publish_draft(lab, drafts, d.id, ANNA, "no notes")
    assert "notes" not in lab.records().get("widget", rows[1]["id"])
    with lab.db.read() as conn:
        kept = conn.execute(sa.text("select _arch_f_notes from t_widget order by id")).scalars().all()
    assert kept == ["2026-11-02", "下周三", None, "42"]
    # Roll back: a new revision, the field and its data come back.
    back = rollback_draft(lab, drafts, ANNA, d.base_version)
    done = publish_draft(lab, drafts, back.id, ANNA, "undo the archive")
    assert done.result.version == published.result.version + 1
    assert [s.action for s in done.result.steps] == ["restore_column"]
    assert lab.records().get("widget", rows[1]["id"])["notes"] == "下周三"


def test_publish_records_who_when_and_the_comment(lab: Runtime, drafts: Drafts) -> None:
    d = drafts.create(ANNA, title="t")
    save(drafts, d.id, WIDGET, lambda doc: doc.update(naming="WG-{#####}"))
    done = publish_draft(lab, drafts, d.id, ANNA, "shorter numbers")
    with lab.db.read() as conn:
        row = conn.execute(sa.select(sm.revision).where(sm.revision.c.version == done.result.version)).mappings().one()
    assert (row["created_by"], row["note"]) == ("anna", "shorter numbers") and row["created_at"] is not None
    assert done.draft.state == "published" and done.draft.published_version == done.result.version
    from sunmao.designer.audit import entries

    assert [e["action"] for e in entries(lab.db, draft_id=d.id)][:2] == ["draft.publish", "draft.edit"]


# -- two designers -------------------------------------------------------------------------

def test_the_second_publish_from_the_same_version_is_refused_then_merges(lab: Runtime, drafts: Drafts) -> None:
    a = drafts.create(ANNA, title="anna")
    b = drafts.create(BEN, title="ben")
    save(drafts, a.id, WIDGET, lambda doc: doc["fields"].append(field("f_coat", "coating", zh="涂层")), ANNA)
    save(drafts, b.id, WIDGET, lambda doc: doc["label"].update(zh="小部件"), BEN)
    publish_draft(lab, drafts, a.id, ANNA, "coating")
    with pytest.raises(BaseMoved) as moved:
        publish_draft(lab, drafts, b.id, BEN, "label")
    body = moved.value.problem("zh")
    assert body["status"] == 409 and body["mergeable"] is True and body["conflicts"] == []
    assert any("新增字段 涂层（coating）" in line["zh"] for d in body["since"] for line in d["lines"])
    assert _check(lab, drafts, b.id).moved
    merged = merge_draft(lab, drafts, b.id, BEN)
    assert merged.base_version == lab.current_version() and merged.conflicts == []
    done = publish_draft(lab, drafts, b.id, BEN, "label")
    doc = lab.revision_documents(done.result.version)["lab"]["entities/widget.json"]
    assert doc["label"]["zh"] == "小部件" and doc["fields"][-1]["key"] == "coating"


def test_conflicting_drafts_list_each_conflict_and_publish_after_a_decision(lab: Runtime, drafts: Drafts) -> None:
    a = drafts.create(ANNA, title="anna")
    b = drafts.create(BEN, title="ben")
    save(drafts, a.id, WIDGET, lambda doc: doc["label"].update(zh="零件"), ANNA)
    save(drafts, b.id, WIDGET, lambda doc: (doc["label"].update(zh="小部件"), doc.update(naming="B-{#####}")), BEN)
    publish_draft(lab, drafts, a.id, ANNA, "零件")
    with pytest.raises(BaseMoved) as moved:
        publish_draft(lab, drafts, b.id, BEN, "mine")
    [conflict] = moved.value.extra["conflicts"]
    assert (conflict["document"], conflict["path"], conflict["ours"], conflict["theirs"]) == \
        (WIDGET, "$.label.zh", "小部件", "零件")
    merged = merge_draft(lab, drafts, b.id, BEN)
    assert [c["path"] for c in merged.conflicts] == ["$.label.zh"]
    with pytest.raises(Exception, match="undecided"):
        publish_draft(lab, drafts, b.id, BEN, "mine")
    resolve_conflicts(drafts, b.id, BEN, {conflict["id"]: "theirs"})
    done = publish_draft(lab, drafts, b.id, BEN, "after deciding")
    doc = lab.revision_documents(done.result.version)["lab"]["entities/widget.json"]
    assert doc["label"]["zh"] == "零件" and doc["naming"] == "B-{#####}"


# -- revert one ------------------------------------------------------------------------------

def test_reverting_one_documents_change_keeps_the_others_and_the_data(lab: Runtime, drafts: Drafts) -> None:
    rows = _seed(lab)
    versions = []
    for change in (
        (WIDGET, lambda doc: doc["fields"].append(field("f_coat", "coating", zh="涂层"))),
        ("lab/entities/supplier.json", lambda doc: doc["label"].update(zh="供货商")),
        ("lab/app.json", lambda doc: doc["label"].update(zh="实验室")),
    ):
        d = drafts.create(ANNA, title="step")
        save(drafts, d.id, *change)
        versions.append(publish_draft(lab, drafts, d.id, ANNA, "step").result.version)
    lab.records().update("widget", rows[0]["id"], {"coating": "亮黑"})
    back = revert_draft(lab, drafts, ANNA, versions[0], WIDGET)
    assert back.conflicts == []
    done = publish_draft(lab, drafts, back.id, ANNA, "no coating after all")
    docs = lab.revision_documents(done.result.version)["lab"]
    assert "coating" not in [f["key"] for f in docs["entities/widget.json"]["fields"]]
    assert docs["entities/supplier.json"]["label"]["zh"] == "供货商" and docs["app.json"]["label"]["zh"] == "实验室"
    with lab.db.read() as conn:
        assert conn.execute(sa.text("select _arch_f_coat from t_widget where id = :i"), {"i": rows[0]["id"]}
                            ).scalar() == "亮黑"
