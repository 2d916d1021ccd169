"""Outbound delivery settings from the environment.

The robots' base URLs are configurable so that a factory behind a forwarding proxy — and the
tests, with a receiver on 127.0.0.1 — can point them elsewhere. The robots' rate limits are
WeCom's and DingTalk's documented 20 messages per minute per robot; ``rate_margin`` widens
the window a little, so that messages reserved at the edge of a window cannot arrive inside
the previous one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sunmao.jobs.settings import _number

WECOM_BASE_URL = "https://qyapi.weixin.qq.com"
DINGTALK_BASE_URL = "https://oapi.dingtalk.com"


@dataclass(frozen=True)
class OutboundSettings:
    wecom_base_url: str = WECOM_BASE_URL
    dingtalk_base_url: str = DINGTALK_BASE_URL
    wecom_rate_limit: int = 20
    wecom_rate_window: float = 60.0
    dingtalk_rate_limit: int = 20
    dingtalk_rate_window: float = 60.0
    rate_margin: float = 1.0
    http_timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OutboundSettings:
        env = os.environ if environ is None else environ
        return cls(
            wecom_base_url=(env.get("SUNMAO_WECOM_BASE_URL") or WECOM_BASE_URL).rstrip("/"),
            dingtalk_base_url=(env.get("SUNMAO_DINGTALK_BASE_URL") or DINGTALK_BASE_URL).rstrip("/"),
            wecom_rate_limit=int(_number(env, "SUNMAO_WECOM_RATE_LIMIT", 20, 1)),
            wecom_rate_window=_number(env, "SUNMAO_WECOM_RATE_WINDOW", 60.0, 0.1),
            dingtalk_rate_limit=int(_number(env, "SUNMAO_DINGTALK_RATE_LIMIT", 20, 1)),
            dingtalk_rate_window=_number(env, "SUNMAO_DINGTALK_RATE_WINDOW", 60.0, 0.1),
            rate_margin=_number(env, "SUNMAO_ROBOT_RATE_MARGIN", 1.0, 0.0),
            http_timeout=_number(env, "SUNMAO_WEBHOOK_TIMEOUT", 10.0, 0.1),
        )
