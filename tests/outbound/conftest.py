from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from tests.outbound.receiver import Receiver


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test encrypts its secrets with a key of its own (never instance/secret.key)."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SUNMAO_SECRET_KEY", key)
    return key


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def robots(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Receiver:
    monkeypatch.setenv("SUNMAO_WECOM_BASE_URL", receiver.url + "/wecom")
    monkeypatch.setenv("SUNMAO_DINGTALK_BASE_URL", receiver.url + "/dingtalk")
    return receiver
