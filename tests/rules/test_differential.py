"""The Python engine against json-logic-js 2.0.5 (+ sunmao-rules.js), rule by rule.

json-logic-js is the oracle: the designer previews rules with it, so a rule must mean the
same on the server. Three sources of rules: the hand-written corpus (every operator and
coercion corner, every custom operation), thousands of generated rules (hypothesis), and
the official JSONLogic test suite when a copy is present (see README.md here).

A Python RuleEvalError must meet a JavaScript exception; everything else must be the same
value, numbers compared as JavaScript numbers (NaN equals NaN, -0 is not 0).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .jsbridge import NodeRules, Outcome, from_js, python_outcome, same_outcome, same_value
from .strategies import case

HERE = Path(__file__).parent
CORPUS = json.loads((HERE / "corpus.json").read_text(encoding="utf-8"))
OFFICIAL = HERE / "tests.json"
FUZZ_EXAMPLES = int(os.environ.get("SUNMAO_RULES_FUZZ_EXAMPLES", "500"))
FUZZ_BATCH = 8


def decode_data(value: Any) -> Any:
    """Corpus data: {"$decimal": "1.005"}, {"$date": ...}, {"$datetime": ...} become server types."""
    if isinstance(value, list):
        return [decode_data(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, text),) = value.items()
            if tag == "$decimal":
                return Decimal(text)
            if tag == "$date":
                return date.fromisoformat(text)
            if tag == "$datetime":
                return datetime.fromisoformat(text)
        return {k: decode_data(v) for k, v in value.items()}
    return value


def describe(rule: Any, data: Any, py: Outcome, js: Outcome) -> str:
    return f"rule={json.dumps(rule, ensure_ascii=False)} data={data!r}\n  python: {py!r}\n  js:     {js!r}"


def corpus_cases() -> list[Any]:
    return [pytest.param(c, id=f"{i}:{c.get('note', '')[:40]}") for i, c in enumerate(CORPUS["cases"])]


def test_corpus_is_large_and_covers_every_operator(engine: Any) -> None:
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict) and len(node) == 1:
            ((op, values),) = node.items()
            used.add(op)
            walk(values)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for c in CORPUS["cases"]:
        walk(c["rule"])
    assert len(CORPUS["cases"]) >= 300
    assert engine.operators <= used, sorted(engine.operators - used)


def test_corpus_against_json_logic_js(engine: Any, node: NodeRules) -> None:
    cases = CORPUS["cases"]
    datas = [decode_data(c.get("data")) for c in cases]
    js_outcomes = node.run_many([(c["rule"], d) for c, d in zip(cases, datas, strict=True)])
    failures = []
    for c, data, js in zip(cases, datas, js_outcomes, strict=True):
        py = python_outcome(engine, c["rule"], data)
        problem = None
        if not same_outcome(py, js):
            problem = "python and json-logic-js differ"
        elif "expect" in c and not (py.kind == "ok" and same_value(py.value, from_js(c["expect"]))):
            problem = f"expected {c['expect']!r}"
        elif c.get("error") and py.kind != "error":
            problem = "expected an evaluation error"
        elif "expect_decimal" in c and not (isinstance(py.value, Decimal) and str(py.value) == c["expect_decimal"]):
            problem = f"expected Decimal({c['expect_decimal']!r})"
        if problem:
            failures.append(f"{c.get('note', '')}: {problem}\n{describe(c['rule'], data, py, js)}")
    assert not failures, f"{len(failures)} corpus cases failed:\n" + "\n".join(failures[:30])


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("SUNMAO_RULES_FUZZ_RANDOM") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(batch=st.lists(case, min_size=FUZZ_BATCH, max_size=FUZZ_BATCH))
def test_generated_rules_against_json_logic_js(engine: Any, node: NodeRules, batch: list[tuple[Any, Any]]) -> None:
    outcomes = [python_outcome(engine, rule, data) for rule, data in batch]
    runnable = [(c, py) for c, py in zip(batch, outcomes, strict=True) if py.kind != "refused"]
    for py in outcomes:
        # Generated arities are valid: a refusal may only be about a constant argument.
        assert py.kind != "refused" or "takes" not in py.message, py.message
    js_outcomes = node.run_many([c for c, _ in runnable])
    for ((rule, data), py), js in zip(runnable, js_outcomes, strict=True):
        assert same_outcome(py, js), describe(rule, data, py, js)


def official_cases() -> list[Any]:
    if not OFFICIAL.exists():
        return []
    tests = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    return [t for t in tests if not isinstance(t, str)]


@pytest.mark.skipif(not OFFICIAL.exists(), reason="tests/rules/tests.json is absent; see tests/rules/README.md")
def test_official_jsonlogic_suite(engine: Any) -> None:
    failures = []
    cases = official_cases()
    for rule, data, expected in cases:
        py = python_outcome(engine, rule, data)
        if not (py.kind == "ok" and same_value(py.value, expected)):
            failures.append(f"{json.dumps(rule)} data={json.dumps(data)} expected={json.dumps(expected)} got {py!r}")
    assert len(cases) > 200
    assert not failures, "\n".join(failures)


@pytest.mark.skipif(not OFFICIAL.exists(), reason="tests/rules/tests.json is absent; see tests/rules/README.md")
def test_official_jsonlogic_suite_in_node_too(engine: Any, node: NodeRules) -> None:
    cases = official_cases()
    js_outcomes = node.run_many([(rule, data) for rule, data, _ in cases])
    for (rule, data, expected), js in zip(cases, js_outcomes, strict=True):
        assert js.kind == "ok" and same_value(expected, js.value), (rule, data, expected, js)


NUMERIC_TEXT = st.text(alphabet="0123456789.eE+-xXoObBaf_ \t\u00a0Infinity", max_size=8)


@settings(
    max_examples=60, deadline=None, database=None, derandomize=os.environ.get("SUNMAO_RULES_FUZZ_RANDOM") != "1"
)
@given(
    numbers=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=40, max_size=40),
    texts=st.lists(NUMERIC_TEXT, min_size=40, max_size=40),
)
def test_number_text_conversions_against_json_logic_js(
    engine: Any, node: NodeRules, numbers: list[float], texts: list[str]
) -> None:
    """Number → text (cat) and text → number (parseFloat in +, ToNumber in - and ==), in bulk."""
    cases: list[tuple[Any, Any]] = []
    for x in numbers:
        cases += [({"cat": [x]}, None), ({"cat": [{"*": [x, 3]}]}, None), ({"+": [{"cat": [x]}]}, None)]
    for s in texts:
        cases += [({"+": [s]}, None), ({"-": [s, 0]}, None), ({"<": [s, 1]}, None)]
        cases.append(({"==": [s, {"var": "n"}]}, {"n": 0}))
    js_outcomes = node.run_many(cases)
    for (rule, data), js in zip(cases, js_outcomes, strict=True):
        py = python_outcome(engine, rule, data)
        assert same_outcome(py, js), describe(rule, data, py, js)
