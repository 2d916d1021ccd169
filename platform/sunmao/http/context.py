"""The context of one request: its runtime, snapshot and record service, and its reader.

The app factory (``sunmao.web.app``) stores a :class:`Context` in ``app.extensions["sunmao"]``;
every blueprint reads it with :func:`context`. Errors leave as ``application/problem+json``
(:func:`problem`) in the reader's :func:`language`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Response, current_app, g, request
from werkzeug.routing import BaseConverter

from sunmao.errors import SunmaoError, Unavailable
from sunmao.i18n import DEFAULT_LANGUAGE, LANGUAGES, pick_language
from sunmao.records import RecordService
from sunmao.snapshot import Snapshot

if TYPE_CHECKING:
    from sunmao.runtime import Runtime


@dataclass(frozen=True)
class Context:
    """What every request of this app works with: one runtime, one snapshot, one record service."""

    runtime: Runtime
    snapshot: Snapshot | None
    records: RecordService | None
    #: Blueprints whose callers are not users (``Mount.userless``).
    userless: frozenset[str] = frozenset()


def context() -> Context:
    """The request's context: its app's, or one a request set for itself in ``g.sunmao_context``
    (the designer's preview renders the real screens against a draft's snapshot)."""
    return g.get("sunmao_context") or current_app.extensions["sunmao"]


def language() -> str:
    """The reader's language: ?lang=, then the cookie, the user's setting, Accept-Language."""
    lang = request.args.get("lang") or request.cookies.get("lang")
    if lang in LANGUAGES:
        return lang
    user = getattr(g, "user", None)
    if user is not None and user.language in LANGUAGES:
        return user.language
    return pick_language(request.headers.get("Accept-Language")) if request else DEFAULT_LANGUAGE


def problem(error: SunmaoError) -> Response:
    """An error as ``application/problem+json`` in the reader's language."""
    body = error.problem(language())
    response = current_app.response_class(current_app.json.dumps(body), status=error.status,
                                          mimetype="application/problem+json")
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sunmao"'
    if isinstance(error, Unavailable):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


class EntityConverter(BaseConverter):
    """``<entity:key>``: a resource of the snapshot (a top entity's key). Any other word is no API
    address, so ``POST /api/v1/files`` or ``GET /api/v1/_inbox`` never fall through to a record route."""

    regex = "(?!)"  # nothing installed: no entity

    @classmethod
    def of(cls, snapshot: Snapshot | None, only: Collection[str] | None = None) -> type[EntityConverter]:
        """The converter of a snapshot's top entities (those in ``only``, when given)."""
        keys = sorted((e.key for e in snapshot.top_entities if only is None or e.key in only), key=len,
                      reverse=True) if snapshot else []
        if not keys:
            return cls
        return type("SnapshotEntities", (cls,), {"regex": "(?:" + "|".join(map(re.escape, keys)) + ")"})
