"""The embedded runner: without Redis, a pump and a thread pool in the web process do all the work."""

from __future__ import annotations

from pathlib import Path

import pytest

from sunmao.jobs import notify_work, start_embedded
from sunmao.jobs.secrets import generate_webhook_secret, secret_store
from sunmao.jobs.service import embedded_service
from sunmao.jobs.settings import JobSettings
from sunmao.runtime import Runtime
from tests.conftest import make_api
from tests.outbound.helpers import add_documents, http_hook, statuses
from tests.outbound.receiver import Receiver


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The runner is what is tested here (the pump runs on both databases elsewhere); SQLite only."""
    return f"sqlite:///{tmp_path / 'sunmao.db'}"


@pytest.fixture
def hooked(lab: Runtime, lab_dir: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SUNMAO_JOBS_POLL", "0.1")
    secret_store(lab.db).set("erp_hook", generate_webhook_secret())
    add_documents(lab_dir, {"webhooks/erp.json": http_hook("erp", receiver.url, events=["widget.created"])})
    lab.install_app(lab_dir)
    return lab


def test_embedded_service_delivers_in_process(hooked: Runtime, receiver: Receiver) -> None:
    service = start_embedded(hooked, JobSettings(poll_interval=5.0, threads=2))
    try:
        assert start_embedded(hooked) is service  # one per runtime and process
        hooked.records().create_many("widget", [{"title": f"w{i}"} for i in range(25)])
        notify_work()  # woken at once: the 5 s poll interval is not waited for
        receiver.wait_for(lambda rs: len({r.headers["webhook-id"] for r in rs}) == 25, timeout=10)
    finally:
        service.stop()
    assert statuses(hooked) == ["succeeded"] * 25 and embedded_service(hooked) is None


def test_a_real_server_starts_it_on_its_first_request(hooked: Runtime, receiver: Receiver) -> None:
    api = make_api(hooked, "clerk1", ["admin"])
    assert api.post("/api/v1/widget", json={"title": "via the test client"}).status_code == 201
    assert embedded_service(hooked) is None  # the WSGI test client is not a server: no threads
    try:
        response = api.client.post("/api/v1/widget", json={"title": "via a server"}, headers=api._headers(),
                                   environ_base={"SERVER_SOFTWARE": "waitress"})
        assert response.status_code == 201
        assert embedded_service(hooked) is not None
        receiver.wait_for(lambda rs: len({r.headers["webhook-id"] for r in rs}) == 2, timeout=5)
    finally:
        service = embedded_service(hooked)
        if service is not None:
            service.stop()
