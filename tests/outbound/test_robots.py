"""WeCom and DingTalk robots: message formats, errcodes, DingTalk's signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path

import pytest

from sunmao.hooks.outbound.deliver import dead_letters
from sunmao.jobs.secrets import secret_store
from sunmao.runtime import Runtime
from tests.outbound.helpers import drive, install_hook, robot_hook, rows, statuses
from tests.outbound.receiver import Answer, Receiver


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Message formats and errcodes do not depend on the database: SQLite only (test_rate_limit.py runs both)."""
    return f"sqlite:///{tmp_path / 'sunmao.db'}"


def test_wecom_markdown_message_posts_to_the_robot_key(runtime: Runtime, lab_dir: Path, robots: Receiver) -> None:
    secret_store(runtime.db).set("wecom_robot", "ROBOT-KEY-1")
    install_hook(runtime, lab_dir, robot_hook("wecom", "wecom", {"secret": "wecom_robot"}, {
        "msgtype": "markdown", "content": "### 新部件 {{ record.name }}\n> 名称：{{ record.title }}"}))
    made = runtime.records().create("widget", {"title": "铰链"})
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])
    (request,) = robots.snapshot()
    assert request.path == "/wecom/cgi-bin/webhook/send" and request.query == {"key": "ROBOT-KEY-1"}
    assert request.json() == {"msgtype": "markdown",
                              "markdown": {"content": f"### 新部件 {made['name']}\n> 名称：铰链"}}
    assert rows(runtime)[0]["request_url"].endswith("?key=***")  # the log never shows the key


def test_wecom_text_mentions_and_errcodes(runtime: Runtime, lab_dir: Path, robots: Receiver) -> None:
    secret_store(runtime.db).set("wecom_robot", "K")
    install_hook(runtime, lab_dir, robot_hook("wecom", "wecom", {"secret": "wecom_robot"}, {
        "msgtype": "text", "content": "新部件 {{ record.title }}", "mention_mobiles": ["13800000000", "{{ actor }}"]}))
    robots.answer_next(Answer(200, b'{"errcode":45009,"errmsg":"api freq out of limit"}'))
    runtime.records().create("widget", {"title": "A"})
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])
    first, second = robots.snapshot()  # 45009 (rate limited) is retried
    assert second.json()["text"] == {"content": "新部件 A", "mentioned_mobile_list": ["13800000000", "system"]}
    assert rows(runtime)[0]["attempts"] == 2

    robots.answer_next(Answer(200, b'{"errcode":93000,"errmsg":"invalid webhook url"}'))
    runtime.records().create("widget", {"title": "B"})
    drive(runtime, lambda: statuses(runtime) == ["succeeded", "dead"])
    (dead,) = dead_letters(runtime.db)
    assert dead["attempts"] == 1 and "93000" in dead["last_error"] and "robot key" in dead["last_error"]

    robots.answer_next(Answer(200, b"<html>not json</html>"))  # HTTP 200 without errcode 0 is a failure
    runtime.records().create("widget", {"title": "C"})
    drive(runtime, lambda: statuses(runtime) == ["succeeded", "dead", "succeeded"])
    assert rows(runtime)[2]["attempts"] == 2


def test_dingtalk_signature_and_too_fast_retry(runtime: Runtime, lab_dir: Path, robots: Receiver) -> None:
    store = secret_store(runtime.db)
    store.set("ding_token", "TOKEN123")
    store.set("ding_sign", "SEC0123456789abcdef")
    target = {"token_secret": "ding_token", "secret": "ding_sign"}
    install_hook(runtime, lab_dir, robot_hook("ding", "dingtalk", target, {
        "msgtype": "markdown", "title": "新部件", "content": "#### {{ record.title }}",
        "mention_mobiles": ["13900000000"]}))
    robots.answer_next(Answer(200, b'{"errcode":130101,"errmsg":"send too fast"}'))
    runtime.records().create("widget", {"title": "螺母"})
    drive(runtime, lambda: statuses(runtime) == ["succeeded"])
    for request in robots.snapshot():
        assert request.path == "/dingtalk/robot/send"
        assert request.query["access_token"] == "TOKEN123"  # noqa: S105 - the test's own token
        stamp = request.query["timestamp"]
        assert abs(int(stamp) - time.time() * 1000) < 60_000  # milliseconds, now
        # DingTalk's documented algorithm: base64(HMAC-SHA256(key=secret, "timestamp\nsecret")), URL-encoded
        expected = base64.b64encode(hmac.new(b"SEC0123456789abcdef", f"{stamp}\nSEC0123456789abcdef".encode(),
                                             hashlib.sha256).digest()).decode()
        assert request.query["sign"] == expected  # parse_qsl decoded the URL encoding
        assert request.json() == {"msgtype": "markdown", "markdown": {"title": "新部件", "text": "#### 螺母"},
                                  "at": {"atMobiles": ["13900000000"], "isAtAll": False}}
    assert len(robots.snapshot()) == 2 and rows(runtime)[0]["attempts"] == 2
