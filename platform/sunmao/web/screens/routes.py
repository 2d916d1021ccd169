"""The screens blueprint: pages generated from the snapshot under ``/app/``.

Each kind of page is a module of this package (home, list, form, record, boards, recycle bin,
inbox, scan, import); they all register on the one blueprint defined here (``pages.py`` lists
them), which also
owns what they share: sign-in required (a screen redirects to /login, where the API answers
401), errors as HTML pages with the same messages the API puts in problem+json, a
Content-Security-Policy that allows only our own scripts, and the widget assets.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Flask, g, redirect, request, send_from_directory
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from sunmao.errors import SunmaoError
from sunmao.http.context import language, problem
from sunmao.http.i18n import init_babel
from sunmao.i18n import Text
from sunmao.web.app import http_error
from sunmao.web.screens import templating
from sunmao.web.screens.shell import render
from sunmao.web.screens.widgets import widget_root

blueprint = Blueprint("screens", __name__)

PUBLIC_ENDPOINTS = ("screens.asset", "screens.favicon")
#: Addresses machines call: their errors stay problem+json whatever the Accept header says.
MACHINE_PATHS = ("/api/", "/hooks/", "/openapi")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")


@blueprint.record_once
def _setup(state: object) -> None:
    """Widget macros are found by name; Flask-Babel and the template helpers are attached once per app."""
    app: Flask = state.app  # type: ignore[attr-defined]
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(str(widget_root()))])  # type: ignore[list-item]
    init_babel(app)
    templating.install(app)


@blueprint.before_request
def signed_in() -> Response | None:
    """A page without a signed-in user redirects to /login (the designer's pages use the same rule)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.get("user") is None:
        target = request.full_path.rstrip("?") if request.method == "GET" else request.path
        return redirect(f"/login?next={quote(target, safe='/')}")
    return None


@blueprint.after_request
def security_headers(response: Response) -> Response:
    """CSP (our own scripts only), nosniff, same-origin referrers, no caching of pages."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in PUBLIC_ENDPOINTS:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


@blueprint.errorhandler(SunmaoError)
def error_page(error: SunmaoError) -> Response | tuple[str, int]:
    """Screens' own JSON calls get problem+json; pages get the same words on an error page."""
    if _wants_json():
        return problem(error)
    body = error.problem(language())
    return render("screens/error.html", title=body["title"], problem=body, status=error.status,
                  back=request.referrer if (request.referrer or "").startswith(request.host_url) else "/app")


@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(405)
def address_error_page(exc: HTTPException) -> Response | tuple[str, int]:
    """No such address (``/app/order/abc``): a person's browser gets a page in the reader's language
    inside the shell; the API, hooks and JSON calls keep their problem+json."""
    browser = "text/html" in request.headers.get("Accept", "")  # what browsers send on navigation
    if request.path.startswith(MACHINE_PATHS) or _wants_json() or not browser:
        return http_error(exc)
    body = http_error(exc).get_json()
    if exc.code == 404:  # werkzeug's description is English prose meant for developers
        body["detail"] = Text(f"没有这个页面：{request.path}", f"There is no page at {request.path}").get(language())
    return render("screens/error.html", title=body["title"], problem=body, status=exc.code or 404,
                  back="/app")


@blueprint.get("/assets/<path:path>")
def asset(path: str) -> Response:
    """Widget scripts and styles (and vendored files) from ``widgets/``; never from a CDN."""
    response = send_from_directory(widget_root(), path, max_age=3600)
    return response


@blueprint.get("/favicon.ico")
def favicon() -> Response:
    return send_from_directory(widget_root() / "shell", "favicon.svg", mimetype="image/svg+xml", max_age=86400)
