"""The three-way merge of JSON documents: every one-sided change kept, every clash listed."""

from __future__ import annotations

import copy

import pytest

from sunmao.designer.jsonpath import MISSING, Ident, from_json, get, put, render, to_json
from sunmao.designer.merge import merge3, merge_apps, resolve, same


def f(fid: str, key: str | None = None, **extra: object) -> dict:
    return {"id": fid, "key": key or fid, "type": "string", **extra}


# -- scalars and objects -------------------------------------------------------------------

@pytest.mark.parametrize(("base", "ours", "theirs", "merged"), [
    (1, 1, 1, 1),
    (1, 2, 1, 2),
    (1, 1, 3, 3),
    (1, 4, 4, 4),
    ("a", "a", None, None),
    (None, None, "x", "x"),
])
def test_scalars_one_sided_or_identical_changes(base: object, ours: object, theirs: object, merged: object) -> None:
    result = merge3(base, ours, theirs)
    assert result.clean and result.merged == merged


def test_both_sides_change_a_scalar_differently_is_a_conflict_holding_ours() -> None:
    result = merge3(50000, 80000, 30000)
    assert result.merged == 80000
    [c] = result.conflicts
    assert (c.path, c.base, c.ours, c.theirs, c.kind) == ((), 50000, 80000, 30000, "value")


def test_true_is_not_one() -> None:
    assert not same(True, 1) and same(1, 1.0) and same({"a": [1, {"b": None}]}, {"a": [1.0, {"b": None}]})
    result = merge3(1, True, 1)
    assert result.merged is True and result.clean


def test_objects_merge_key_by_key() -> None:
    base = {"label": {"zh": "订单", "en": "Order"}, "naming": "SO-{#####}", "title_field": "name"}
    ours = {"label": {"zh": "销售订单", "en": "Order"}, "naming": "SO-{#####}", "title_field": "name"}
    theirs = {"label": {"zh": "订单", "en": "Sales order"}, "naming": "SO-{YYYY}-{#####}", "title_field": "name",
              "description": {"zh": "新", "en": "new"}}
    result = merge3(base, ours, theirs)
    assert result.clean
    assert result.merged == {"label": {"zh": "销售订单", "en": "Sales order"}, "naming": "SO-{YYYY}-{#####}",
                             "title_field": "name", "description": {"zh": "新", "en": "new"}}


def test_key_removed_on_one_side_and_untouched_on_the_other_is_removed() -> None:
    result = merge3({"a": 1, "b": 2}, {"a": 1}, {"a": 5, "b": 2})
    assert result.clean and result.merged == {"a": 5}


def test_key_removed_on_one_side_and_changed_on_the_other_is_a_deleted_conflict() -> None:
    result = merge3({"a": 1, "b": 2}, {"a": 1}, {"a": 1, "b": 3})
    [c] = result.conflicts
    assert c.kind == "deleted" and c.path == ("b",) and c.ours is MISSING and c.theirs == 3
    assert result.merged == {"a": 1}  # ours until decided
    assert resolve(result.merged, result.conflicts, {"$.b": "theirs"}) == {"a": 1, "b": 3}


def test_same_key_added_on_both_sides() -> None:
    assert merge3({}, {"x": 1}, {"x": 1}).merged == {"x": 1}
    result = merge3({}, {"x": 1}, {"x": 2})
    assert [c.path for c in result.conflicts] == [("x",)] and result.conflicts[0].base is MISSING
    both = merge3({}, {"x": {"a": 1}}, {"x": {"b": 2}})  # added objects merge as if from an empty one
    assert both.clean and both.merged == {"x": {"a": 1, "b": 2}}


def test_inputs_are_not_modified_and_the_result_is_a_copy() -> None:
    base = {"fields": [f("a")]}
    ours = {"fields": [f("a"), f("b")]}
    theirs = {"fields": [f("a", label="x")]}
    frozen = copy.deepcopy((base, ours, theirs))
    result = merge3(base, ours, theirs)
    result.merged["fields"][0]["key"] = "changed"
    assert (base, ours, theirs) == frozen


# -- arrays of identified objects ----------------------------------------------------------

def test_fields_added_on_both_sides_are_both_kept_in_place() -> None:
    base = {"fields": [f("a"), f("b")]}
    ours = {"fields": [f("a"), f("coating"), f("b")]}
    theirs = {"fields": [f("a"), f("b"), f("weight")]}
    result = merge3(base, ours, theirs)
    assert result.clean
    assert [x["id"] for x in result.merged["fields"]] == ["a", "coating", "b", "weight"]


