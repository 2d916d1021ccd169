"""Shared fixtures: real databases (SQLite files and PostgreSQL schemas), runtimes, API clients.

PostgreSQL and Redis tests skip with a reason when the server is not reachable — except
under CI=true, where a missing service is a failure, never a silent skip.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.test import Client

from sunmao import accounts, assembly
from sunmao.runtime import Runtime

os.environ.setdefault("SUNMAO_FAST_HASHES", "1")  # cheap argon2 parameters: tests create many users

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """At the start of a run, what is missing for a full one and how to get it (nothing when all is there)."""
    from tests.services import report_header

    return report_header()


def require_service(name: str, reason: str) -> None:
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} not available: {reason}")


_pg_checked: dict[str, str | None] = {}


def postgres_error() -> str | None:
    if "error" not in _pg_checked:
        try:
            engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            engine.dispose()
            _pg_checked["error"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_checked["error"] = str(exc).splitlines()[0]
    return _pg_checked["error"]


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test encrypts its secrets with a key of its own (never instance/secret.key)."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SUNMAO_SECRET_KEY", key)
    return key


@pytest.fixture
def receiver() -> Iterator[object]:
    """A real HTTP receiver on 127.0.0.1 that records what it is sent (tests/outbound/receiver.py)."""
    from tests.outbound.receiver import Receiver

    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A fresh PostgreSQL schema of its own, dropped afterwards."""
    error = postgres_error()
    if error:
        require_service("PostgreSQL", error)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sunmao.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def runtime(db_url: str) -> Iterator[Runtime]:
    rt = assembly.runtime(db_url, check_interval=0)
    rt.setup()
    yield rt
    rt.db.dispose()


@pytest.fixture
def lab_dir(tmp_path: Path) -> Path:
    """A writable copy of the test app package (tests change it and publish again)."""
    target = tmp_path / "lab"
    shutil.copytree(FIXTURES / "lab", target)
    return target


@pytest.fixture
def lab(runtime: Runtime, lab_dir: Path) -> Runtime:
    runtime.install_app(lab_dir)
    return runtime


class Api:
    """A thin JSON client over the real WSGI stack (dispatcher included) with a bearer token."""

    def __init__(self, wsgi: object, token: str | None):
        self.client = Client(wsgi)
        self.token = token

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept-Language": "en"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path: str, json: object = None, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path: str, json: object = None, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.patch(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)


def make_api(runtime: Runtime, username: str, roles: list[str]) -> Api:
    from sunmao.web import create_wsgi

    accounts.create_user(runtime.db, username, "correct horse battery", roles)
    token = accounts.create_token(runtime.db, username, "tests")
    return Api(create_wsgi(runtime), token)


@pytest.fixture
def admin_api(lab: Runtime) -> Api:
    return make_api(lab, "root", ["admin"])


# -- secrets never logged ----------------------------------------------------------------------
# Every log record of the whole run is checked against every secret the tests store (through the
# secret store or as a channel credential): a secret in a log line fails the test that logged it.

_SECRETS: set[str] = set()
_LEAKS: list[str] = []


class _SecretLeaks(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if not _SECRETS:
            return
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format has nothing to check
            return
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        for value in _SECRETS:
            if value in text:
                _LEAKS.append(f"{record.name}: a stored secret ({value[:3]}…) in a {record.levelname} record")


def pytest_configure(config: pytest.Config) -> None:
    from sunmao.jobs.secrets import SecretStore

    root = logging.getLogger()
    root.addHandler(_SecretLeaks(logging.DEBUG))
    root.setLevel(min(root.level or logging.WARNING, logging.INFO))  # info records are checked too
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)  # its INFO is statement echo
    original = SecretStore.set

    def remembering(self: SecretStore, name: str, value: str, **kw: object) -> None:
        if value and len(value) >= 8:
            _SECRETS.add(value)
        original(self, name, value, **kw)  # type: ignore[arg-type]

    SecretStore.set = remembering  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_secret_in_the_logs() -> Iterator[None]:
    yield
    if _LEAKS:
        leaks = list(dict.fromkeys(_LEAKS))
        _LEAKS.clear()
        pytest.fail("secrets reached the log:\n" + "\n".join(leaks))
