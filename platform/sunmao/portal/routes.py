"""Portal pages: the lookup form, the order page, and signed links."""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request, send_file, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from sunmao.errors import NotFound
from sunmao.i18n import Text
from sunmao.portal.limiter import hit
from sunmao.records import SYSTEM
from sunmao.web.app import context, language
from sunmao.web.i18n import _, init_babel
from sunmao.web.screens.fields import display, titles_for

blueprint = Blueprint("portal", __name__)

PER_IP = 20
PER_ORDER = 5
LINK_DAYS = 30
MAX_NUMBER = 40
CSP = ("default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "form-action 'self'; base-uri 'none'")


@blueprint.record_once
def _setup(state: Any) -> None:
    init_babel(state.app)


@blueprint.after_request
def _headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def _view() -> Any:
    snap = context().snapshot
    if snap is None:
        return None
    return next((v for v in snap.features.get("views", {}).values() if v.type == "portal"), None)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sunmao-portal")


def signed_link(entity: str, record_id: int) -> str:
    return url_for("portal.signed", token=_serializer().dumps([entity, record_id]), _external=True)


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _phone(record: Mapping[str, Any], path: str) -> str:
    snap = context().snapshot
    link, _sep, key = path.partition(".")
    if not key:
        return _digits(record.get(link))
    target_id = record.get(link)
    if target_id is None:
        return ""
    entity = snap.entities[snap.entities[_view().entity].by_key[link].to]
    table = snap.tables[entity.key]
    with context().runtime.db.read() as conn:
        return _digits(conn.execute(sa.select(table.c[key]).where(table.c.id == target_id)).scalar())


def _find(view: Any, number: str) -> dict[str, Any] | None:
    table = context().snapshot.tables[view.entity]
    with context().runtime.db.read() as conn:
        found = conn.execute(sa.select(table.c.id).where(table.c.name == number, table.c.deleted_at.is_(None))
                             ).scalar()
    return context().records.get(view.entity, found, actor=SYSTEM) if found is not None else None


def _summary(view: Any, record: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Only what the portal view lists; nothing else leaves the database."""
    snap = context().snapshot
    entity = snap.entities[view.entity]
    portal = view.portal
    shown = {k: record.get(k) for k in portal["fields"]}
    table = portal.get("table")
    rows = record.get(table) or [] if table else []
    titles = titles_for(context().records, SYSTEM, entity, [{**shown, **({table: rows} if table else {})}])
    fields = [(entity.by_key[k].label.get(lang), display(entity.by_key[k], shown[k], lang, titles, record))
              for k in portal["fields"]]
    lines: list[list[str]] = []
    columns: list[str] = []
    if table:
        child = snap.entities[entity.by_key[table].of]
        keys = list(portal.get("columns") or [f.key for f in child.fields if not f.hidden][:3])
        columns = [child.by_key[k].label.get(lang) for k in keys]
        lines = [[display(child.by_key[k], row.get(k), lang, titles) for k in keys] for row in rows]
    stage = None
    flow = snap.features.get("workflows", {}).get(view.entity)
    if flow is not None:
        state = flow.states.get(record.get(flow.state_field))
        if state is not None:
            stage = {"label": state.label.get(lang), "category": state.category}
            keys = list(flow.states)
            stage["step"] = keys.index(state.key) + 1
    return {"name": record.get("name"), "fields": [f for f in fields if f[1]], "columns": columns, "lines": lines,
            "stage": stage, "survey": _survey_question(view, record, lang)}


def _survey_question(view: Any, record: Mapping[str, Any], lang: str) -> str | None:
    """The portal view's question, while the record is in one of its states and not yet answered here."""
    survey = view.portal.get("survey")
    flow = context().snapshot.features.get("workflows", {}).get(view.entity)
    if not survey or (flow is not None and survey.get("states") and record.get(flow.state_field)
                      not in survey["states"]):
        return None
    table = context().snapshot.tables[survey["entity"]]
    with context().runtime.db.read() as conn:
        answered = conn.execute(sa.select(table.c.id).where(table.c[survey["link"]] == record["id"],
                                                            table.c[survey["score"]].is_not(None),
                                                            table.c.deleted_at.is_(None)).limit(1)).first()
    return None if answered else Text.of(survey["question"]).get(lang)


LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
              ".webp": "image/webp"}


def brand(lang: str) -> dict[str, Any]:
    """The installation's own name and logo, which its customers know (not the platform's):
    ``SUNMAO_COMPANY_NAME`` (``SUNMAO_COMPANY_NAME_EN`` for English readers) and
    ``SUNMAO_COMPANY_LOGO``, the path of a PNG, JPEG, SVG or WebP file."""
    name = os.environ.get("SUNMAO_COMPANY_NAME", "").strip()
    if lang == "en":
        name = os.environ.get("SUNMAO_COMPANY_NAME_EN", "").strip() or name
    return {"name": name, "logo": _logo() is not None}


def _logo() -> Path | None:
    raw = os.environ.get("SUNMAO_COMPANY_LOGO", "").strip()
    path = Path(raw) if raw else None
    return path if path is not None and path.suffix.lower() in LOGO_TYPES and path.is_file() else None


@blueprint.get("/portal/logo")
def logo() -> Any:
    path = _logo()
    if path is None:
        raise NotFound(Text("没有配置公司标志", "no company logo is configured"))
    return send_file(path, mimetype=LOGO_TYPES[path.suffix.lower()], max_age=3600)


def _page(**values: Any) -> Any:
    lang = language()
    status = values.pop("status", 200)
    return render_template("portal.html", lang=lang, view=_view(), brand=brand(lang), **values), status


@blueprint.get("/portal")
def lookup_form() -> Any:
    return _page(order=None, error=None, number="")


@blueprint.post("/portal")
def lookup() -> Any:
    lang = language()
    view = _view()
    number = (request.form.get("number") or "").strip().upper()[:MAX_NUMBER]
    last4 = _digits(request.form.get("phone"))[-4:]
    if view is None:
        return _page(order=None, error=_("Order tracking is not available."), number=number, status=404)
    ip = request.remote_addr or "unknown"
    if not hit(context().runtime.db, {f"ip:{ip}": PER_IP, f"order:{number}": PER_ORDER}):
        return _page(order=None, error=_("Too many attempts. Please wait 15 minutes and try again."),
                     number=number, status=429)
    record = _find(view, number) if number and len(last4) == 4 else None
    phone = _phone(record, view.portal["phone"]) if record is not None else ""
    if record is None or not phone or not hmac.compare_digest(phone[-4:], last4):
        return _page(order=None, error=_("No order matches this number and phone."), number=number, status=404)
    link = signed_link(view.entity, record["id"])
    return _page(order=_summary(view, record, lang), error=None, number=number, link=link,
                 token=link.rsplit("/", 1)[-1])


@blueprint.get("/portal/o/<token>")
def signed(token: str) -> Any:
    lang = language()
    view = _view()
    try:
        entity, record_id = _serializer().loads(token, max_age=LINK_DAYS * 24 * 3600)
    except SignatureExpired:
        return _page(order=None, error=_("This link has expired; look the order up with its number."),
                     number="", status=410)
    except BadSignature:
        return _page(order=None, error=_("No order matches this number and phone."), number="", status=404)
    record = None
    if view is not None and entity == view.entity:
        try:
            record = context().records.get(entity, int(record_id), actor=SYSTEM)
        except Exception:  # noqa: BLE001 - deleted or gone: the same answer as a wrong number
            record = None
    if record is None:
        return _page(order=None, error=_("No order matches this number and phone."), number="", status=404)
    return _page(order=_summary(view, record, lang), error=None, number=record.get("name"), link=None, token=token)


@blueprint.post("/portal/o/<token>/survey")
def answer_survey(token: str) -> Any:
    """The customer's answer to the portal question: one record of the survey entity, by the system."""
    view = _view()
    try:
        entity, record_id = _serializer().loads(token, max_age=LINK_DAYS * 24 * 3600)
    except BadSignature:
        return _page(order=None, error=_("No order matches this number and phone."), number="", status=404)
    survey = (view.portal.get("survey") if view is not None else None) or {}
    try:
        score = int(request.form.get("score", ""))
    except ValueError:
        score = -1
    if not survey or entity != view.entity or not 0 <= score <= 10:
        return signed(token)
    values = {**survey.get("values", {}), survey["link"]: int(record_id), survey["score"]: score}
    if survey.get("comment"):
        values[survey["comment"]] = (request.form.get("comment") or "").strip()[:1000] or None
    if _survey_question(view, context().records.get(entity, int(record_id), actor=SYSTEM), language()):
        context().records.create(survey["entity"], values, actor=SYSTEM)
    return signed(token)


__all__ = ["blueprint", "signed_link", "Text"]
