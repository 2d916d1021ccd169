"""The static checker: one test per kind of problem, and no alarms on valid rules."""

from __future__ import annotations

import pytest

from sunmao.rules import Engine, check

from .conftest import HOLIDAYS

ORDER_FIELDS = {
    "customer": "link",
    "customer_grade": "select",
    "due_date": "date",
    "created_at": "datetime",
    "amount": "decimal",
    "remark": "text",
    "code": "string",
    "urgent": "boolean",
    "special_processes": "multiselect",
    "extra": "json",
    "lines": "table",
    "lines.qty": "integer",
    "lines.price": "decimal",
    "lines.amount": "decimal",
    "lines.sku": "string",
    "lines.ship_date": "date",
}


def codes(problems: list) -> list[str]:
    return [p.code for p in problems]


VALID_RULES = [
    {">=": [{"var": "due_date"}, {"today": []}]},
    {"<": [{"var": "due_date"}, "2026-12-31"]},
    {"<": [{"days_between": [{"today": []}, {"var": "due_date"}]}, 3]},
    {"or": [
        {"and": [{"!=": [{"var": "customer_grade"}, "A"]}, {">": [{"var": "amount"}, 50000]}]},
        {"in": ["electrophoresis", {"var": "special_processes"}]},
        {"<": [{"workdays_between": [{"today": []}, {"var": "due_date"}, "cn"]}, 3]},
    ]},
    {"==": [{"sum": [{"var": "lines"}, "amount"]}, {"var": "amount"}]},
    {"all": [{"var": "lines"}, {"and": [{">": [{"var": "qty"}, 0]}, {">": [{"var": "price"}, 0]}]}]},
    {"reduce": [
        {"var": "lines"},
        {"+": [{"var": "accumulator"}, {"*": [{"var": "current.qty"}, {"var": "current.price"}]}]},
        0,
    ]},
    {"some": [{"var": "lines"}, {"<": [{"var": "ship_date"}, "2026-12-31"]}]},
    {"var": "customer.grade"},
    {"var": "extra.anything.goes"},
    {"var": "lines.0.qty"},
    {"var": "lines.length"},
    {"var": ["code", ""]},
    {"missing": ["due_date", "customer"]},
    {"missing_some": [1, ["code", "remark"]]},
    {"regex_match": ["^[A-Z]{2}-\\d+$", {"var": "code"}]},
    {"var": {"cat": ["lines", ".0"]}},
    {"map": [{"var": "special_processes"}, {"upper": [{"var": ""}]}]},
    {"if": [{"var": "urgent"}, {"*": [{"var": "amount"}, 1.1]}, {"var": "amount"}]},
    {"==": [{"var": "amount"}, "12.50"]},
    {"==": [{"var": "created_at"}, None]},
]


@pytest.mark.parametrize("rule", VALID_RULES)
def test_valid_rules_have_no_problems(rule: object) -> None:
    assert Engine(holidays=HOLIDAYS).check(rule, ORDER_FIELDS) == []


def test_unknown_variable_suggests_the_closest_field() -> None:
    (problem,) = check({">=": [{"var": "due_dat"}, {"today": []}]}, ORDER_FIELDS)
    assert problem.code == "unknown_variable"
    assert problem.path == '$[">="][0].var'
    assert problem.suggestion == "due_date"
    assert "due_dat" in problem.message_en and "due_dat" in problem.message_zh
    assert "due_date" in problem.fix_en and "due_date" in problem.fix_zh


def test_unknown_column_inside_a_loop_over_a_table() -> None:
    (problem,) = check({"all": [{"var": "lines"}, {">": [{"var": "qtty"}, 0]}]}, ORDER_FIELDS)
    assert problem.code == "unknown_variable" and problem.suggestion == "qty"
    rule = {"reduce": [{"var": "lines"}, {"+": [{"var": "accumulator"}, {"var": "current.prise"}]}, 0]}
    (problem,) = check(rule, ORDER_FIELDS)
    assert problem.suggestion == "current.price"
    (problem,) = check({"sum": [{"var": "lines"}, "amout"]}, ORDER_FIELDS)
    assert problem.code == "unknown_variable" and problem.suggestion == "amount"


