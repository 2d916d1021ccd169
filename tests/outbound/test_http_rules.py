"""HTTP webhooks: signature tampering, conditions, templates, 429 and connection errors, missing secrets,
and what a publish refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from standardwebhooks import Webhook as Verifier

from sunmao.hooks.outbound.deliver import dead_letters, replay
from sunmao.jobs.secrets import generate_webhook_secret, secret_store
from sunmao.meta.errors import MetadataError
from sunmao.runtime import Runtime
from tests.outbound.helpers import add_documents, drive, http_hook, rows, statuses
from tests.outbound.receiver import Answer, Receiver


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """What these tests check does not depend on the database: SQLite only (test_http.py runs both)."""
    return f"sqlite:///{tmp_path / 'sunmao.db'}"


def _install(runtime: Runtime, lab_dir: Path, *hooks: dict) -> Runtime:
    add_documents(lab_dir, {f"webhooks/{h['key']}.json": h for h in hooks})
    runtime.install_app(lab_dir)
    return runtime


def _outbox_ids(runtime: Runtime) -> list[str]:
    import sqlalchemy as sa

    from sunmao.storage import system as sm

    with runtime.db.read() as conn:
        return list(conn.execute(sa.select(sm.outbox.c.event_id).order_by(sm.outbox.c.id)).scalars())


def test_a_tampered_body_fails_verification(runtime: Runtime, lab_dir: Path, receiver: Receiver) -> None:
    secret = generate_webhook_secret()
    secret_store(runtime.db).set("erp_hook", secret)
    _install(runtime, lab_dir, http_hook("erp", receiver.url))
    runtime.records().create("widget", {"title": "Bolt"})
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])
    (request,) = receiver.snapshot()
    with pytest.raises(Exception, match="signature"):
        Verifier(secret).verify(request.body.replace(b"Bolt", b"Nut"), request.headers)
    with pytest.raises(Exception, match="signature"):
        Verifier(generate_webhook_secret()).verify(request.body, request.headers)


def test_429_and_connection_errors_are_retried(runtime: Runtime, lab_dir: Path, receiver: Receiver) -> None:
    secret_store(runtime.db).set("erp_hook", generate_webhook_secret())
    closed = Receiver()
    closed_url = closed.url
    closed.close()  # nothing listens there any more: connection refused
    _install(runtime, lab_dir, http_hook("erp", receiver.url), http_hook("gone", closed_url, retry={
        "max_attempts": 2, "backoff_seconds": 0.05}))
    receiver.answer_next(Answer(429, b"", (("Retry-After", "0"),)))
    runtime.records().create("widget", {"title": "Pin"})
    drive(runtime, lambda: sorted(statuses(runtime)) == ["dead", "succeeded"])
    by_hook = {r["webhook"]: r for r in rows(runtime)}
    assert by_hook["erp"]["attempts"] == 2
    assert by_hook["gone"]["attempts"] == 2 and by_hook["gone"]["last_status_code"] is None
    assert "ConnectionRefused" in by_hook["gone"]["last_error"]


def test_condition_filters_events_and_payload_template_renders(runtime: Runtime, lab_dir: Path,
                                                               receiver: Receiver) -> None:
    secret_store(runtime.db).set("erp_hook", generate_webhook_secret())
    _install(runtime, lab_dir, http_hook(
        "big", receiver.url, events=["widget.created"],
        condition={">": [{"var": "record.qty"}, 10]},
        payload={"text": "新部件 {{ record.title }} × {{ record.qty }}", "qty": "{{ record.qty }}",
                 "event": "{{ event.id }}", "big": {"$logic": {">": [{"var": "record.qty"}, 100]}},
                 "missing": "[{{ record.nothing.here }}]"}))
    records = runtime.records()
    records.create("widget", {"title": "small", "qty": 5})
    big = records.create("widget", {"title": "large", "qty": 500})
    records.update("widget", big["id"], {"qty": 600})  # widget.updated: not subscribed
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])
    (request,) = receiver.snapshot()
    assert request.json() == {"text": "新部件 large × 500", "qty": 500, "event": request.headers["webhook-id"],
                              "big": True, "missing": "[]"}


def test_missing_secret_is_dead_with_advice_and_replayable_once_set(runtime: Runtime, lab_dir: Path,
                                                                   receiver: Receiver) -> None:
    _install(runtime, lab_dir, http_hook("erp", receiver.url))
    runtime.records().create("widget", {"title": "Nut"})
    drive(runtime, lambda: statuses(runtime) == ["dead"])
    (dead,) = dead_letters(runtime.db)
    assert "sunmao secret set erp_hook" in dead["last_error"] and receiver.snapshot() == []
    secret_store(runtime.db).set("erp_hook", generate_webhook_secret())
    replay(runtime.db, dead["id"])
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])


def test_a_broken_condition_refuses_the_publish_naming_file_and_path(runtime: Runtime, lab_dir: Path) -> None:
    add_documents(lab_dir, {"webhooks/bad.json": http_hook("bad", "http://127.0.0.1:9/x",
                                                          condition={"no_such_op": [1]})})
    with pytest.raises(MetadataError) as caught:
        runtime.install_app(lab_dir)
    (problem,) = caught.value.problems
    assert problem.file == "lab/webhooks/bad.json" and problem.path == "$.condition"
    assert "no_such_op" in problem.message


def test_a_secret_value_in_the_document_is_refused(runtime: Runtime, lab_dir: Path) -> None:
    hook = http_hook("leaky", "http://127.0.0.1:9/x")
    hook["target"]["secret"] = "whsec_c2VjcmV0IGluIGNsZWFyIHRleHQ="  # noqa: S105 - what must be refused
    add_documents(lab_dir, {"webhooks/leaky.json": hook})
    with pytest.raises(MetadataError) as caught:
        runtime.install_app(lab_dir)
    assert [p.path for p in caught.value.problems] == ["$.target.secret"]
