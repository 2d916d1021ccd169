"""Fixtures for the rule engine tests: a pinned engine and one node process per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sunmao.rules import Engine

from .jsbridge import NodeRules, find_node

#: The instant the tests call "now": 20:30 UTC is already 04:30 on the 16th in Shanghai,
#: so a wrong time zone shows up as a wrong ``today``.
NOW = datetime(2026, 3, 15, 20, 30, 0, tzinfo=UTC)

#: A sample calendar in the shape of the Chinese public holiday schedule: weekday holidays,
#: and weekend days that are working days ("调休").
HOLIDAYS = {
    "cn": {
        "holidays": [
            "2026-01-01", "2026-01-02", "2026-01-03",
            "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20", "2026-02-23",
            "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19",
            "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07",
        ],
        "workdays": ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    },
    "empty": {},
}


def pinned_engine() -> Engine:
    return Engine(clock=lambda: NOW, holidays=HOLIDAYS)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return pinned_engine()


@pytest.fixture(scope="session")
def node() -> Iterator[NodeRules]:
    executable = find_node()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is required for the differential rule tests in CI (install nodejs)")
        pytest.skip("node is not installed: the differential tests against json-logic-js need it")
    runner = NodeRules(executable, {"now": NOW.isoformat(), "timeZone": "Asia/Shanghai", "holidays": HOLIDAYS})
    yield runner
    runner.close()