def test_a_record_field_read_inside_a_loop_is_reported() -> None:
    # Inside some/all/map the data is the row: the record's due_date is not visible there.
    (problem,) = check({"some": [{"var": "lines"}, {"<": [{"var": "ship_date"}, {"var": "due_date"}]}]}, ORDER_FIELDS)
    assert problem.code == "unknown_variable" and problem.path.endswith('["<"][1].var')


def test_a_table_column_read_outside_a_loop() -> None:
    (problem,) = check({">": [{"var": "lines.qty"}, 0]}, ORDER_FIELDS)
    assert problem.code == "unknown_variable"
    assert '{"sum": [{"var": "lines"}, "qty"]}' in problem.fix_en


def test_unknown_variables_in_missing() -> None:
    problems = check({"missing": ["due_date", "custmer"]}, ORDER_FIELDS)
    assert codes(problems) == ["unknown_variable"] and problems[0].suggestion == "customer"


def test_unknown_operator_and_its_arguments_are_still_checked() -> None:
    problems = check({"and": [{"contain": ["a", {"var": "cod"}]}]}, ORDER_FIELDS)
    assert codes(problems) == ["unknown_operator", "unknown_variable"]
    assert problems[0].path == "$.and[0]" and problems[0].suggestion == "contains"


def test_wrong_arity() -> None:
    (problem,) = check({"==": [{"var": "code"}]}, ORDER_FIELDS)
    assert problem.code == "arity"
    assert "'==' takes 2 arguments, got 1" in problem.message_en
    assert "2 个参数" in problem.message_zh


@pytest.mark.parametrize(
    "rule",
    [
        {">": [{"var": "due_date"}, 5]},
        {"==": [{"var": "due_date"}, "tomorrow"]},
        {"<": ["soon", {"var": "created_at"}]},
        {"<": [0, {"var": "due_date"}, 10]},
        {"==": [{"var": "amount"}, "lots"]},
    ],
)
def test_comparison_type_mismatch(rule: object) -> None:
    problems = check(rule, ORDER_FIELDS)
    assert codes(problems) == ["type_mismatch"] * len(problems) and problems


@pytest.mark.parametrize("field", ["remark", "code", "due_date", "created_at", "lines", "customer_grade"])
def test_arithmetic_on_text_or_dates(field: str) -> None:
    (problem,) = check({"+": [{"var": field}, 1]}, ORDER_FIELDS)
    assert problem.code == "type_mismatch"
    assert problem.path == "$['+'][0]".replace("'", '"')
    assert "arithmetic" in problem.message_en and "算术" in problem.message_zh


def test_date_operation_on_a_number_field() -> None:
    (problem,) = check({"days_between": [{"var": "amount"}, {"today": []}]}, ORDER_FIELDS)
    assert problem.code == "type_mismatch"


def test_invalid_constant_arguments() -> None:
    (problem,) = check({"regex_match": ["(a+)+", {"var": "code"}]}, ORDER_FIELDS)
    assert problem.code == "invalid_argument" and "nested quantifiers" in problem.message_en
    (problem,) = check({"workdays_between": [{"today": []}, {"var": "due_date"}, "mars"]}, ORDER_FIELDS)
    assert problem.code == "invalid_argument" and "unknown holiday calendar" in problem.message_en


def test_too_complex() -> None:
    rule: object = True
    for _ in range(40):
        rule = {"!": rule}
    (problem,) = check(rule, ORDER_FIELDS)
    assert problem.code == "too_complex"


def test_unknown_field_types_are_a_caller_error() -> None:
    with pytest.raises(ValueError, match="unknown type 'money'"):
        check({"var": "x"}, {"x": "money"})


def test_problems_serialise() -> None:
    (problem,) = check({"var": "amout"}, ORDER_FIELDS)
    as_dict = problem.as_dict()
    assert set(as_dict) == {"code", "path", "message_zh", "message_en", "fix_zh", "fix_en", "suggestion"}
    assert "amout" in str(problem)
