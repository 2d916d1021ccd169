"""Sign in and out (the screens' session); API clients use bearer tokens instead."""

from __future__ import annotations

from flask import Blueprint, g, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from sunmao import accounts
from sunmao.i18n import LANGUAGES, Text
from sunmao.web.app import context, language

blueprint = Blueprint("auth", __name__)

TEXTS = {
    "title": Text("登录 · 榫卯", "Sign in · Sunmao"),
    "heading": Text("登录榫卯订单管理", "Sign in to Sunmao order management"),
    "username": Text("用户名", "Username"),
    "password": Text("密码", "Password"),
    "submit": Text("登录", "Sign in"),
    "failed": Text("用户名或密码不正确", "Wrong username or password"),
    "locked": Text("登录失败次数过多，账户已锁定 15 分钟",
                   "Too many failed attempts; the account is locked for 15 minutes"),
    "other_language": Text("English", "中文"),
    "signed_in": Text("已登录", "Signed in as"),
    "sign_out": Text("退出", "Sign out"),
}


def _texts(lang: str) -> dict[str, str]:
    return {k: v.get(lang) for k, v in TEXTS.items()}


LOGIN_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
             "frame-ancestors 'none'; base-uri 'none'")


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response:
    lang = language()
    error = None
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        try:
            user = accounts.authenticate(context().runtime.db, username, password)
        except accounts.LoginFailed as exc:
            error = TEXTS["locked" if exc.locked_until else "failed"].get(lang)
        else:
            session.clear()
            session["uid"] = user.id
            session.permanent = True
            return redirect(_local(request.args.get("next")))
    page = render_template("login.html", t=_texts(lang), lang=lang, error=error, user=g.user)
    response = make_response(page, 401 if error else 200)
    # the page carries its own small style sheet and the icon: nothing else may load
    response.headers["Content-Security-Policy"] = LOGIN_CSP
    return response


@blueprint.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login"))


@blueprint.get("/")
def home() -> Response:
    return redirect(url_for("auth.login") if g.user is None else "/app")


LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


def _local(target: str | None) -> str:
    """Only same-site paths: ``//host`` or ``https://...`` would make an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/app"
    return target


@blueprint.get("/lang/<code>")
def switch_language(code: str) -> Response:
    """Remember the reader's language in a cookie (zh-CN or English) and go back."""
    response = redirect(_local(request.args.get("next")))
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=LANGUAGE_COOKIE_AGE, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


@blueprint.after_request
def _page_policy(response: Response) -> Response:
    """The sign-in page is a screen (its stylesheet, its inline styles): the screens' policy, not
    the strict one every response without its own gets (security.py)."""
    from sunmao.web.screens.routes import CSP

    response.headers.setdefault("Content-Security-Policy", CSP)
    return response