def test_item_changes_merge_inside_the_item() -> None:
    base = {"fields": [f("a", label="A"), f("b")]}
    ours = {"fields": [f("a", label="A2"), f("b")]}
    theirs = {"fields": [f("a", label="A", required=True), f("b")]}
    result = merge3(base, ours, theirs)
    assert result.clean and result.merged["fields"][0] == f("a", label="A2", required=True)


def test_item_renamed_on_one_side_and_moved_on_the_other() -> None:
    base = {"fields": [f("a"), f("b"), f("c")]}
    ours = {"fields": [f("a"), f("b", "bee"), f("c")]}
    theirs = {"fields": [f("c"), f("a"), f("b")]}
    result = merge3(base, ours, theirs)
    assert result.clean
    assert [(x["id"], x["key"]) for x in result.merged["fields"]] == [("c", "c"), ("a", "a"), ("b", "bee")]


def test_deleted_item_untouched_elsewhere_is_deleted() -> None:
    base = {"fields": [f("a"), f("b"), f("c")]}
    result = merge3(base, {"fields": [f("a"), f("c")]}, {"fields": [f("a"), f("b"), f("c", label="C")]})
    assert result.clean and result.merged["fields"] == [f("a"), f("c", label="C")]


def test_deleted_item_changed_elsewhere_is_a_conflict_at_its_identity() -> None:
    base = {"fields": [f("a"), f("b")]}
    result = merge3(base, {"fields": [f("a")]}, {"fields": [f("a"), f("b", required=True)]})
    [c] = result.conflicts
    assert c.kind == "deleted" and render(c.path) == "$.fields[id=b]"
    assert [x["id"] for x in result.merged["fields"]] == ["a"]
    kept = resolve(result.merged, result.conflicts, {"$.fields[id=b]": "theirs"})
    assert kept["fields"] == [f("a"), f("b", required=True)]


def test_same_item_changed_differently_names_the_property() -> None:
    base = {"fields": [f("a", label="A")]}
    result = merge3(base, {"fields": [f("a", label="甲")]}, {"fields": [f("a", label="阿")]})
    [c] = result.conflicts
    assert render(c.path) == "$.fields[id=a].label" and (c.ours, c.theirs) == ("甲", "阿")


def test_reorders_on_both_sides_differently_are_an_order_conflict() -> None:
    base = {"fields": [f("a"), f("b"), f("c")]}
    ours = {"fields": [f("b"), f("a"), f("c")]}
    theirs = {"fields": [f("a"), f("c"), f("b")]}
    result = merge3(base, ours, theirs)
    [c] = result.conflicts
    assert c.kind == "order" and c.ours == ["b", "a", "c"] and c.theirs == ["a", "c", "b"]
    assert [x["id"] for x in result.merged["fields"]] == ["b", "a", "c"]
    chosen = resolve(result.merged, result.conflicts, {"$.fields": "theirs"})
    assert [x["id"] for x in chosen["fields"]] == ["a", "c", "b"]


def test_same_reorder_on_both_sides_is_no_conflict() -> None:
    base = {"fields": [f("a"), f("b")]}
    result = merge3(base, {"fields": [f("b"), f("a", label="x")]}, {"fields": [f("b"), f("a")]})
    assert result.clean and [x["id"] for x in result.merged["fields"]] == ["b", "a"]


def test_items_identified_by_key_when_they_have_no_id() -> None:
    base = {"branches": [{"key": "finance", "steps": [{"key": "review", "sla_hours": 4}]}]}
    ours = {"branches": [{"key": "finance", "steps": [{"key": "review", "sla_hours": 8}]}]}
    theirs = {"branches": [{"key": "finance", "steps": [{"key": "review", "sla_hours": 4}]},
                           {"key": "tech", "steps": []}]}
    result = merge3(base, ours, theirs)
    assert result.clean
    assert result.merged["branches"] == [{"key": "finance", "steps": [{"key": "review", "sla_hours": 8}]},
                                         {"key": "tech", "steps": []}]


def test_duplicate_identities_make_the_array_a_value() -> None:
    base = {"x": [{"id": "a"}, {"id": "a"}]}
    result = merge3(base, {"x": [{"id": "a"}]}, {"x": [{"id": "a", "v": 1}, {"id": "a"}]})
    assert [c.path for c in result.conflicts] == [("x",)]


# -- other arrays are values ----------------------------------------------------------------

