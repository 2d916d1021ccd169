"""Errors a user can act on.

Every failure that reaches a person or a client is one of these: an HTTP status, a title and
detail in both languages, and for invalid input a map from field path to messages. The web
layer renders them as ``application/problem+json`` (RFC 9457); screens show the same texts.
"""

from __future__ import annotations

from typing import Any

from sunmao.i18n import Text

FieldErrors = dict[str, list[Text]]


class SunmaoError(Exception):
    status = 400
    kind = "bad-request"
    title = Text("请求无效", "Bad request")

    def __init__(self, detail: Text | str | None = None, *, errors: FieldErrors | None = None, **extra: Any):
        self.detail = Text.of(detail) if detail is not None else None
        self.errors = errors or {}
        self.extra = extra
        super().__init__(str(self.detail or self.title))

    def problem(self, lang: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://sunmao.dev/problems/{self.kind}",
            "title": self.title.get(lang),
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail.get(lang)
        if self.errors:
            body["errors"] = {path: [m.get(lang) for m in msgs] for path, msgs in self.errors.items()}
        body.update(self.extra)
        return body


class ValidationFailed(SunmaoError):
    status = 422
    kind = "validation"
    title = Text("数据校验未通过", "The data is not valid")


class RecordLocked(ValidationFailed):
    """An edit of fields the record's workflow state freezes; ``errors`` carries each lock's message."""

    kind = "locked"
    title = Text("记录当前状态下不能这样修改", "The record cannot be changed this way in its current state")


class NotFound(SunmaoError):
    status = 404
    kind = "not-found"
    title = Text("找不到该记录", "Not found")


class RevisionNotFound(NotFound, LookupError):
    """A metadata version that was never published (still a LookupError for its older callers)."""

    title = Text("没有该版本", "No such version")


class Conflict(SunmaoError):
    status = 409
    kind = "conflict"
    title = Text("记录已被他人修改", "The record was changed by someone else")


class NotReplayable(Conflict):
    """A stored request that was already handled: doing it again would do it twice."""

    kind = "not-replayable"
    title = Text("该请求已处理，不能重放", "This request was already handled and cannot be replayed")


class TransitionRefused(SunmaoError):
    """A workflow action whose conditions do not hold; ``errors`` names each failed condition."""

    status = 409
    kind = "transition-refused"
    title = Text("不满足操作条件", "The action's conditions are not met")


class PreconditionFailed(Conflict):
    status = 412


class Unauthorized(SunmaoError):
    status = 401
    kind = "unauthorized"
    title = Text("需要登录或提供有效的 API 令牌", "Sign in or send a valid API token")


class Forbidden(SunmaoError):
    status = 403
    kind = "forbidden"
    title = Text("没有权限", "Not allowed")


class PayloadTooLarge(SunmaoError):
    status = 413
    kind = "too-large"
    title = Text("请求内容过大", "The request body is too large")


class UnsupportedMediaType(SunmaoError):
    status = 415
    kind = "unsupported-media-type"
    title = Text("不支持的请求内容类型", "Unsupported media type")


class Referenced(Conflict):
    """A delete refused while other records link to the record."""

    kind = "referenced"
    title = Text("仍有其他记录引用它", "Other records link to it")


class LinksGone(Conflict):
    """A restore refused: records that the restored one links to are deleted."""

    kind = "links-gone"
    title = Text("它引用的记录已删除", "Records it links to were deleted")


class Unavailable(SunmaoError):
    """The database cannot take the write just now (its disk is full, its connection was cut, it is
    busy). Nothing was written; the same request later will do. Answered 503 with Retry-After."""

    status = 503
    kind = "unavailable"
    title = Text("暂时无法保存，请稍后重试", "Cannot save just now; try again shortly")
    retry_after = 30
