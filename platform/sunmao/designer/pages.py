"""The designer's pages, ``/designer``: drafts, the editors, check and publish, history, and
live previews that are the real screens rendered from a draft.

Pages are server-rendered inside the screens' shell; the editors are small scripts
(``widgets/designer/``) that talk to the designer API only, so what the pages do can be
scripted. A preview sets the request's context to the draft's compiled snapshot and calls the
screens' own renderers (``web/screens/editing.render_form``, ``listing.view_page``): what the
designer shows is what the users will get.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, request
from werkzeug.wrappers import Response as WerkzeugResponse

from sunmao.cache import LastVersions
from sunmao.designer import history
from sunmao.designer.api import DESIGNER_ROLES, document_index
from sunmao.designer.audit import entries
from sunmao.designer.drafts import Drafts, split
from sunmao.designer.operations import archived_fields
from sunmao.designer.words import words
from sunmao.errors import Forbidden, NotFound, SunmaoError, ValidationFailed
from sunmao.fields import TYPES, field_type
from sunmao.i18n import Text
from sunmao.meta.errors import MetadataError
from sunmao.meta.schemas import kinds
from sunmao.records import RecordService
from sunmao.snapshot import Snapshot, compile_snapshot
from sunmao.web.app import Context, context, language
from sunmao.web.screens import editing, listing, shell
from sunmao.web.screens.editing import enforce_form_rules
from sunmao.web.screens.layouts import form_for
from sunmao.web.screens.routes import error_page, security_headers, signed_in
from sunmao.web.screens.shell import render

blueprint = Blueprint("designer", __name__, template_folder="templates")

KIND_ORDER = ("entity", "form", "view", "workflow", "dashboard")
EDITORS = {"entity": "designer/entity.html", "form": "designer/form.html", "view": "designer/view.html",
           "dashboard": "designer/board.html", "workflow": "designer/flow.html", "channel": "designer/channel.html",
           "webhook": "designer/webhook.html", "print": "designer/print.html", "job": "designer/job.html"}


# -- access ---------------------------------------------------------------------------------------

@blueprint.before_request
def _designers_only() -> WerkzeugResponse | None:
    sign_in = signed_in()  # the screens' own rule: a page without a session goes to /login
    if sign_in is not None:
        return sign_in
    if not DESIGNER_ROLES & set(g.user.roles):
        raise Forbidden(Text("需要“设计者”或管理员角色才能使用设计器", "the designer needs the designer or admin role"))
    return None


def _register_screens_handlers() -> None:
    """The screens' headers (CSP: our own scripts only) and error pages serve the designer too."""
    blueprint.after_request(security_headers)
    blueprint.register_error_handler(SunmaoError, error_page)


_register_screens_handlers()


def _page(template: str, title: str, **values: Any) -> tuple[str, int]:
    lang = language()
    return render(template, title=title, t=words(lang), **values)


def _runtime() -> Any:
    return context().runtime


