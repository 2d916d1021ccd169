"""The form of an entity: ``/app/<entity>/new`` and ``/app/<entity>/<id>/edit``.

The page is laid out from the entity's form document (or a generated one); the browser runs
the same JSONLogic formulas and form rules as the server (json-logic-js + ``sunmao-rules.js``)
for live totals and conditional fields, and saves with one JSON call. The server enforces the
form rules again — a hidden field's value is ignored, a locked field keeps its value, a
required field must be filled — and answers errors in problem+json with the record service's
messages, which the page shows inline next to each field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, jsonify, request

from sunmao.errors import FieldErrors, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.imports.dryrun import raise_with, validate_one
from sunmao.meta.model import Entity
from sunmao.records.compiled import CompiledEntity
from sunmao.records.messages import CATALOG
from sunmao.records.values import json_value
from sunmao.rules import RuleError
from sunmao.snapshot import Snapshot
from sunmao.web.app import language
from sunmao.web.i18n import DEFAULT_TIMEZONE, _
from sunmao.web.screens import shell
from sunmao.web.screens.fields import FieldView, field_view, titles_for
from sunmao.web.screens.layouts import FormLayout, default_widget, form_for
from sunmao.web.screens.routes import blueprint

FORM_WIDGETS = ["form", "grid", "link", "attachment"]


def prefills(ce: CompiledEntity, args: Mapping[str, str]) -> dict[str, Any]:
    """``?field=value`` of a new-record link (a new order for customer 12): values the user chose."""
    given: dict[str, Any] = {}
    for key, value in args.items():
        f = ce.entity.by_key.get(key)
        if f is not None and f.is_input and f.type not in ("table", "multiselect", "json"):
            given[key] = int(value) if f.type == "link" and value.isdigit() else value
    return given


def initial_values(ce: CompiledEntity, args: Mapping[str, str]) -> dict[str, Any]:
    """A new record's starting values as the server would complete them: prefills, then every
    default — literal, formula, look-up — and formula; values it cannot read yet stay empty."""
    given = prefills(ce, args)
    record, _problems = shell.records().preview(ce.key, given, actor=shell.actor())
    return {**record, **given}


def _child_defaults(ce: CompiledEntity) -> dict[str, Any]:
    return {f.key: json_value(literal) for f, literal, formula in ce.defaults if formula is None}


def _formulas(ce: CompiledEntity) -> list[list[Any]]:
    """[key, formula] of the computed fields in the order the server computes them (a total before
    what reads it): a list, because the JSON of a mapping is written with its keys sorted."""
    return [[f.key, f.formula] for f, _fn in ce.computed]


def _follow(ce: CompiledEntity) -> dict[str, list[str]]:
    """Formula defaults and the fields they read: the browser asks the server for them again when
    one of those changes and the user has not set the value."""
    return {key: sorted(reads) for key, reads in ce.default_reads.items() if reads}


def grid_columns(snap: Snapshot, child: Entity, wanted: tuple[str, ...]) -> list[str]:
    if wanted:
        return list(wanted)
    return [f.key for f in child.fields if not f.hidden and f.type not in ("table", "json", "attachment", "text")]


def build_sections(snap: Snapshot, ce: CompiledEntity, layout: FormLayout, record: Mapping[str, Any],
                   lang: str) -> list[dict[str, Any]]:
    entity = ce.entity
    titles = titles_for(shell.records(), shell.actor(), entity, [record])
    locked = shell.records().locked_fields(entity.key, shell.actor(), "update" if record.get("id") else "create")
    sections = []
    for s in layout.sections:
        views: list[FieldView] = []
        for item in s.fields:
            f = entity.by_key[item.key]
            fv = field_view(snap, f, record.get(f.key), lang, titles, widget=item.widget, span=item.span,
                            fill=item.fill, record=record)
            fv.read_only = fv.read_only or f.key in locked  # the role may not set it: shown, not editable
            if f.type == "table":
                child = snap.entities[f.of or ""]
                keys = grid_columns(snap, child, item.columns)
                fv.columns = [field_view(snap, child.by_key[k], None, lang, titles,
                                         widget=default_widget(child.by_key[k])) for k in keys]
                for i, row in enumerate(record.get(f.key) or []):
                    cells = [field_view(snap, child.by_key[k], row.get(k), lang, titles, record=record,
                                        widget=default_widget(child.by_key[k]),
                                        path=f"{f.key}[{i}].{k}") for k in keys]
                    fv.rows.append((row.get("id"), cells))
            views.append(fv)
        sections.append({"label": s.label.get(lang) if s.label else "", "columns": s.columns, "fields": views})
    return sections


def form_meta(snap: Snapshot, ce: CompiledEntity, layout: FormLayout, record_id: int | None,
              version: int | None, given: Iterable[str] = ()) -> dict[str, Any]:
    """What the browser needs to run the form: formulas, rules, grid rows' defaults and fills."""
    entity = ce.entity
    grids = {}
    for s in layout.sections:
        for item in s.fields:
            f = entity.by_key[item.key]
            if f.type != "table":
                continue
            child_ce = snap.compiled[f.of or ""]
            grids[f.key] = {
                "formulas": _formulas(child_ce),
                "scales": {c.key: c.scale for c in child_ce.entity.fields if c.value_type == "decimal"},
                "defaults": _child_defaults(child_ce), "fill": dict(item.fill), "follow": _follow(child_ce),
            }
    return {
        "entity": entity.key, "id": record_id, "version": version,
        "submit": f"/app/{entity.key}/{record_id}/edit" if record_id else f"/app/{entity.key}/new",
        "preview": f"/app/{entity.key}/_preview", "follow": _follow(ce), "given": sorted(given),
        "formulas": _formulas(ce),
        "scales": {f.key: f.scale for f in entity.fields if f.value_type == "decimal"},
        "rules": [r.as_json() for r in layout.rules],
        "fill": {item.key: dict(item.fill) for s in layout.sections for item in s.fields
                 if item.fill and entity.by_key[item.key].type == "link"},
        "grids": grids, "tz_offset": _tz_offset(), "time_zone": DEFAULT_TIMEZONE,
        "saving": _("Saving…"), "failed": _("Not saved: please correct the marked fields."),
        "offline": _("The server could not be reached; nothing was saved."),
    }


