"""Two server processes on one database: a publish made through one is live in the other within a
second, without a restart (each process notices the new version row and builds its app)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sunmao import accounts
from sunmao.runtime import Runtime

WIDGET = "lab/entities/widget.json"


class Http:
    """A small JSON client (the standard library's)."""

    def __init__(self, token: str):
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en", "Content-Type": "application/json"}

    def call(self, method: str, url: str, body: object = None) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=self.headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - 127.0.0.1 only
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def get(self, url: str) -> object:
        return self.call("GET", url)[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_servers(lab: Runtime, db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    accounts.create_user(lab.db, "dora", "correct horse battery", ["designer", "clerk"])
    token = accounts.create_token(lab.db, "dora", "two processes")
    env = {**os.environ, "DATABASE_URL": db_url, "SUNMAO_JOBS": "off", "PYTHONUNBUFFERED": "1"}
    ports = [_port(), _port()]
    procs = [subprocess.Popen([sys.executable, "-m", "sunmao.cli", "run", "--port", str(p), "--threads", "4"],
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for p in ports]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start: {proc.stdout.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield urls[0], urls[1], token
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def test_a_publish_in_one_process_is_live_in_the_other_within_a_second(two_servers: tuple[str, str, str]) -> None:
    first, second, token = two_servers
    http = Http(token)
    assert http.get(f"{second}/healthz")["version"] == 1
    before = http.call("POST", f"{second}/api/v1/widget", {"title": "before", "coating": "黑"})
    assert before[0] == 422, before
    draft = http.call("POST", f"{first}/api/v1/_design/drafts", {"title": "coating"})[1]["id"]
    doc = http.get(f"{first}/api/v1/_design/drafts/{draft}/documents/{WIDGET}")["document"]
    doc["fields"].append({"id": "f_coat", "key": "coating", "type": "string", "label": {"zh": "涂层", "en": "Coating"}})
    assert http.call("PUT", f"{first}/api/v1/_design/drafts/{draft}/documents/{WIDGET}", {"document": doc})[0] == 200
    status, body = http.call("POST", f"{first}/api/v1/_design/drafts/{draft}/publish", {"comment": "two processes"})
    assert status == 200, body
    done = time.monotonic()
    while http.get(f"{second}/healthz")["version"] != 2:
        assert time.monotonic() - done < 1.0, "the other process did not switch within a second"
        time.sleep(0.02)
    live = time.monotonic() - done
    status, created = http.call("POST", f"{second}/api/v1/widget", {"title": "from the other process", "coating": "黑"})
    assert status == 201 and created["coating"] == "黑"
    print(f"\nlive in the other process after {live * 1000:.0f} ms")
