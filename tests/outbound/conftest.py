from __future__ import annotations

import pytest

from tests.outbound.receiver import Receiver


@pytest.fixture
def robots(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Receiver:
    monkeypatch.setenv("SUNMAO_WECOM_BASE_URL", receiver.url + "/wecom")
    monkeypatch.setenv("SUNMAO_DINGTALK_BASE_URL", receiver.url + "/dingtalk")
    return receiver