def _tz_offset() -> str:
    """The UTC offset of the shown time zone, e.g. ``+08:00``: datetime inputs are wall-clock times there."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    text = datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def render_form(ce: CompiledEntity, record: dict[str, Any], record_id: int | None,
                given: Iterable[str] = ()) -> tuple[str, int]:
    snap = shell.snapshot()
    lang = language()
    layout = form_for(snap, ce.entity)
    sections = build_sections(snap, ce, layout, record, lang)
    widgets = set(FORM_WIDGETS) | {fv.widget for s in sections for fv in s["fields"]} | {
        c.widget for s in sections for fv in s["fields"] for c in fv.columns}
    label = ce.entity.label.get(lang)
    title = _("New %(entity)s", entity=label) if record_id is None else f"{label} {record.get('name') or ''}"
    return shell.render("screens/form.html", title=title, widgets=widgets, entity=ce.entity, sections=sections,
                        record=record, record_id=record_id,
                        meta=form_meta(snap, ce, layout, record_id, record.get("version"), given))


@blueprint.get("/app/<entity>/new")
def new_form(entity: str) -> tuple[str, int]:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "create")
    return render_form(ce, initial_values(ce, request.args), None, prefills(ce, request.args))


@blueprint.get("/app/<entity>/<int:record_id>/edit")
def edit_form(entity: str, record_id: int) -> tuple[str, int]:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "update")
    record = shell.records().get(entity, record_id, actor=shell.actor())
    return render_form(ce, record, record_id)


# -- saving --------------------------------------------------------------------------------

def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _holds(fn: Any, data: Mapping[str, Any]) -> bool:
    try:
        result = fn(dict(data))
    except RuleError:
        return False
    return bool(result) and result != []


def enforce_form_rules(layout: FormLayout, payload: dict[str, Any], current: Mapping[str, Any] | None
                       ) -> tuple[dict[str, Any], FieldErrors]:
    """Apply the form's rules to a submitted payload, as the browser did (but trusting nothing).

    Hidden fields are dropped from the payload, locked ones keep their stored value, and
    fields required by a rule must be filled. Conditions see the record as it would be saved.
    """
    state = {**(current or {}), **payload}
    clean = dict(payload)
    errors: FieldErrors = {}
    for rule in layout.rules:
        visible = rule.compiled.get("visible")
        if visible is not None and not _holds(visible, state):
            for key in rule.fields:
                clean.pop(key, None)
            continue
        locked = rule.compiled.get("read_only")
        if locked is not None and _holds(locked, state):
            for key in rule.fields:
                clean.pop(key, None)
        required = rule.compiled.get("required")
        if required is not None and _holds(required, state):
            for key in rule.fields:
                if _empty(state.get(key)):
                    errors.setdefault(key, []).append(CATALOG["required"])
    return clean, errors


def _payload() -> tuple[dict[str, Any], int | None]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
        raise ValidationFailed(errors={"_record": [Text("请求格式不正确", "the form data is malformed")]})
    version = body.get("version")
    return body["values"], version if isinstance(version, int) else None


def _save(ce: CompiledEntity, record_id: int | None) -> tuple[Response, int]:
    service = shell.records()
    who = shell.actor()
    values, version = _payload()
    current = service.get(ce.key, record_id, actor=who) if record_id is not None else None
    layout = form_for(service.snapshot, ce.entity)
    values, rule_errors = enforce_form_rules(layout, values, current)
    if rule_errors:
        raise_with(validate_one(service, ce.key, values, who, record_id), rule_errors)
    if record_id is None:
        saved = service.create(ce.key, values, actor=who)
        status = 201
    else:
        saved = service.update(ce.key, record_id, values, actor=who, expected_version=version)
        status = 200
    return jsonify({"id": saved["id"], "version": saved.get("version"),
                    "redirect": f"/app/{ce.key}/{saved['id']}"}), status


@blueprint.post("/app/<entity>/_preview")
def preview(entity: str) -> Response:
    """The record as the server would complete it — defaults, look-ups, formulas — for the form's
    fields that still follow others (nothing is written)."""
    ce = shell.compiled(entity)
    body = request.get_json(silent=True)
    values = body.get("values") if isinstance(body, dict) else None
    record_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(values, dict) or (record_id is not None and (type(record_id) is not int
                                                                   or not 0 < record_id < 2**63)):
        raise ValidationFailed(errors={"_record": [Text("请求格式不正确", "the form data is malformed")]})
    shell.require(ce.entity, "create" if record_id is None else "update")
    record, _problems = shell.records().preview(entity, values, actor=shell.actor(), record_id=record_id)
    return jsonify({"values": record})


@blueprint.post("/app/<entity>/new")
def create(entity: str) -> tuple[Response, int]:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "create")
    return _save(ce, None)


@blueprint.post("/app/<entity>/<int:record_id>/edit")
def update(entity: str, record_id: int) -> tuple[Response, int]:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "update")
    return _save(ce, record_id)


__all__ = ["enforce_form_rules", "SunmaoError"]
