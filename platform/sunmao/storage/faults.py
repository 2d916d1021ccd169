"""Database failures that are the installation's state, not a bug: a full disk, a cut connection, a
database busy past its timeout. They become :class:`~sunmao.errors.Unavailable` (503 with a reason
and Retry-After) instead of a 500, so a shop or a person retries — the transaction was rolled back,
so nothing is half-written. Anything else stays an error to look at."""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.errors import Unavailable
from sunmao.i18n import Text

#: PostgreSQL SQLSTATE classes and codes: 53 insufficient resources (53100 disk full, 53200 out of
#: memory, 53300 too many connections), 57P01-03 the server shutting down or the connection
#: terminated, 08 connection exceptions.
_PG_FULL = {"53100"}
_PG_GONE_PREFIXES = ("08", "57P")
_PG_BUSY = {"53200", "53300", "55P03"}

FULL = Text("数据库存储空间已满：请管理员清理磁盘后重试，本次提交未保存任何内容",
            "The database's storage is full: nothing of this request was saved; an administrator must free disk "
            "space, then send it again")
GONE = Text("与数据库的连接中断：本次提交未保存任何内容，请重试",
            "The connection to the database was lost: nothing of this request was saved; send it again")
BUSY = Text("数据库繁忙：本次提交未保存任何内容，请稍后重试",
            "The database is busy: nothing of this request was saved; send it again shortly")


def unavailable(exc: BaseException) -> Unavailable | None:
    """The 503 this database failure means, or None when it is not the database's state."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    text = str(orig).lower()
    if code in _PG_FULL or "database or disk is full" in text or "no space left on device" in text:
        return _make(FULL, retry_after=300)
    if exc.connection_invalidated or (code and code.startswith(_PG_GONE_PREFIXES)) or \
            "server closed the connection" in text or "terminating connection" in text:
        return _make(GONE, retry_after=5)
    if code in _PG_BUSY or "database is locked" in text:
        return _make(BUSY, retry_after=10)
    return None


def _make(detail: Text, *, retry_after: int) -> Unavailable:
    error = Unavailable(detail)
    error.retry_after = retry_after
    return error
