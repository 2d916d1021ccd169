"""schemathesis against the generated OpenAPI document, over HTTP to the real WSGI stack.

Every documented route of the order-management app with a small demo set, served by waitress on
127.0.0.1 (``sunmao run``'s server; schemathesis' in-process WSGI transport does not run its
engine's phases), is fuzzed by the same engine as `schemathesis run` (examples, coverage, fuzzing
and stateful phases, every check), with a fixed seed and a bounded example budget: as admin on
SQLite, and as the warehouse role (a restricted one) on PostgreSQL. The API must answer no 500 and
nothing the document does not say (status codes, content types, response schemas, headers, Allow),
must refuse what breaks the document (negative data) and accept what fits it.

One allowance, written here: a request that fits the document may still be refused with 412 (its
If-Match names no current version) or 422 (a rule, a link to a record that does not exist, a unique
value taken): the document cannot say which records exist or what a business rule requires. And a
request that breaks the document may be refused with 413 when its body is past the size limit.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import events

from sunmao import assembly
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from sunmao.web.openapi import IF_MATCH_PATTERN
from tests.conftest import make_api
from tests.screens import demo

pytestmark = pytest.mark.fuzz

SEED = 7
#: Cases per operation and phase; FUZZ_EXAMPLES raises it for a longer run by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
MAX_TIME = int(os.environ.get("FUZZ_MAX_TIME", "60"))  # seconds per role: the fuzzing phase stops there
ACCEPTED = ["2xx", "401", "403", "404", "409", "412", "422"]
#: schemathesis' own list, and 413: a body past the size limit is refused before it is read.
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


def _config(token: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "max-time": MAX_TIME,
        "headers": {"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        "generation": {"max-examples": EXAMPLES, "mode": "all", "deterministic": True, "database": "none"},
        "cache": {"enabled": False},  # each run starts from nothing: the same seed, the same cases
        "suppress-health-check": ["all"],
        "checks": {"enabled": True, "positive_data_acceptance": {"expected-statuses": ACCEPTED},
                   "negative_data_rejection": {"expected-statuses": REFUSED}},
    })


@contextmanager
def serving(runtime: Runtime) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, as ``sunmao run`` serves it; its base URL."""
    from waitress.server import create_server

    server = create_server(create_wsgi(runtime), host="127.0.0.1", port=0, threads=4, ident="sunmao")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)


def run_fuzz(base_url: str, token: str) -> tuple[Counter[str], list[str]]:
    """Run every phase against the app; the status codes answered, and one line per failure."""
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=_config(token))
    if_match = re.compile(IF_MATCH_PATTERN)

    @schema.hook("filter_failure")
    def _not_the_apis_fault(context: Any, failure: Any, case: Any, response: Any) -> bool:
        """schemathesis' coverage phase cannot draw a header value for a pattern that needs quotes:
        it sends `If-Match: 0` in a case it calls valid, and the API rightly answers 400. Only that
        failure is dropped; a malformed If-Match in a negative case must still be refused."""
        value = (case.headers or {}).get("If-Match")
        return not (failure.code == "ST202" and response.status_code == 400 and value is not None
                    and not if_match.fullmatch(value))

    statuses: Counter[str] = Counter()
    failures: dict[tuple[str, str], str] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise event.exception
        if isinstance(event, events.NonFatalError):
            failures[("error", event.label)] = f"error in {event.label}: {event.info.message}"
        recorder = getattr(event, "recorder", None)
        if not isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished) or recorder is None:
            continue
        for interaction in recorder.interactions.values():
            statuses[str(interaction.response.status_code) if interaction.response else "none"] += 1
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                sample = check.failure_info.code_sample.splitlines()[0][:300]
                message = " / ".join(line.strip() for line in failure.message.splitlines() if line.strip())
                failures.setdefault((failure.title, failure.operation or ""),
                                    f"{failure.code} {failure.title} — {failure.operation}: {message[:400]} "
                                    f"[{case_id}] {sample}")
    return statuses, sorted(failures.values())


def _seed(runtime: Runtime) -> None:
    demo.install(runtime)
    demo.users(runtime)
    demo.seed(runtime, orders=6)


@pytest.mark.parametrize(("role", "database"), [("admin", "sqlite"),
                                                pytest.param("warehouse", "postgres", marks=pytest.mark.postgres)])
def test_the_api_answers_as_its_document_says(role: str, database: str, request: pytest.FixtureRequest,
                                              tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNMAO_JOBS", "off")  # no embedded job runner in the test process
    url = f"sqlite:///{tmp_path / 'fuzz.db'}" if database == "sqlite" else request.getfixturevalue("pg_schema_url")
    runtime = assembly.runtime(url, check_interval=0)
    runtime.setup()
    try:
        _seed(runtime)
        token = make_api(runtime, f"fuzz_{role}", [role]).token
        assert token
        with serving(runtime) as base_url:
            statuses, failures = run_fuzz(base_url, token)
    finally:
        runtime.db.dispose()
    print(f"\n{role} on {database}: {sum(statuses.values())} requests, statuses {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) > 500  # the budget was spent on requests, not lost to an error
    assert statuses.get("500", 0) == 0
    assert failures == []
