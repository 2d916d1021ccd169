"""The three kinds of target: how a request is made, and how its answer is judged.

- ``http``: any endpoint, signed with Standard Webhooks headers. 2xx is success; 408, 429,
  5xx, timeouts and connection errors are retried; other 4xx and redirects are final (the
  receiver refused the request, and sending it again will not change its mind).
- ``wecom``: a WeCom group robot. HTTP 200 is not enough: the JSON ``errcode`` must be 0.
  45009 (too many messages) is retried later; 93000 (invalid webhook URL or key) and other
  errors that cannot fix themselves are final.
- ``dingtalk``: a DingTalk robot, signed with the timestamp and its secret. 130101 (too fast)
  is retried; 300001 (no such token) and 310000 (signature, keyword or IP check failed) are final.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sunmao.hooks.outbound.model import DINGTALK, HTTP, WECOM
from sunmao.hooks.outbound.settings import OutboundSettings
from sunmao.hooks.outbound.signing import dingtalk_sign, standard_webhook_headers
from sunmao.hooks.outbound.transport import HttpResult
from sunmao.jobs.secrets import SecretStore

EXCERPT = 2000
WECOM_RETRY = {45009, -1}
WECOM_FINAL = {93000: "invalid webhook URL or robot key", 40008: "invalid message type", 44004: "empty message",
               40058: "invalid parameter"}
DINGTALK_RETRY = {130101, 130102, -1}
DINGTALK_FINAL = {300001: "the access token does not exist",
                  310000: "signature, keyword or IP whitelist check failed"}


@dataclass(frozen=True)
class Request:
    url: str
    headers: dict[str, str]
    body: bytes
    #: The URL as the delivery log shows it: keys and tokens replaced by ***.
    shown_url: str
    timeout: float


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retry: bool
    status_code: int | None
    error: str | None
    response: str | None
    retry_after: float | None = None


@dataclass(frozen=True)
class RateBucket:
    key: str
    limit: int
    window: float


def prepare(target_type: str, target: Mapping[str, Any], body: str, event_id: str, secrets: SecretStore,
            settings: OutboundSettings, now: datetime) -> Request:
    """Build this attempt's request; raises MissingSecret when a named secret is not set."""
    timeout = float(target.get("timeout_seconds") or settings.http_timeout)
    data = body.encode()
    if target_type == HTTP:
        headers = standard_webhook_headers(secrets.require(target["secret"]), event_id, int(now.timestamp()), body)
        return Request(target["url"], headers, data, target["url"], timeout)
    if target_type == WECOM:
        key = secrets.require(target["secret"])
        base = f"{settings.wecom_base_url}/cgi-bin/webhook/send"
        return Request(f"{base}?{urllib.parse.urlencode({'key': key})}", {}, data, f"{base}?key=***", timeout)
    if target_type == DINGTALK:
        query = {"access_token": secrets.require(target["token_secret"])}
        if target.get("secret"):
            stamp = int(now.timestamp() * 1000)
            query.update(timestamp=str(stamp), sign=dingtalk_sign(secrets.require(target["secret"]), stamp))
        base = f"{settings.dingtalk_base_url}/robot/send"
        return Request(f"{base}?{urllib.parse.urlencode(query)}", {}, data, f"{base}?access_token=***", timeout)
    raise ValueError(f"unknown target type {target_type!r}")


def rate_bucket(target_type: str, target: Mapping[str, Any], settings: OutboundSettings) -> RateBucket | None:
    """Robots share one sliding window per robot (named by its secret), across all workers."""
    if target_type == WECOM:
        return RateBucket(f"wecom:{target['secret']}", settings.wecom_rate_limit, settings.wecom_rate_window)
    if target_type == DINGTALK:
        return RateBucket(f"dingtalk:{target['token_secret']}", settings.dingtalk_rate_limit,
                          settings.dingtalk_rate_window)
    return None


def _excerpt(result: HttpResult) -> str | None:
    return result.body[:EXCERPT].decode(errors="replace") if result.body else None


def _retry_after(result: HttpResult) -> float | None:
    value = {k.lower(): v for k, v in result.headers.items()}.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def judge_http(result: HttpResult) -> Outcome:
    response = _excerpt(result)
    code = result.status
    if code is None:
        return Outcome(False, True, None, result.error or "no response", None)
    if 200 <= code < 300:
        return Outcome(True, False, code, None, response)
    if code in (408, 429):
        return Outcome(False, True, code, f"HTTP {code}: the receiver asks to try later", response,
                       _retry_after(result))
    if 300 <= code < 400:
        location = {k.lower(): v for k, v in result.headers.items()}.get("location", "?")
        return Outcome(False, False, code, f"HTTP {code}: redirected to {location}; redirects are not followed, "
                                           "put the final URL in the webhook document", response)
    if 400 <= code < 500:
        return Outcome(False, False, code, f"HTTP {code}: the receiver refused the request; fix the receiver or "
                                           "the webhook, then replay", response)
    return Outcome(False, True, code, f"HTTP {code}: receiver error", response)


def judge_robot(target_type: str, result: HttpResult) -> Outcome:
    outcome = judge_http(result)
    if not outcome.ok:
        return outcome
    try:
        answer = json.loads(result.body or b"{}")
        errcode = int(answer.get("errcode"))
    except (ValueError, TypeError, AttributeError):
        return Outcome(False, True, result.status, "the robot's answer has no errcode", outcome.response)
    if errcode == 0:
        return outcome
    errmsg = answer.get("errmsg", "")
    retry_codes, final_codes = (WECOM_RETRY, WECOM_FINAL) if target_type == WECOM else (DINGTALK_RETRY, DINGTALK_FINAL)
    if errcode in final_codes:
        hint = "check the robot key secret" if target_type == WECOM else "check the robot's token and signing secret"
        return Outcome(False, False, result.status, f"errcode {errcode} ({final_codes[errcode]}: {errmsg}); {hint}",
                       outcome.response)
    note = "rate limited, retried later" if errcode in retry_codes else "retried"
    return Outcome(False, True, result.status, f"errcode {errcode} ({errmsg}); {note}", outcome.response)


def judge(target_type: str, result: HttpResult) -> Outcome:
    return judge_http(result) if target_type == HTTP else judge_robot(target_type, result)