def test_threshold_inside_jsonlogic_changed_on_both_sides_is_one_conflict() -> None:
    base = {"when": {"and": [{"!=": [{"var": "grade"}, "A"]}, {">": [{"var": "amount"}, 50000]}]}}
    ours = {"when": {"and": [{"!=": [{"var": "grade"}, "A"]}, {">": [{"var": "amount"}, 80000]}]}}
    theirs = {"when": {"and": [{"!=": [{"var": "grade"}, "A"]}, {">": [{"var": "amount"}, 30000]}]}}
    result = merge3(base, ours, theirs)
    [c] = result.conflicts
    assert render(c.path) == "$.when.and"
    assert resolve(result.merged, result.conflicts, {"$.when.and": "theirs"}) == theirs


def test_lists_of_strings_changed_on_one_side_take_that_side() -> None:
    result = merge3({"columns": ["a", "b"]}, {"columns": ["a", "b"]}, {"columns": ["b", "a", "c"]})
    assert result.clean and result.merged == {"columns": ["b", "a", "c"]}
    clash = merge3({"columns": ["a"]}, {"columns": ["a", "x"]}, {"columns": ["a", "y"]})
    assert [c.path for c in clash.conflicts] == [("columns",)]


def test_resolution_with_a_value_of_ones_own() -> None:
    result = merge3({"n": 1}, {"n": 2}, {"n": 3})
    assert resolve(result.merged, result.conflicts, {"$.n": {"value": 4}}) == {"n": 4}
    assert resolve(result.merged, result.conflicts, {"$.n": "base"}) == {"n": 1}
    with pytest.raises(ValueError, match="choose ours, theirs"):
        resolve(result.merged, result.conflicts, {"$.n": "mine"})


def test_conflict_as_dict_is_json_and_round_trips_its_path() -> None:
    result = merge3({"fields": [f("a", label="A")]}, {"fields": [f("a", label="B")]}, {"fields": [f("a", label="C")]})
    body = result.conflicts[0].as_dict()
    assert body["path"] == "$.fields[id=a].label" and body["ours"] == "B" and body["theirs"] == "C"
    assert from_json(body["steps"]) == ("fields", Ident("id", "a"), "label")


# -- whole apps ----------------------------------------------------------------------------

def _app(docs: dict) -> dict:
    return {"app.json": {"kind": "app", "key": "x", "documents": list(docs)}, **docs}


def test_two_people_add_two_documents_and_the_manifest_lists_both() -> None:
    base = {"x": _app({"entities/a.json": {"k": 1}})}
    ours = {"x": _app({"entities/a.json": {"k": 1}, "entities/b.json": {"k": 2}})}
    theirs = {"x": _app({"entities/a.json": {"k": 1}, "views/c.json": {"k": 3}})}
    result = merge_apps(base, ours, theirs)
    assert result.clean
    assert result.merged["x"]["app.json"]["documents"] == ["entities/a.json", "entities/b.json", "views/c.json"]
    assert set(result.merged["x"]) == {"app.json", "entities/a.json", "entities/b.json", "views/c.json"}


def test_document_removed_on_one_side_leaves_the_manifest() -> None:
    base = {"x": _app({"a.json": {"k": 1}, "b.json": {"k": 2}})}
    ours = {"x": _app({"a.json": {"k": 1}})}
    theirs = {"x": _app({"a.json": {"k": 5}, "b.json": {"k": 2}})}
    result = merge_apps(base, ours, theirs)
    assert result.clean and result.merged["x"]["app.json"]["documents"] == ["a.json"]
    assert result.merged["x"]["a.json"] == {"k": 5}


# -- paths -----------------------------------------------------------------------------------

def test_paths_get_put_and_render() -> None:
    doc = {"fields": [{"id": "a", "label": {"zh": "甲"}}]}
    path = ("fields", Ident("id", "a"), "label", "zh")
    assert get(doc, path) == "甲" and render(path) == "$.fields[id=a].label.zh"
    put(doc, path, "乙")
    put(doc, ("fields", 1), {"id": "b"})
    put(doc, ("fields", Ident("id", "c")), {"id": "c"})
    assert [x["id"] for x in doc["fields"]] == ["a", "b", "c"] and doc["fields"][0]["label"]["zh"] == "乙"
    put(doc, ("fields", Ident("id", "b")), MISSING)
    assert [x["id"] for x in doc["fields"]] == ["a", "c"]
    assert get(doc, ("nope", 3)) is MISSING
    assert from_json(to_json(path)) == path
