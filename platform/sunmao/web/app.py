"""The Flask app of one published snapshot.

The app is assembled here and nowhere else: configuration, the JSON provider, error pages
as problem+json, who the caller is, and the blueprints — those every feature of the runtime
declares (``Feature.blueprints``, listed by the composition root ``sunmao.assembly``). What a
blueprint uses of its request (context, language, the caller) is in ``sunmao.http``, below
every feature; the names are also here for the screens.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from sunmao import accounts
from sunmao.errors import SunmaoError, ValidationFailed
from sunmao.http.context import Context, EntityConverter, context, language, problem
from sunmao.http.requests import MAX_UPLOAD_BYTES
from sunmao.i18n import Text
from sunmao.jobs.health import health
from sunmao.records import RecordService
from sunmao.records.messages import out_of_range
from sunmao.records.values import INT64_MAX
from sunmao.runtime import Runtime
from sunmao.storage.faults import unavailable
from sunmao.web.jsonio import SunmaoJSONProvider
from sunmao.web.security import security_headers

__all__ = ["Context", "EntityConverter", "MAX_UPLOAD_BYTES", "context", "create_app", "language", "problem"]

log = logging.getLogger(__name__)

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


def http_error(exc: HTTPException) -> Response:
    """An HTTP error (no such address, wrong method) as problem+json in the reader's language."""
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


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with two savings: the signer is built once per secret key
    (Flask builds it per request), and endpoints where no user signs in (``Mount.userless``: webhooks)
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
    mounts = [mount for feature in runtime.features for mount in feature.blueprints]
    userless = frozenset(m.name for m in mounts if m.userless)
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
    app.register_error_handler(HTTPException, http_error)

    token_blueprints = set()
    for mount in mounts:
        app.register_blueprint(mount.blueprint)
        if mount.csrf_exempt:  # token- or signature-authenticated endpoints
            csrf.exempt(mount.blueprint)
            token_blueprints.add(mount.name)

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
