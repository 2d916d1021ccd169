"""Sunmao's own operations on the server: dates, money, text (the browser side is held to the
same answers by the differential corpus)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from sunmao.rules import Engine, RuleCompileError, RuleEvalError

from .conftest import HOLIDAYS, NOW


def test_today_is_taken_in_the_engine_time_zone(engine: Engine) -> None:
    assert engine.apply({"today": []}) == "2026-03-16"  # 20:30 UTC is 04:30 next day in Shanghai
    assert Engine(clock=lambda: NOW, time_zone="UTC").apply({"today": []}) == "2026-03-15"
    assert Engine(clock=lambda: NOW, time_zone="America/New_York").apply({"today": []}) == "2026-03-15"


def test_now_is_utc_iso_with_offset(engine: Engine) -> None:
    assert engine.apply({"now": []}) == "2026-03-15T20:30:00+00:00"
    local = Engine(clock=lambda: datetime(2026, 1, 1, 8, 0, 0, 500_000, tzinfo=timezone(timedelta(hours=8))))
    assert local.apply({"now": []}) == "2026-01-01T00:00:00+00:00"


def test_due_date_rule_with_date_values(engine: Engine) -> None:
    rule = engine.compile({">=": [{"var": "due_date"}, {"today": []}]}, name="r_due_future")
    assert rule({"due_date": date(2026, 3, 16)}) is True
    assert rule({"due_date": date(2026, 3, 15)}) is False
    assert rule({"due_date": "2026-04-01"}) is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05", "2026-01-05"),
        ("2026/1/5", "2026-01-05"),
        ("2026.01.05", "2026-01-05"),
        ("2026年1月5日", "2026-01-05"),
        (" 2026-01-05 ", "2026-01-05"),
        ("2026-01-05T10:00:00", "2026-01-05"),
        ("2026-01-05T16:00:00Z", "2026-01-06"),
        ("2026-01-05T15:59:59Z", "2026-01-05"),
        ("2026-01-06T00:30:00+08:00", "2026-01-06"),
        (date(2026, 1, 5), "2026-01-05"),
        (datetime(2026, 1, 5, 17, 0, tzinfo=UTC), "2026-01-06"),
        (None, None),
    ],
)
def test_date_parsing(engine: Engine, value: object, expected: str | None) -> None:
    assert engine.apply({"date": [{"var": "v"}]}, {"v": value}) == expected


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-13-01", "26-01-05", "2026-1/5", "tomorrow", "", 20260105, True, [2026]]
)
def test_bad_dates_are_evaluation_errors(engine: Engine, value: object) -> None:
    fn = engine.compile({"date": [{"var": "v"}]}, name="r_date")
    with pytest.raises(RuleEvalError) as info:
        fn({"v": value})
    assert info.value.rule_name == "r_date"
    assert "not a valid date" in info.value.message_en and "不是有效的日期" in info.value.message_zh


def test_days_between_and_add_days(engine: Engine) -> None:
    assert engine.apply({"days_between": ["2026-01-01", "2026-03-01"]}) == 59
    between = {"days_between": [{"var": "a"}, {"var": "b"}]}
    assert engine.apply(between, {"a": date(2024, 3, 1), "b": "2024-02-28"}) == -2
    assert engine.apply({"days_between": [{"today": []}, "2026-03-19"]}) == 3
    assert engine.apply({"days_between": [None, "2026-03-19"]}) is None
    assert engine.apply({"add_days": ["2026-02-27", 2]}) == "2026-03-01"
    assert engine.apply({"add_days": [{"var": "d"}, -1]}, {"d": date(2026, 1, 1)}) == "2025-12-31"
    assert engine.apply({"add_days": ["2026-01-01", 2.0]}) == "2026-01-03"
    with pytest.raises(RuleEvalError, match="whole number"):
        engine.apply({"add_days": ["2026-01-01", 1.5]})


def test_workdays_between_with_a_holiday_calendar(engine: Engine) -> None:
    def workdays(a: str, b: str, cal: str | None = None) -> int:
        return engine.apply({"workdays_between": [a, b] + ([cal] if cal else [])})

    assert workdays("2026-03-13", "2026-03-16") == 1  # Friday → Monday
    assert workdays("2026-03-16", "2026-03-23") == 5
    assert workdays("2026-03-23", "2026-03-16") == -5
    assert workdays("2026-03-16", "2026-03-16") == 0
    # National Day: Oct 1, 2, 5, 6, 7 are holidays, Saturday Oct 10 is a working day.
    assert workdays("2026-09-30", "2026-10-12") == 8
    assert workdays("2026-09-30", "2026-10-12", "cn") == 4
    # Sunday Sep 20 is a working day in the calendar.
    assert workdays("2026-09-18", "2026-09-21", "cn") == 2
    assert workdays("2026-01-01", "2027-01-01", "empty") == workdays("2026-01-01", "2027-01-01")
    assert engine.apply({"workdays_between": [None, "2026-01-01", "cn"]}) is None


def test_unknown_calendars_are_refused(engine: Engine) -> None:
    with pytest.raises(RuleCompileError, match="unknown holiday calendar 'us'.*known: cn, empty"):
        engine.compile({"workdays_between": ["2026-01-01", "2026-02-01", "us"]})
    with pytest.raises(RuleEvalError, match="unknown holiday calendar"):
        engine.apply({"workdays_between": ["2026-01-01", "2026-02-01", {"var": "cal"}]}, {"cal": "us"})
    with pytest.raises(ValueError, match="ISO dates"):
        Engine(holidays={"bad": {"holidays": ["2026/10/01"]}})
    with pytest.raises(ValueError, match="unknown keys"):
        Engine(holidays={"bad": {"holiday": []}})
    assert Engine(holidays=HOLIDAYS).calendars == {"cn", "empty"}


def test_round_is_decimal_half_up(engine: Engine) -> None:
    assert engine.apply({"round": [1.005, 2]}) == Decimal("1.01")
    assert str(engine.apply({"round": [1.005, 2]})) == "1.01"
    assert engine.apply({"round": [2.675, 2]}) == Decimal("2.68")
    assert engine.apply({"round": [-2.5]}) == Decimal("-3")
    assert str(engine.apply({"round": [-0.001, 2]})) == "0.00"
    assert str(engine.apply({"round": [5, 2]})) == "5.00"
    assert engine.apply({"round": [1250, -2]}) == Decimal("1300")
    assert engine.apply({"round": [Decimal("0.125"), 2]}) == Decimal("0.13")
    assert engine.apply({"round": ["12.345", 2]}) == Decimal("12.35")
    assert engine.apply({"round": [None, 2]}) is None
    with pytest.raises(RuleCompileError, match="decimal places"):
        engine.compile({"round": [1, 13]})
    for bad in ("abc", True, [1], "1,000"):
        with pytest.raises(RuleEvalError, match="money operation needs a number"):
            engine.apply({"round": [{"var": "x"}, 2]}, {"x": bad})


def test_sum_over_child_rows_is_exact_decimal(engine: Engine) -> None:
    order = {
        "lines": [
            {"sku": "A", "amount": Decimal("10.10")},
            {"sku": "B", "amount": Decimal("0.20")},
            {"sku": "C", "amount": None},
            {"sku": "D"},
            {"sku": "E", "amount": 0.1},
            {"sku": "F", "amount": "0.3"},
        ]
    }
    total = engine.apply({"sum": [{"var": "lines"}, "amount"]}, order)
    assert type(total) is Decimal
    assert str(total) == "10.70"
    assert engine.apply({"sum": [[0.1, 0.2]]}) == Decimal("0.3")
    assert engine.apply({"sum": [None]}) == Decimal(0)
    assert engine.apply({"sum": [{"var": "missing"}, "amount"]}, order) == Decimal(0)
    with pytest.raises(RuleEvalError, match="sum needs a list"):
        engine.apply({"sum": ["abc"]})
    with pytest.raises(RuleEvalError, match="money operation needs a number"):
        engine.apply({"sum": [[1, "x"]]})


def test_money_mul(engine: Engine) -> None:
    assert engine.apply({"money_mul": [1.1, 3]}) == Decimal("3.3")
    assert engine.apply({"round": [{"money_mul": [1.15, 3]}, 1]}) == Decimal("3.5")
    assert engine.apply({"round": [{"*": [1.15, 3]}, 1]}) == Decimal("3.4")  # the float product is 3.4499999999999997
    assert engine.apply({"money_mul": [None, 3]}) is None


def test_text_operations_and_nulls(engine: Engine) -> None:
    assert engine.apply({"lower": ["ABC 订单"]}) == "abc 订单"
    assert engine.apply({"upper": ["abc"]}) == "ABC"
    assert engine.apply({"trim": ["\u3000 订单 \u00a0\n"]}) == "订单"
    assert engine.apply({"upper": [12.5]}) == "12.5"
    for op in ("lower", "upper", "trim", "normalize_phone"):
        assert engine.apply({op: [None]}) is None
        with pytest.raises(RuleEvalError, match="needs text"):
            engine.apply({op: [{"var": "x"}]}, {"x": {"a": 1}})
    assert engine.apply({"contains": ["order-123", "123"]}) is True
    assert engine.apply({"contains": [{"var": "tags"}, "urgent"]}, {"tags": ["urgent", "vip"]}) is True
    assert engine.apply({"contains": [None, "x"]}) is False
    assert engine.apply({"contains": ["x", None]}) is False
    assert engine.apply({"contains": [{"var": "days"}, "2026-01-01"]}, {"days": [date(2026, 1, 1)]}) is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("(86) 138 0013 8000", "13800138000"),
        ("（0086）13912345678", "13912345678"),
        ("138 0013 8000", "13800138000"),
        ("010-12345678", "01012345678"),
        ("+86 10 1234 5678", "+861012345678"),
        (13800138000, "13800138000"),
        ("", ""),
    ],
)
def test_normalize_phone(engine: Engine, raw: object, expected: str) -> None:
    assert engine.apply({"normalize_phone": [{"var": "p"}]}, {"p": raw}) == expected


def test_regex_match_subset(engine: Engine) -> None:
    mobile = engine.compile({"regex_match": ["^1[3-9]\\d{9}$", {"var": "phone"}]})
    assert mobile({"phone": "13800138000"}) is True
    assert mobile({"phone": "1380013800"}) is False
    assert mobile({"phone": None}) is False
    assert mobile({"phone": 13800138000}) is True
    assert engine.apply({"regex_match": ["\\d", "٣"]}) is False  # ASCII digits only, as in JS
    assert engine.apply({"regex_match": ["abc$", "abc\n"]}) is False  # $ is the very end, as in JS
    assert engine.apply({"regex_match": ["^.$", "\u2028"]}) is False  # . stops at JS line terminators
    assert engine.apply({"regex_match": ["\\s", "\u3000"]}) is True  # JS whitespace
    with pytest.raises(RuleEvalError, match="nested quantifiers"):
        engine.apply({"regex_match": [{"var": "p"}, "aaa"]}, {"p": "(a*)*"})
    with pytest.raises(RuleEvalError, match="must be text"):
        engine.apply({"regex_match": [{"var": "p"}, "aaa"]}, {"p": 5})


def test_add_workdays_counts_forward_over_weekends_and_holidays(engine: Engine) -> None:
    def plus(day: str, n: int, cal: str | None = None) -> str:
        return engine.apply({"add_workdays": [day, n] + ([cal] if cal else [])})

    assert plus("2026-03-13", 1) == "2026-03-16"  # Friday + 1 → Monday
    assert plus("2026-03-14", 1) == "2026-03-16"  # Saturday + 1 → Monday
    assert plus("2026-03-16", 5) == "2026-03-23"
    assert plus("2026-03-15", 0) == "2026-03-15"
    # National Day: Oct 1, 2, 5, 6, 7 are holidays, Saturday Oct 10 is a working day.
    assert plus("2026-09-30", 1, "cn") == "2026-10-08"
    assert plus("2026-09-30", 3, "cn") == "2026-10-10"
    for day, n in (("2026-09-30", 4), ("2026-01-01", 250), ("2026-09-18", 1)):
        end = plus(day, n, "cn")
        assert engine.apply({"workdays_between": [day, end, "cn"]}) == n
        assert engine.apply({"workdays_between": [day, {"add_days": [end, -1]}, "cn"]}) == n - 1
    assert engine.apply({"add_workdays": [None, 3]}) is None
    with pytest.raises(RuleEvalError, match="counts forward"):
        engine.apply({"add_workdays": ["2026-03-16", -1]})
    with pytest.raises(RuleCompileError, match="unknown holiday calendar"):
        engine.compile({"add_workdays": ["2026-01-01", 3, "us"]})
