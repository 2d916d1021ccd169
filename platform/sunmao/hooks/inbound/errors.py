"""The problems a channel answers with, as ``application/problem+json`` (RFC 9457).

Providers read these in logs and dashboards, often far from anyone who knows Sunmao, so
each says precisely what was wrong with the delivery. ``delivery`` (the id of the stored raw
delivery) is added to every answer so support can find and replay it.
"""

from __future__ import annotations

from sunmao.errors import NotFound, PayloadTooLarge, SunmaoError, Unauthorized, ValidationFailed
from sunmao.i18n import Text

__all__ = [
    "BadSignature",
    "ChannelNotFound",
    "ChannelNotReady",
    "MalformedBody",
    "MethodNotAllowed",
    "PayloadTooLarge",
    "StaleTimestamp",
    "ValidationFailed",
    "StillProcessing",
    "ProviderFailed",
]


class BadSignature(Unauthorized):
    kind = "bad-signature"
    title = Text("签名或令牌校验失败", "The signature or token is not valid")


class StaleTimestamp(Unauthorized):
    kind = "stale-timestamp"
    title = Text("请求时间戳超出允许范围", "The request timestamp is outside the accepted window")


class MalformedBody(SunmaoError):
    status = 400
    kind = "malformed-body"
    title = Text("请求体无法解析", "The request body cannot be parsed")


class ChannelNotFound(NotFound):
    kind = "unknown-channel"
    title = Text("没有这个接单渠道", "No such channel")


class ChannelNotReady(SunmaoError):
    """The channel itself is misconfigured (e.g. its secret is not set): the sender is not at fault."""

    status = 503
    kind = "channel-not-ready"
    title = Text("渠道尚未配置完成", "The channel is not fully configured")


class MethodNotAllowed(SunmaoError):
    status = 405
    kind = "method-not-allowed"
    title = Text("不支持该请求方法", "Method not allowed")


class StillProcessing(SunmaoError):
    status = 409
    kind = "in-progress"
    title = Text("同一订单正在处理中", "The same order is being processed")


class ProviderFailed(SunmaoError):
    """A pull channel's provider answered with an error or could not be reached."""

    status = 502
    kind = "provider-error"
    title = Text("渠道接口调用失败", "The provider's API call failed")
