from __future__ import annotations

from collections.abc import Iterator

import pytest

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"  # a database of its own; each test uses a queue of its own


@pytest.fixture
def redis_url() -> str:
    from sunmao.jobs.redisconn import quick_client
    from tests.conftest import require_service

    try:
        quick_client(REDIS_TEST_URL).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        require_service("Redis", f"{REDIS_TEST_URL}: {exc}")
    return REDIS_TEST_URL


@pytest.fixture
def rq_queue(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A queue name of this test's own (REDIS_URL and SUNMAO_QUEUE set); its keys are deleted afterwards."""
    import uuid

    from sunmao.jobs.redisconn import quick_client

    queue = f"sunmao-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SUNMAO_QUEUE", queue)
    yield queue
    try:
        client = quick_client(redis_url)
        keys = list(client.scan_iter(match=f"*{queue}*", count=1000))
        if keys:
            client.delete(*keys)
    except Exception:  # noqa: BLE001, S110 - Redis restarted by the test: nothing is left to clean
        pass
