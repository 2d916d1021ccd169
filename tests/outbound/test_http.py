"""HTTP webhooks on SQLite and PostgreSQL: Standard Webhooks signatures, the same id across retries,
backoff, dead letters and replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from standardwebhooks import Webhook as Verifier

from sunmao.hooks.outbound.deliver import ReplayRefused, dead_letters, replay
from sunmao.jobs.secrets import generate_webhook_secret, secret_store
from sunmao.runtime import Runtime
from tests.outbound.helpers import add_documents, drive, http_hook, rows, statuses
from tests.outbound.receiver import Answer, Receiver


def _install(runtime: Runtime, lab_dir: Path, *hooks: dict) -> Runtime:
    add_documents(lab_dir, {f"webhooks/{h['key']}.json": h for h in hooks})
    runtime.install_app(lab_dir)
    return runtime


def _outbox_ids(runtime: Runtime) -> list[str]:
    import sqlalchemy as sa

    from sunmao.storage import system as sm

    with runtime.db.read() as conn:
        return list(conn.execute(sa.select(sm.outbox.c.event_id).order_by(sm.outbox.c.id)).scalars())


def test_signed_with_standard_webhooks_and_same_id_across_retries(runtime: Runtime, lab_dir: Path,
                                                                  receiver: Receiver) -> None:
    secret = generate_webhook_secret()
    secret_store(runtime.db).set("erp_hook", secret)
    _install(runtime, lab_dir, http_hook("erp", receiver.url + "/in"))
    receiver.fail_next(2, status=503)

    created = runtime.records().create("widget", {"title": "扳手", "qty": 3})
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])

    seen = receiver.snapshot()
    assert len(seen) == 3
    event_id = _outbox_ids(runtime)[0]
    verifier = Verifier(secret)
    for request in seen:
        assert request.headers["webhook-id"] == event_id  # stable across retries: receivers de-duplicate on it
        body = verifier.verify(request.body, request.headers)  # the reference implementation accepts it
        assert body["type"] == "widget.created"
        assert body["data"]["record"]["title"] == "扳手" and body["data"]["id"] == created["id"]
    assert {r.body for r in seen} == {seen[0].body}  # every retry sends the same bytes
    gaps = [b.at - a.at for a, b in zip(seen, seen[1:], strict=False)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # backoff 0.2 s doubling, at least half of it fixed (jitter)
    (row,) = rows(runtime)
    assert row["attempts"] == 3 and row["last_status_code"] == 200 and row["succeeded_at"] is not None


def test_4xx_is_dead_at_once_and_replay_sends_it_again(runtime: Runtime, lab_dir: Path, receiver: Receiver) -> None:
    secret_store(runtime.db).set("erp_hook", generate_webhook_secret())
    _install(runtime, lab_dir, http_hook("erp", receiver.url))
    receiver.answer_next(Answer(422, b'{"error": "unknown sku"}'))
    runtime.records().create("widget", {"title": "Hinge"})
    drive(runtime, lambda: statuses(runtime) == ["dead"])

    (dead,) = dead_letters(runtime.db)
    assert dead["attempts"] == 1 and dead["last_status_code"] == 422
    assert "refused" in dead["last_error"] and "unknown sku" in dead["response_excerpt"]
    assert len(receiver.snapshot()) == 1

    replay(runtime.db, dead["id"])
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])
    first, second = receiver.snapshot()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert rows(runtime)[0]["replays"] == 1
    with pytest.raises(ReplayRefused, match="already succeeded"):
        replay(runtime.db, dead["id"])


def test_5xx_retried_until_attempts_run_out_then_dead(runtime: Runtime, lab_dir: Path, receiver: Receiver) -> None:
    secret_store(runtime.db).set("erp_hook", generate_webhook_secret())
    _install(runtime, lab_dir, http_hook("erp", receiver.url, retry={"max_attempts": 3, "backoff_seconds": 0.05}))
    receiver.default = Answer(500, b"boom")
    runtime.records().create("widget", {"title": "Cam"})
    drive(runtime, lambda: statuses(runtime) == ["dead"])
    assert len(receiver.snapshot()) == 3
    assert rows(runtime)[0]["attempts"] == 3
