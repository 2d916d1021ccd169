"""The Flask app of one published snapshot.

The app is assembled here and nowhere else: configuration, the JSON provider, error pages
as problem+json, who the caller is, and the blueprints. Each blueprint is one kind of page.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

from sunmao import accounts
from sunmao.errors import SunmaoError, Unavailable, ValidationFailed
from sunmao.i18n import DEFAULT_LANGUAGE, LANGUAGES, Text, pick_language
from sunmao.jobs.health import health
from sunmao.records import RecordService
from sunmao.records.messages import out_of_range
from sunmao.records.values import INT64_MAX
from sunmao.runtime import Runtime
from sunmao.snapshot import Snapshot
from sunmao.storage.faults import unavailable
from sunmao.web.jsonio import SunmaoJSONProvider
from sunmao.web.security import security_headers

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 32 * 1024 * 1024

#: Modules with a ``blueprint``, one kind of page each; ``CSRF_EXEMPT = True`` for token/signature auth,
#: ``USERLESS = True`` where no user signs in (webhooks): no session or token is looked up.
BLUEPRINTS: tuple[str, ...] = (
    "sunmao.web.auth",
    "sunmao.web.api",
    "sunmao.web.openapi",
    "sunmao.workflow.web",
    "sunmao.web.screens.routes",
    "sunmao.portal.routes",
    "sunmao.admin.routes",
    "sunmao.hooks.inbound.web",
    "sunmao.jobs.web",
    "sunmao.dashboards.web",
    "sunmao.imports.web",
    "sunmao.designer.api", "sunmao.designer.pages",
)


@dataclass(frozen=True)
class Context:
    """What every request of this app works with: one runtime, one snapshot, one record service."""

    runtime: Runtime
    snapshot: Snapshot | None
    records: RecordService | None
    #: Blueprints whose callers are not users (``USERLESS``).
    userless: frozenset[str] = frozenset()


def context() -> Context:
    """The request's context: its app's, or one a request set for itself in ``g.sunmao_context``
    (the designer's preview renders the real screens against a draft's snapshot)."""
    from flask import current_app

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
    from flask import current_app

    body = error.problem(language())
    response = current_app.response_class(current_app.json.dumps(body), status=error.status,
                                          mimetype="application/problem+json")
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sunmao"'
    if isinstance(error, Unavailable):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _database_fault(exc: sa.exc.DBAPIError) -> Response:
    """A full disk, a cut connection or a busy database is a 503 to retry; any other error stays a 500."""
    error = unavailable(exc)
    if error is None:
        raise exc
    log.warning("database unavailable: %s", exc.orig)
    return problem(error)


_HTTP_TITLES = {
    404: Text("找不到该地址", "Not found"),
    405: Text("不支持该请求方法", "Method not allowed"),
    413: Text("请求内容过大", "The request body is too large"),
    400: Text("请求无效", "Bad request"),
}


def _http_error(exc: HTTPException) -> Response:
    error = SunmaoError(_HTTP_TITLES.get(exc.code or 500, Text(exc.name, exc.name)))
    error.status = exc.code or 500
    error.kind = (exc.name or "error").lower().replace(" ", "-")
    error.title = _HTTP_TITLES.get(exc.code or 500, Text(exc.name, exc.name))
    error.detail = Text.of(exc.description) if exc.description else None
    response = problem(error)
    for name, value in exc.get_headers():  # a 405 says which methods the address takes (Allow, RFC 9110)
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _ids_in_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Every whole number in a URL is an id: 1 up to what a BIGINT column holds (ids past 2^63
    reach no database, and SQLite cannot even bind them)."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and not 1 <= value <= INT64_MAX:
            raise ValidationFailed(errors={name: [out_of_range(1, INT64_MAX)]})


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


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with two savings: the signer is built once per secret key
    (Flask builds it per request), and endpoints where no user signs in (``USERLESS``: webhooks)
    open no session at all."""

    def __init__(self, userless: frozenset[str]):
        self.userless = userless
        self._signers: dict[Any, Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        signer = self._signers.get(key)
        if signer is None:
            signer = self._signers[key] = super().get_signing_serializer(app)
        return signer

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.blueprint in self.userless:
            return self.make_null_session(app)
        return super().open_session(app, request)


def _load_user() -> None:
    ctx = context()
    g.user = None
    g.auth = None
    if request.blueprint in ctx.userless:
        return
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        g.auth = "token"
        g.user = accounts.user_for_token(ctx.runtime.db, header[7:].strip())
        g.bad_token = g.user is None
        return
    uid = session.get("uid")
    if uid is not None:
        g.user = accounts.get_user(ctx.runtime.db, uid)
        g.auth = "session" if g.user else None


def create_app(runtime: Runtime, version: int | None) -> Flask:
    """Build the app for one published version (None: nothing installed yet)."""
    app = Flask(__name__)
    app.json = SunmaoJSONProvider(app)
    snapshot = runtime.snapshot(version) if version is not None else None
    records = RecordService(runtime.db, snapshot) if snapshot is not None else None
    modules = [importlib.import_module(spec) for spec in BLUEPRINTS]
    userless = frozenset(m.blueprint.name for m in modules if getattr(m, "USERLESS", False))
    app.extensions["sunmao"] = Context(runtime, snapshot, records, userless)
    app.session_interface = _Sessions(userless)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY") or accounts.secret_key(runtime.db),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SUNMAO_SECURE_COOKIES", "") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.url_map.converters["entity"] = EntityConverter.of(snapshot)
    csrf = CSRFProtect(app)
    app.url_value_preprocessor(_ids_in_range)
    app.before_request(_load_user)
    app.register_error_handler(SunmaoError, problem)
    app.register_error_handler(sa.exc.DBAPIError, _database_fault)
    app.register_error_handler(HTTPException, _http_error)

    token_blueprints = set()
    for module in modules:
        app.register_blueprint(module.blueprint)
        if getattr(module, "CSRF_EXEMPT", False):  # token- or signature-authenticated endpoints
            csrf.exempt(module.blueprint)
            token_blueprints.add(module.blueprint.name)

    @app.before_request
    def _csrf_for_session_writes() -> None:
        """Token calls need no CSRF token; a write riding on the screens' cookie always does."""
        if request.blueprint in token_blueprints and g.get("auth") == "session" and \
                request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()

    app.after_request(security_headers)
    hops = int(os.environ.get("SUNMAO_PROXY_HOPS", "0") or 0)
    if hops:  # behind nginx: trust its X-Forwarded-For/-Proto/-Host (scheme, client address, HSTS)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    @app.get("/healthz")
    def healthz() -> Response:
        """Database, Redis, outbox lag and job backlog: 503 only when the database does not answer."""
        try:
            status, report = health(runtime.db)
        except ValueError as exc:  # a mistyped SUNMAO_JOBS_* setting
            status, report = 200, {"status": "degraded", "reasons": [str(exc)]}
        response = app.json.response({**report, "version": version})
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

    return app
