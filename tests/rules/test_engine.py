"""Compiling: refusals with rule name and JSON path, limits, errors at evaluation, extra ops."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import sunmao.rules as rules
from sunmao.rules import Engine, RuleCompileError, RuleError, RuleEvalError, default_engine


def nested_not(levels: int) -> object:
    rule: object = True
    for _ in range(levels):
        rule = {"!": [rule]}
    return rule


def test_unknown_operator_is_refused_with_rule_name_and_json_path() -> None:
    rule = {"and": [True, {"==": [{"frobnicate": 1}, 2]}]}
    with pytest.raises(RuleCompileError) as info:
        default_engine().compile(rule, name="r_due_future")
    err = info.value
    assert err.rule_name == "r_due_future"
    assert err.path == '$.and[1]["=="][0]'
    assert "unknown operator 'frobnicate'" in err.message_en
    assert "frobnicate" in err.message_zh and "未知的运算符" in err.message_zh
    assert str(err) == err.message_en
    assert "r_due_future" in str(err) and '$.and[1]["=="][0]' in str(err)
    assert isinstance(err, RuleError)


def test_unknown_operator_suggests_the_closest_one() -> None:
    with pytest.raises(RuleCompileError, match="did you mean 'in'"):
        rules.compile({"inn": ["a", "abc"]})


def test_method_operator_is_refused() -> None:
    with pytest.raises(RuleCompileError, match="'method' operator is not supported"):
        rules.compile({"method": ["abc", "toUpperCase"]})


def test_object_keys_with_dots_are_not_method_calls() -> None:
    with pytest.raises(RuleCompileError, match="unknown operator"):
        rules.compile({"Math.max": [1, 2]})


@pytest.mark.parametrize(
    ("rule", "path", "fragment"),
    [
        ({"==": [1]}, "$", "'==' takes 2 arguments, got 1"),
        ({"and": []}, "$", "'and' takes at least 1 argument, got 0"),
        ({"if": [True, {"map": [[1]]}]}, "$.if[1]", "'map' takes 2 arguments, got 1"),
        ({"<": [1, 2, 3, 4]}, "$", "'<' takes 2 to 3 arguments, got 4"),
        ({"today": [1]}, "$", "'today' takes 0 arguments, got 1"),
        ({"*": []}, "$", "'*' takes at least 1 argument"),
    ],
)
def test_bad_arity_is_refused(rule: object, path: str, fragment: str) -> None:
    with pytest.raises(RuleCompileError) as info:
        rules.compile(rule, name="r")
    assert info.value.path == path
    assert fragment in info.value.message_en


def test_depth_limit_is_32_levels() -> None:
    assert rules.compile(nested_not(32))(None) is True
    with pytest.raises(RuleCompileError) as info:
        rules.compile(nested_not(33), name="deep")
    assert "deeper than 32 levels" in info.value.message_en
    assert "32" in info.value.message_zh
    assert info.value.path.count("!") == 32


def test_size_limit_is_2000_nodes() -> None:
    assert rules.compile({"+": list(range(1999))})(None) == sum(range(1999))
    with pytest.raises(RuleCompileError, match="more than 2000 nodes"):
        rules.compile({"+": list(range(2000))})


def test_limits_are_per_engine() -> None:
    small = Engine(max_depth=3, max_nodes=10)
    small.compile(nested_not(3))
    with pytest.raises(RuleCompileError):
        small.compile(nested_not(4))
    with pytest.raises(RuleCompileError):
        small.compile({"cat": list("abcdefghij")})


def test_unsafe_constant_regex_is_refused_at_compile_time() -> None:
    with pytest.raises(RuleCompileError) as info:
        rules.compile({"or": [False, {"regex_match": ["(a+)+$", {"var": "s"}]}]}, name="r_re")
    assert info.value.path == "$.or[1]"
    assert "nested quantifiers" in info.value.message_en
    with pytest.raises(RuleCompileError, match="longer than 200"):
        rules.compile({"regex_match": ["a" * 201, "a"]})
    with pytest.raises(RuleCompileError, match=r"escape \\1"):
        rules.compile({"regex_match": ["(a)\\1", "aa"]})


def test_evaluation_errors_name_the_rule_and_the_node() -> None:
    fn = rules.compile({"and": [True, {"round": [{"var": "amount"}, 2]}]}, name="r_amount")
    with pytest.raises(RuleEvalError) as info:
        fn({"amount": "twelve"})
    err = info.value
    assert err.rule_name == "r_amount"
    assert err.path == "$.and[1]"
    assert "money operation needs a number" in err.message_en
    assert "金额运算需要数字" in err.message_zh
    fn = rules.compile({"date": [{"var": "due"}]}, name="r_due")
    with pytest.raises(RuleEvalError, match="r_due.*not a valid date: '2026-02-30'"):
        fn({"due": "2026-02-30"})


def test_a_rule_is_compiled_once_and_reused() -> None:
    fn = rules.compile({"<": [{"var": "qty"}, 10]}, name="r_qty")
    assert fn.rule_name == "r_qty"
    assert [fn({"qty": q}) for q in (1, 10, "9", None, "x")] == [True, False, True, True, False]


def test_apply_equals_compile_then_call() -> None:
    rule = {"if": [{"var": "vip"}, {"*": [{"var": "price"}, 0.9]}, {"var": "price"}]}
    for data in ({"vip": True, "price": 100}, {"vip": False, "price": 100}, None):
        assert rules.apply(rule, data) == rules.compile(rule)(data)
    engine = default_engine()
    assert engine.apply(rule, {"vip": 1, "price": 10}) == 9.0
    assert engine.apply({"+": [{"var": "m"}, 1]}, {"m": Decimal("1.5")}) == 2.5  # cached compile ignores data


def test_arithmetic_returns_floats_and_passthrough_keeps_python_types() -> None:
    assert rules.apply({"+": [1, 2]}) == 3 and isinstance(rules.apply({"+": [1, 2]}), float)
    assert type(rules.apply({"var": "n"}, {"n": 5})) is int
    assert rules.apply({"if": [True, {"var": "m"}, 0]}, {"m": Decimal("1.10")}) == Decimal("1.10")
    assert str(rules.apply({"var": "m"}, {"m": Decimal("1.10")})) == "1.10"


def test_data_attributes_are_never_read() -> None:
    class Order:
        internal = "x"

    data = {"o": Order(), "s": "abc", "n": {}}
    for path in ("s.upper", "s.__class__", "n.__class__", "n.constructor", "n.keys", "s.0.__len__"):
        assert rules.apply({"var": path}, data) is None
    with pytest.raises(RuleEvalError, match="unsupported value type Order"):
        rules.apply({"var": "o.internal"}, data)


def test_extra_operations_are_per_engine() -> None:
    def vat(amount: object, rate: object = Decimal("0.13")) -> Decimal:
        return Decimal(str(amount)) * Decimal(str(rate))

    engine = Engine(extra_ops={"vat": (vat, (1, 2))})
    assert engine.apply({"vat": [100]}) == Decimal("13.00")
    assert "vat" in engine.operators and "vat" not in default_engine().operators
    with pytest.raises(RuleCompileError, match="'vat' takes 1 to 2 arguments"):
        engine.compile({"vat": []})
    with pytest.raises(RuleEvalError, match="operation failed: InvalidOperation") as info:
        engine.compile({"if": [True, {"vat": ["abc"]}]}, name="r_vat")(None)
    assert info.value.path == "$.if[1]"
    with pytest.raises(ValueError, match="standard JSONLogic operator"):
        Engine(extra_ops={"var": (vat, 1)})


def test_engines_are_immutable() -> None:
    engine = default_engine()
    with pytest.raises(TypeError):
        engine._ops["x"] = None  # type: ignore[index]
    assert default_engine().operators == engine.operators


def test_literal_arrays_are_fresh_and_objects_are_data() -> None:
    fn = rules.compile([1, [2]])
    first = fn(None)
    first[1].append(3)
    assert fn(None) == [1, [2]]
    assert rules.apply({"p": 1, "q": {"var": "x"}}) == {"p": 1, "q": {"var": "x"}}


def test_rules_from_json_text_and_python_constants() -> None:
    rule = json.loads('{"in": [{"var": "x"}, ["A", "B"]]}')
    assert rules.apply(rule, {"x": "B"}) is True
    assert rules.apply({"==": [{"var": "m"}, Decimal("2.50")]}, {"m": 2.5}) is True


def test_undefined_never_escapes() -> None:
    assert rules.apply({"-": [5]}) == -5.0
    assert rules.apply({"substr": ["abc", 1]}) == "bc"
    assert rules.apply({"var": "x"}) is None
