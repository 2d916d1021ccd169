"""Drafts live in the database: every edit logged, undo and redo after a reload, stale saves refused."""

from __future__ import annotations

import pytest

from sunmao import assembly
from sunmao.designer.drafts import DraftClosed, DraftMoved, Drafts
from sunmao.designer.jsonpath import MISSING
from sunmao.i18n import Text
from sunmao.runtime import Runtime
from tests.designer.conftest import ANNA, BEN, WIDGET, edited, field


def test_a_draft_is_a_full_copy_of_the_published_version(lab: Runtime, drafts: Drafts) -> None:
    info = drafts.create(ANNA, title="coating")
    assert info.base_version == lab.current_version() and info.rev == 0 and info.state == "open"
    assert drafts.documents(info.id) == lab.revision_documents(info.base_version)
    assert not info.can_undo and not info.can_redo


def test_edits_undo_and_redo_survive_a_new_store(lab: Runtime, drafts: Drafts) -> None:
    info = drafts.create(ANNA, title="t")
    red = {"value": "red", "label": {"zh": "红", "en": "Red"}}
    doc = edited(drafts, info.id, WIDGET,
                 lambda d: d["fields"].append(field("f_coat", "coating", "select", "涂层颜色", options=[red])))
    info, changed = drafts.edit(info.id, ANNA, {WIDGET: doc}, summary=Text("加字段", "add field"), expect_rev=0)
    assert changed == [WIDGET] and info.rev == 1 and info.can_undo
    doc2 = edited(drafts, info.id, WIDGET, lambda d: d["label"].update(zh="小部件"))
    info, _ = drafts.edit(info.id, ANNA, {WIDGET: doc2}, summary=Text("改名", "relabel"), expect_rev=1)

    fresh = Drafts(assembly.runtime(lab.db.url.render_as_string(hide_password=False), check_interval=0))  # "a reload"
    info, undone = fresh.undo(info.id, ANNA)
    assert undone is not None and undone.summary.en == "relabel"
    assert fresh.document(info.id, WIDGET)["label"]["zh"] == "部件"
    assert fresh.document(info.id, WIDGET)["fields"][-1]["key"] == "coating"
    info, _ = fresh.undo(info.id, ANNA)
    assert [f["key"] for f in fresh.document(info.id, WIDGET)["fields"]] == \
        [f["key"] for f in lab.revision_documents(info.base_version)["lab"]["entities/widget.json"]["fields"]]
    assert not info.can_undo and info.can_redo
    info, redone = fresh.redo(info.id, ANNA)
    assert redone is not None and redone.summary.en == "add field"
    assert fresh.document(info.id, WIDGET)["fields"][-1]["key"] == "coating"
    # A new edit after an undo drops the undone tail.
    info, _ = fresh.edit(info.id, ANNA, {WIDGET: edited(fresh, info.id, WIDGET, lambda d: d.update(naming="X-{###}"))},
                         summary=Text("编号", "naming"))
    assert not info.can_redo
    assert [(e.summary.en, e.undone) for e in fresh.log(info.id)] == [("add field", False), ("naming", False)]


def test_a_stale_save_is_refused_with_the_current_revision(drafts: Drafts) -> None:
    info = drafts.create(ANNA, title="t")
    drafts.edit(info.id, ANNA, {WIDGET: edited(drafts, info.id, WIDGET, lambda d: d.update(naming="A-{###}"))},
                summary=Text("a", "a"), expect_rev=0)
    with pytest.raises(DraftMoved) as refused:
        drafts.edit(info.id, BEN, {WIDGET: edited(drafts, info.id, WIDGET, lambda d: d.update(naming="B-{###}"))},
                    summary=Text("b", "b"), expect_rev=0)
    assert refused.value.extra["rev"] == 1 and refused.value.status == 412
    assert drafts.document(info.id, WIDGET)["naming"] == "A-{###}"


def test_an_edit_that_changes_nothing_is_not_logged(drafts: Drafts) -> None:
    info = drafts.create(ANNA, title="t")
    info, changed = drafts.edit(info.id, ANNA, {WIDGET: drafts.document(info.id, WIDGET)}, summary=Text("-", "-"))
    assert changed == [] and info.rev == 0 and drafts.log(info.id) == []


def test_adding_and_removing_documents_keeps_the_manifest_list(drafts: Drafts) -> None:
    info = drafts.create(ANNA, title="t")
    view = {"kind": "view", "key": "all_widgets", "entity": "widget", "type": "list",
            "label": {"zh": "全部", "en": "All"}}
    drafts.edit(info.id, ANNA, {"lab/views/all_widgets.json": view}, summary=Text("加视图", "add view"))
    assert drafts.document(info.id, "lab/app.json")["documents"][-1] == "views/all_widgets.json"
    drafts.edit(info.id, ANNA, {"lab/views/all_widgets.json": MISSING}, summary=Text("删视图", "remove view"))
    assert "views/all_widgets.json" not in drafts.document(info.id, "lab/app.json")["documents"]
    drafts.undo(info.id, ANNA)
    assert drafts.document(info.id, "lab/views/all_widgets.json") == view
    assert drafts.document(info.id, "lab/app.json")["documents"][-1] == "views/all_widgets.json"


def test_a_discarded_draft_refuses_edits(drafts: Drafts) -> None:
    info = drafts.create(ANNA, title="t")
    drafts.discard(info.id, ANNA)
    with pytest.raises(DraftClosed):
        drafts.edit(info.id, ANNA, {WIDGET: {}}, summary=Text("x", "x"))
    assert [d.id for d in drafts.list()] == []
