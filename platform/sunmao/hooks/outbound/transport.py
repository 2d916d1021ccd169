"""One HTTP POST with a timeout, reporting what happened instead of raising.

Redirects are not followed: a webhook endpoint that moved must be changed in its document,
not silently re-posted (urllib would turn the POST into a GET and drop the body).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_RESPONSE = 64 * 1024
USER_AGENT = "Sunmao-Webhooks/1.0"


@dataclass(frozen=True)
class HttpResult:
    status: int | None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    elapsed: float = 0.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpResult:
    request = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - http(s) URLs from metadata
                                     headers={"User-Agent": USER_AGENT, "Content-Type": "application/json",
                                              **headers})
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout) as response:
            return HttpResult(response.status, response.read(MAX_RESPONSE), dict(response.headers.items()),
                              elapsed=time.monotonic() - started)
    except urllib.error.HTTPError as exc:
        try:
            data = exc.read(MAX_RESPONSE)
        except OSError:
            data = b""
        return HttpResult(exc.code, data, dict(exc.headers.items()) if exc.headers else {},
                          elapsed=time.monotonic() - started)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return HttpResult(None, error=f"{type(reason).__name__}: {reason}", elapsed=time.monotonic() - started)