def _roles(apps: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    roles: dict[str, Any] = {}
    for docs in apps.values():
        for role in (docs.get("app.json") or {}).get("roles", []):
            roles.setdefault(role["key"], role["label"])
    return [{"key": k, "label": v} for k, v in roles.items()]


def _entities(apps: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every entity of a draft with its fields, for the editors' pickers."""
    out = []
    for app, docs in apps.items():
        for path, doc in docs.items():
            if isinstance(doc, dict) and doc.get("kind") == "entity":
                out.append({"key": doc.get("key"), "label": doc.get("label"), "child": bool(doc.get("child")),
                            "address": f"{app}/{path}",
                            "fields": [{k: f.get(k) for k in ("id", "key", "type", "label", "options", "to", "of",
                                                              "result_type")}
                                       for f in doc.get("fields", []) if isinstance(f, dict)]})
    return out


def _grouped(index: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in index:
        kind = item["kind"] if item["kind"] in KIND_ORDER else "app" if item["kind"] == "app" else "other"
        groups.setdefault(kind, []).append(item)
    order = [*KIND_ORDER, "other", "app"]
    return [(k, sorted(groups[k], key=lambda i: i["address"])) for k in order if k in groups]


# -- home -------------------------------------------------------------------------------------------

@blueprint.get("/designer")
@blueprint.get("/designer/")
def home() -> tuple[str, int]:
    runtime = _runtime()
    version = runtime.current_version(fresh=True)
    revisions = history.revisions(runtime.db, limit=1)
    apps = runtime.revision_documents(version) if version is not None else {}
    return _page("designer/home.html", words(language())["designer"], published=revisions[0] if revisions else None,
                 drafts=Drafts(runtime).list(), activity=entries(runtime.db, limit=12), apps=list(apps))


@blueprint.get("/designer/history")
def history_page() -> tuple[str, int]:
    runtime = _runtime()
    return _page("designer/history.html", words(language())["history"], revisions=history.revisions(runtime.db),
                 published=runtime.current_version(fresh=True))


# -- a draft ----------------------------------------------------------------------------------------

def _workspace(draft_id: int) -> dict[str, Any]:
    store = Drafts(_runtime())
    info = store.info(draft_id)
    apps = store.documents(draft_id)
    return {"draft": info, "apps": apps, "groups": _grouped(document_index(apps)), "store": store}


@blueprint.get("/designer/drafts/<int:draft_id>")
def draft_page(draft_id: int) -> tuple[str, int]:
    ws = _workspace(draft_id)
    runtime = _runtime()
    changes = history.diff_apps(runtime.revision_documents(ws["draft"].base_version), ws["apps"])
    return _page("designer/draft.html", ws["draft"].title, ws=ws, changes=[c.as_dict() for c in changes],
                 address=None, setup=_setup(ws, None))


def _setup(ws: Mapping[str, Any], address: str | None, **extra: Any) -> dict[str, Any]:
    """What a page's script starts with."""
    return {"draft": ws["draft"].as_dict(), "address": address, "words": words(language()), "lang": language(),
            "entities": _entities(ws["apps"]), "roles": _roles(ws["apps"]), "apps": list(ws["apps"]),
            "preview_role": "admin", **extra}


@blueprint.get("/designer/drafts/<int:draft_id>/doc/<path:address>")
def document_page(draft_id: int, address: str) -> tuple[str, int]:
    ws = _workspace(draft_id)
    app, path = split(address)
    doc = ws["apps"].get(app, {}).get(path)
    if doc is None:
        raise NotFound(Text(f"草稿中没有文档 {address}", f"the draft has no document {address}"))
    kind = doc.get("kind") if path != "app.json" else "app"
    extra: dict[str, Any] = {"kind": kind}
    if kind == "entity":
        extra.update(_entity_extras(ws, doc.get("key", "")))
    elif kind == "settings":
        from sunmao.designer.rules_pages import settings_extras

        extra.update(settings_extras(ws["apps"]))
    template = EDITORS.get(kind or "", "designer/generic.html")
    widgets: list[str] = []
    if kind == "dashboard" and request.args.get("raw") != "1":
        extra.update(_board_extras(ws))
        widgets = ["dashboard"]
    elif kind == "dashboard":
        template = "designer/generic.html"
    if kind in ("workflow", "channel"):  # the flow and channel designers (designer/flows.py); ?raw=1: the JSON
        from sunmao.designer.flows import editor_extras

        template = "designer/generic.html" if request.args.get("raw") == "1" else template
        extra.update(editor_extras(_runtime(), kind, doc))
    if kind in ("webhook", "print"):  # the webhook designer, the print preview: sample records; ?raw=1: JSON
        from sunmao.designer.webhooks_pages import webhook_extras

        template = "designer/generic.html" if request.args.get("raw") == "1" else template
        extra.update(webhook_extras(_runtime(), ws["apps"]))
    title = Text.of(doc.get("label")).get(language()) if isinstance(doc.get("label"), dict) else address
    return _page(template, title, ws=ws, address=address, kind=kind, widgets=widgets,
                 setup=_setup(ws, address, document=doc, **extra))


def _board_extras(ws: Mapping[str, Any]) -> dict[str, Any]:
    """What the board editor picks from: the draft's entities and, per entity, the fields a widget
    may group, measure or list (with their value types); a draft that does not compile says why."""
    from sunmao.designer import boards

    try:
        snap = boards.snapshot(_runtime(), ws["apps"], ws["draft"].base_version)
    except ValidationFailed as exc:
        return {"board_entities": [], "board_fields": {}, "board_problem": exc.detail.get(language())
                if exc.detail else ""}
    return {"board_entities": boards.entity_choices(snap), "board_fields": boards.query_fields(snap)}


def _entity_extras(ws: Mapping[str, Any], key: str) -> dict[str, Any]:
    """What the entity editor knows beyond the document: which fields hold data (their type
    changes are checked against it), the base version's fields and the archived ones (restorable)."""
    runtime = _runtime()
    version = runtime.current_version(fresh=True)
    published = runtime.snapshot(version).entities.get(key) if version is not None else None
    base = next((d for docs in runtime.revision_documents(ws["draft"].base_version).values() for d in docs.values()
                 if isinstance(d, dict) and d.get("kind") == "entity" and d.get("key") == key), None)
    return {"archived": archived_fields(runtime, key), "published_ids": list(published.by_id) if published else [],
            "base_fields": (base or {}).get("fields", []),
            "field_types": [t.designer_entry() for t in TYPES.values()]}


@blueprint.get("/designer/drafts/<int:draft_id>/new/<kind>")
def new_document_page(draft_id: int, kind: str) -> tuple[str, int]:
    ws = _workspace(draft_id)
    if kind not in ("entity", "view", "form") and kind not in _kinds():
        raise NotFound(Text(f"没有文档类型 {kind}", f"there is no document kind {kind}"))
    return _page("designer/new.html", words(language())["new_document"], ws=ws, address=None, kind=kind,
                 setup=_setup(ws, None, kind=kind))


def _kinds() -> tuple[str, ...]:
    return kinds()


@blueprint.get("/designer/drafts/<int:draft_id>/check")
def check_page(draft_id: int) -> tuple[str, int]:
    ws = _workspace(draft_id)
    return _page("designer/check.html", words(language())["check_publish"], ws=ws, address=None,
                 setup=_setup(ws, None))


# -- previews ---------------------------------------------------------------------------------------

_SNAPSHOTS: LastVersions[tuple[str, int, int], Any] = LastVersions(4)


def _missing_columns(snap: Snapshot) -> dict[str, list[str]]:
    """Stored fields of the draft that have no column yet (new fields, new entities), per entity."""
    missing: dict[str, list[str]] = {}
    with _runtime().db.read() as conn:
        inspector = sa.inspect(conn)
        tables = set(inspector.get_table_names())
        for key, entity in snap.entities.items():
            if entity.table_name not in tables:
                missing[key] = ["*"]
                continue
            columns = {c["name"] for c in inspector.get_columns(entity.table_name)}
            absent = [f.key for f in entity.stored_fields if f.key not in columns]
            if absent:
                missing[key] = absent
    return missing


def _compile(draft_id: int, rev: int, apps: Mapping[str, Mapping[str, Any]], base: int) -> Snapshot:
    return compile_snapshot(base, apps, features=_runtime().compilers)


def draft_snapshot(draft_id: int) -> tuple[Snapshot, dict[str, list[str]]]:
    """The draft compiled (cached per draft revision), and its fields that have no data yet."""
    store = Drafts(_runtime())
    info = store.info(draft_id)
    key = (str(_runtime().db.url), draft_id, info.rev)

    def build(_key: Any) -> Any:
        apps = store.documents(draft_id)
        try:
            snap = _compile(draft_id, info.rev, apps, info.base_version)
        except MetadataError as exc:
            return exc
        return snap, _missing_columns(snap)

    found = _SNAPSHOTS.get(key, build)
    if isinstance(found, MetadataError):
        raise ValidationFailed(Text(f"草稿有 {len(found.problems)} 个问题，先修正才能预览：{found.problems[0]}",
                                    f"the draft has {len(found.problems)} problems; fix them to preview: "
                                    f"{found.problems[0]}"))
    return found


def _preview_context(snap: Snapshot) -> None:
    """Run this request's screens against ``snap``, as the chosen role (``?role=``)."""
    base = context()
    g.sunmao_context = Context(base.runtime, snap, RecordService(base.runtime.db, snap), base.userless)
    role = request.args.get("role")
    if role and role in snap.roles:
        g.user = dataclasses.replace(g.user, roles=frozenset({role}))


def _sample(snap: Snapshot, entity_key: str, missing: Mapping[str, list[str]], depth: int = 0) -> dict[str, Any]:
    """Plausible values for a new record of ``entity_key``: what a filled form looks like. Links
    point at real records, except of entities whose new columns do not exist yet (their rows
    cannot be read with the draft's tables)."""
    entity = snap.entities[entity_key]
    values: dict[str, Any] = {}
    for f in entity.fields:
        if not f.is_input or f.hidden or f.default is not None:
            continue
        t = f.type
        if t == "link" and f.to in snap.tables and f.to not in missing:
            first = _first_id(snap, f.to)
            if first is not None:
                values[f.key] = first
        elif t == "table" and depth == 0 and f.of:
            values[f.key] = [_sample(snap, f.of, missing, 1)]
        elif (value := field_type(t).sample(f, f.label.get(language()), language())) is not None:
            values[f.key] = value  # what the field's type offers as a plausible value
    return values


def _first_id(snap: Snapshot, entity_key: str) -> int | None:
    table = snap.tables[entity_key]
    try:
        with _runtime().db.read() as conn:
            query = sa.select(table.c.id).order_by(table.c.id).limit(1)
            if "deleted_at" in table.c:
                query = query.where(table.c.deleted_at.is_(None))
            return conn.execute(query).scalar()
    except sa.exc.DBAPIError:
        return None


def _without_new_fields(apps: Mapping[str, Mapping[str, Any]], missing: Mapping[str, list[str]]) -> dict[str, Any]:
    """The draft with fields that have no column yet left out of entities, forms and views."""
    import copy

    out = copy.deepcopy({k: dict(v) for k, v in apps.items()})
    for docs in out.values():
        for doc in docs.values():
            if not isinstance(doc, dict):
                continue
            if doc.get("kind") == "entity" and doc.get("key") in missing:
                doc["fields"] = [f for f in doc["fields"] if f.get("key") not in missing[doc["key"]]] or doc["fields"]
            gone = set(missing.get(doc.get("entity", ""), ()))
            if doc.get("kind") == "view" and gone:
                for name in ("columns", "sort"):
                    if name in doc:
                        doc[name] = [c for c in doc[name] if c.lstrip("-") not in gone] or doc[name][:1]
                doc["filters"] = [f for f in doc.get("filters", []) if f.get("field") not in gone]
            if doc.get("kind") == "form" and gone:
                for section in doc.get("sections", []):
                    section["fields"] = [i for i in section["fields"]
                                         if (i if isinstance(i, str) else i.get("field")) not in gone]
                doc["sections"] = [s for s in doc["sections"] if s["fields"]] or doc["sections"][:1]
                doc["rules"] = [r for r in doc.get("rules", []) if not set(r.get("fields", ())) & gone]
    return out


def _note(html: str, text: str) -> str:
    """A line at the top of a preview page saying what it is."""
    banner = f'<div class="preview-banner" role="note">{text}</div>'
    return html.replace('<main class="page">', f'<main class="page">{banner}', 1)


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@blueprint.get("/designer/drafts/<int:draft_id>/preview/form/<entity>")
def preview_form(draft_id: int, entity: str) -> tuple[str, int]:
    """The entity's form exactly as the screens render it, from the draft, with sample values."""
    snap, missing = draft_snapshot(draft_id)
    if entity not in snap.compiled or snap.entities[entity].child:
        raise NotFound(Text(f"草稿中没有实体 {entity}", f"the draft has no entity {entity}"))
    _preview_context(snap)
    ce = snap.compiled[entity]

    shell.require(ce.entity, "create")
    sample = _sample(snap, entity, missing) if request.args.get("sample", "1") == "1" else {}
    try:
        record, _problems = shell.records().preview(entity, sample, actor=shell.actor())
    except (sa.exc.DBAPIError, SunmaoError):
        record = {}
    page, status = editing.render_form(ce, {**record, **sample}, None, sample.keys())
    base = f"/designer/drafts/{draft_id}/preview/form/{entity}"
    page = page.replace(f'"submit": "/app/{entity}/new"', f'"submit": "{base}/_submit"', 1)
    page = page.replace(f'"preview": "/app/{entity}/_preview"', f'"preview": "{base}/_preview"', 1)
    return _note(page, _escape(words(language())["preview_note"])), status


@blueprint.post("/designer/drafts/<int:draft_id>/preview/form/<entity>/_submit")
def preview_submit(draft_id: int, entity: str) -> tuple[Response, int]:
    """Saving in a preview checks the values with the draft's rules and saves nothing."""
    snap, _missing = draft_snapshot(draft_id)
    _preview_context(snap)
    body = request.get_json(silent=True) or {}
    values = body.get("values") if isinstance(body.get("values"), dict) else {}
    values, rule_errors = enforce_form_rules(form_for(snap, snap.entities[entity]), values, None)
    try:
        shell.records().validate(entity, values, actor=shell.actor())
    except ValidationFailed as exc:
        exc.errors.update(rule_errors)
        raise
    if rule_errors:
        raise ValidationFailed(errors=rule_errors)
    raise ValidationFailed(errors={"_record": [Text("预览：数据有效。预览不会保存。", "Preview: the values are valid. "
                                                    "A preview saves nothing.")]})


@blueprint.post("/designer/drafts/<int:draft_id>/preview/form/<entity>/_preview")
def preview_values(draft_id: int, entity: str) -> Response:
    snap, _missing = draft_snapshot(draft_id)
    _preview_context(snap)
    body = request.get_json(silent=True) or {}
    values = body.get("values") if isinstance(body.get("values"), dict) else {}
    try:
        record, _problems = shell.records().preview(entity, values, actor=shell.actor())
    except (sa.exc.DBAPIError, SunmaoError):
        record = {}
    return jsonify({"values": record})


@blueprint.get("/designer/drafts/<int:draft_id>/preview/view/<key>")
def preview_view(draft_id: int, key: str) -> Any:
    """A view exactly as the screens render it, from the draft, on the real data."""
    snap, missing = draft_snapshot(draft_id)
    view = snap.features.get("views", {}).get(key)
    if view is None:
        raise NotFound(Text(f"草稿中没有视图 {key}", f"the draft has no view {key}"))
    note = words(language())["preview_note"]
    gone = missing.get(view.entity, [])
    if gone == ["*"]:
        raise ValidationFailed(Text("这是新实体：发布后才有数据可以预览", "a new entity has no data to preview "
                                    "until it is published"))
    if gone:
        store = Drafts(_runtime())
        info = store.info(draft_id)
        snap = _compile(draft_id, info.rev, _without_new_fields(store.documents(draft_id), missing), info.base_version)
        note += " · " + words(language())["unpublished_fields"] + " " + "、".join(gone)
    _preview_context(snap)
    result = listing.view_page(key)
    page, status = result if isinstance(result, tuple) else (result, 200)
    return (_note(page, _escape(note)), status) if isinstance(page, str) else result


# the new-channel page and the rules page, on this blueprint
from sunmao.designer import channels_pages, outputs_pages, rules_pages, webhooks_pages  # noqa: E402,F401,I001
