"""/healthz for a load balancer and a monitor, and the security headers every response carries."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.test import Client

from sunmao.jobs.dbutil import utcnow
from sunmao.jobs.health import health
from sunmao.jobs.settings import JobSettings
from sunmao.runtime import Runtime
from sunmao.storage.db import Database
from sunmao.storage.system import outbox
from sunmao.web import create_wsgi
from tests.conftest import Api


def test_a_healthy_installation_answers_ok_with_its_figures(admin_api: Api, lab: Runtime,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    response = admin_api.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["outbox"]["pending"] >= 0 and body["jobs"]["dead"] == 0
    assert body["redis"] is None  # not configured: jobs run in the web process
    assert response.headers["Cache-Control"] == "no-store"


def test_events_left_behind_and_redis_down_make_it_degraded_but_still_routable(lab: Runtime) -> None:
    with lab.db.write() as conn:
        conn.execute(sa.insert(outbox).values(event_id=str(uuid.uuid4()), topic="widget.created", entity="widget",
                                              record_id=1, payload={}, created_at=utcnow() - timedelta(minutes=20)))
    status, report = health(lab.db, JobSettings(redis_url="redis://127.0.0.1:1/0"))
    assert status == 200 and report["status"] == "degraded"
    assert report["outbox"]["pending"] >= 1 and report["outbox"]["oldest_seconds"] >= 1200
    assert report["redis"]["ok"] is False
    assert any(r.startswith("events waiting for") for r in report["reasons"])
    assert any("Redis does not answer" in r for r in report["reasons"])


def test_a_database_that_does_not_answer_is_503() -> None:
    down = Database("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1")
    status, report = health(down, JobSettings())
    assert status == 503 and report["status"] == "down" and report["database"]["ok"] is False
    down.dispose()


@pytest.mark.parametrize("path", ["/api/v1/widget", "/api/v1/nothing-here", "/healthz", "/login", "/api/openapi.json"])
def test_every_response_carries_the_security_headers(admin_api: Api, path: str) -> None:
    response = admin_api.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert "Strict-Transport-Security" not in headers  # plain HTTP: a browser would ignore it anyway
    if response.mimetype == "text/html":  # a page: its own policy (sign-in runs no script) or the page default
        assert "form-action 'self'" in headers["Content-Security-Policy"]
    else:
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_hsts_over_https_and_behind_a_proxy_that_says_so(lab: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    direct = Client(create_wsgi(lab)).get("/healthz", base_url="https://erp.example.cn")
    assert direct.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.7"}
    assert "Strict-Transport-Security" not in Client(create_wsgi(lab)).get("/healthz", headers=forwarded).headers
    monkeypatch.setenv("SUNMAO_PROXY_HOPS", "1")
    behind = Client(create_wsgi(lab)).get("/healthz", headers=forwarded)
    assert "Strict-Transport-Security" in behind.headers


def test_the_audit_trail_is_append_only_whoever_asks(lab: Runtime) -> None:
    """Not only has no route a way to change it: the database itself refuses an UPDATE, a DELETE or
    (PostgreSQL) a TRUNCATE of sm_audit, from the platform's code or a script with the URL."""
    from sunmao.storage import system as sm

    made = lab.records().create("widget", {"title": "audited"})
    with lab.db.read() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(sm.audit)).scalar_one()
    attempts = [sm.audit.update().values(diff={}), sm.audit.delete().where(sm.audit.c.record_id == made["id"])]
    if not lab.db.is_sqlite:
        attempts.append(sa.text("TRUNCATE sm_audit"))
    for statement in attempts:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), lab.db.write() as conn:
            conn.execute(statement)
    lab.setup()  # setting up again keeps (and does not duplicate) the guard
    with lab.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sm.audit)).scalar_one() == before
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), lab.db.write() as conn:
        conn.execute(sm.audit.delete())


def test_a_secret_in_a_log_record_is_caught(lab: Runtime) -> None:
    """The suite-wide check (tests/conftest.py) has teeth: a stored secret in any log line is a leak."""
    import logging

    from sunmao.jobs.secrets import secret_store
    from tests import conftest

    secret_store(lab.db).set("probe_secret", "sk_live_7Hq2mZ9pXw")
    logging.getLogger("sunmao.probe").warning("calling the ERP with key %s", "sk_live_7Hq2mZ9pXw")
    caught = list(conftest._LEAKS)
    conftest._LEAKS.clear()
    assert caught == ["sunmao.probe: a stored secret (sk_…) in a WARNING record"]
