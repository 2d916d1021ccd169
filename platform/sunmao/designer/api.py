"""The designer API, ``/api/v1/_design/...``: everything the designer pages do, scriptable.

Callers authenticate with a bearer token or the screens' session (whose writes need the CSRF
token, as everywhere); they need the ``designer`` or the ``admin`` role. Drafts carry their
``rev`` as ETag; a save with a stale ``If-Match`` is refused with 412. Documents are read as
plain JSON (numbers stay numbers: this is metadata, not money). Every action is audited.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, g, request, send_file

from sunmao.designer import audit, history, operations, packages, publishing
from sunmao.designer.audit import Designer
from sunmao.designer.checks import check_documents, problem_dict
from sunmao.designer.drafts import Drafts, split
from sunmao.designer.jsonpath import MISSING
from sunmao.designer.openapi import paths, request_validator
from sunmao.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    SunmaoError,
    Unauthorized,
    ValidationFailed,
)
from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.schemas import kinds, validate_document
from sunmao.resources import bundle_path
from sunmao.snapshot import validate_apps
from sunmao.web.app import context

blueprint = Blueprint("designer_api", __name__, url_prefix="/api/v1/_design")

DESIGNER_ROLES = frozenset({"designer", "admin"})
MAX_BODY = 4 * 1024 * 1024
MAX_PACKAGE = 16 * 1024 * 1024


# -- plumbing ---------------------------------------------------------------------------------------

def designer() -> Designer:
    """The caller, who must hold the designer (or admin) role."""
    if g.get("bad_token"):
        raise Unauthorized(Text("API 令牌无效或已吊销", "the API token is not valid or was revoked"))
    if g.get("user") is None:
        raise Unauthorized()
    if not DESIGNER_ROLES & set(g.user.roles):
        raise Forbidden(Text("需要“设计者”或管理员角色", "the designer or admin role is needed"))
    return Designer(g.user.username, g.user.id)


@blueprint.before_request
def _signed_in_designer() -> None:
    """Who may call comes first: a caller without the role learns nothing else (401/403 before any
    422 about the body or 404 about a draft)."""
    designer()


def drafts() -> Drafts:
    return Drafts(context().runtime)


def body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY:
        raise PayloadTooLarge(Text("请求体不能超过 4 MiB", "the body may not exceed 4 MiB"))
    try:
        data = json.loads(raw, parse_constant=_no_constant) if raw else {}  # no body: checked as {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise SunmaoError(Text(f"JSON 格式错误：{exc}", f"malformed JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise SunmaoError(Text("请发送一个 JSON 对象", "send a JSON object"))
    _check_documented(data)
    return data


def _check_documented(data: dict[str, Any]) -> None:
    """The body must be what the API document says this route takes (the document is the contract):
    every mismatch is a 422 naming its place in the body."""
    rule = request.url_rule.rule if request.url_rule is not None else ""
    validator = request_validator(request.method, rule)
    if validator is None:
        return
    errors: dict[str, list[Text]] = {}
    for error in validator.iter_errors(data):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        errors.setdefault(where or "_body", []).append(Text(f"不符合接口文档：{error.message}",
                                                            f"not as the API document says: {error.message}"))
    if errors:
        raise ValidationFailed(Text("请求体不符合接口文档", "the body is not what the API document describes"),
                               errors=errors)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def if_match() -> int | None:
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise PreconditionFailed(Text('If-Match 应为草稿的版本号，如 "3"', 'If-Match must be the draft revision, '
                                      'e.g. "3"')) from None


def reply(data: Any, status: int = 200, rev: int | None = None) -> Response:
    response = current_app.response_class(current_app.json.dumps(data), status=status, mimetype="application/json")
    if rev is not None:
        response.headers["ETag"] = f'"{rev}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def problems_of(address: str, doc: Any) -> list[Problem]:
    app, path = split(address)
    return validate_document(doc, address, kind="app" if path == "app.json" else None)


def document_index(apps: Mapping[str, Mapping[str, Any]], problems: list[Problem] | None = None
                   ) -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for p in problems or []:
        counts[p.file] = counts.get(p.file, 0) + 1
    out = []
    for app, docs in apps.items():
        for path, doc in docs.items():
            d = doc if isinstance(doc, dict) else {}
            address = f"{app}/{path}"
            target = d.get("target") if isinstance(d.get("target"), dict) else {}
            out.append({"address": address, "app": app, "path": path, "kind": d.get("kind"), "key": d.get("key"),
                        "entity": d.get("entity") if isinstance(d.get("entity"), str) else target.get("entity"),
                        "label": d.get("label") if isinstance(d.get("label"), dict) else None,
                        "problems": counts.get(address, 0)})
    return out


# -- overview ---------------------------------------------------------------------------------------

@blueprint.get("/")
def overview() -> Response:
    designer()
    runtime = context().runtime
    version = runtime.current_version(fresh=True)
    apps = runtime.revision_documents(version) if version is not None else {}
    return reply({"published_version": version, "kinds": list(kinds()),
                  "documents": document_index(apps),
                  "drafts": [d.as_dict() for d in drafts().list()]})


@blueprint.get("/kinds/<kind>/schema")
def kind_schema(kind: str) -> Response:
    designer()
    if kind not in kinds() and kind != "common":
        raise NotFound(Text(f"没有文档类型 {kind}", f"there is no document kind {kind}"))

    return reply(json.loads((bundle_path("metadata") / f"{kind}.schema.json").read_text(encoding="utf-8")))


@blueprint.post("/validate")
def validate() -> Response:
    """Validate one document against its meta-schema (the raw JSON editor calls this as you type)."""
    designer()
    data = body()
    doc = data.get("document")
    kind = data.get("kind")
    found = validate_document(doc, data.get("address") or "document", kind=kind if kind in kinds() else None)
    return reply({"problems": [problem_dict(p) for p in found]})


# -- drafts -----------------------------------------------------------------------------------------

@blueprint.get("/drafts")
def list_drafts() -> Response:
    designer()
    states = request.args.getlist("state") or ["open"]
    return reply({"items": [d.as_dict() for d in drafts().list(states)]})


@blueprint.post("/drafts")
def create_draft() -> Response:
    who = designer()
    data = body()
    base = data.get("base_version")
    if base is not None and (type(base) is not int or not 0 < base < 2**63):
        raise ValidationFailed(Text("base_version 应为版本号", "base_version must be a version number"))
    info = drafts().create(who, title=str(data.get("title") or "草稿 / draft")[:200], base_version=base)
    return reply(info.as_dict(), 201, info.rev)


def _draft_view(draft_id: int) -> dict[str, Any]:
    store = drafts()
    info = store.info(draft_id)
    apps = store.documents(draft_id)
    found = validate_apps(apps)
    return {**info.as_dict(), "documents": document_index(apps, found),
            "problems": [problem_dict(p) for p in found]}


@blueprint.get("/drafts/<int:draft_id>")
def get_draft(draft_id: int) -> Response:
    designer()
    view = _draft_view(draft_id)
    return reply(view, rev=view["rev"])


@blueprint.patch("/drafts/<int:draft_id>")
def rename_draft(draft_id: int) -> Response:
    who = designer()
    title = str(body().get("title") or "").strip()[:200]
    if not title:
        raise ValidationFailed(Text("请填写草稿名称", "give the draft a title"))
    info = drafts().update(draft_id, who, expect_rev=if_match(), title=title)
    return reply(info.as_dict(), rev=info.rev)


@blueprint.delete("/drafts/<int:draft_id>")
def discard_draft(draft_id: int) -> Response:
    info = drafts().discard(draft_id, designer())
    return reply(info.as_dict(), rev=info.rev)


@blueprint.get("/drafts/<int:draft_id>/documents/<path:address>")
def get_document(draft_id: int, address: str) -> Response:
    designer()
    store = drafts()
    doc = store.document(draft_id, address)
    info = store.info(draft_id)
    return reply({"address": address, "document": doc, "rev": info.rev,
                  "problems": [problem_dict(p) for p in problems_of(address, doc)]}, rev=info.rev)


def _saved(draft_id: int, address: str, doc: Any, info: Any, changed: list[str]) -> Response:
    found = problems_of(address, doc) if doc is not MISSING else []
    return reply({"address": address, "rev": info.rev, "changed": changed, "can_undo": info.can_undo,
                  "can_redo": info.can_redo, "problems": [problem_dict(p) for p in found]}, rev=info.rev)


@blueprint.put("/drafts/<int:draft_id>/documents/<path:address>")
def put_document(draft_id: int, address: str) -> Response:
    """Save one document (autosave). Problems are reported at their paths; the draft keeps the
    document either way — the check refuses what is wrong, the work is never lost."""
    who = designer()
    data = body()
    if "document" not in data:
        raise ValidationFailed(Text("请求体应为 {\"document\": {...}}", "send {\"document\": {...}}"))
    doc = data["document"]
    if not isinstance(doc, dict):
        raise ValidationFailed(Text("文档必须是 JSON 对象", "a document must be a JSON object"))
    summary = Text.of(data["summary"]) if isinstance(data.get("summary"), dict | str) else \
        Text(f"修改 {address}", f"edited {address}")
    info, changed = drafts().edit(draft_id, who, {address: doc}, summary=summary, expect_rev=if_match())
    return _saved(draft_id, address, doc, info, changed)


@blueprint.delete("/drafts/<int:draft_id>/documents/<path:address>")
def delete_document(draft_id: int, address: str) -> Response:
    who = designer()
    store = drafts()
    store.document(draft_id, address)
    info, changed = store.edit(draft_id, who, {address: MISSING}, summary=Text(f"删除 {address}", f"removed {address}"),
                               expect_rev=if_match())
    return _saved(draft_id, address, MISSING, info, changed)


@blueprint.post("/drafts/<int:draft_id>/validate")
def validate_in_draft(draft_id: int) -> Response:
    """One document's problems in the context of its draft: schema, references, names."""
    designer()
    data = body()
    address = str(data.get("address") or "")
    app, path = split(address)
    apps = drafts().documents(draft_id)
    apps.setdefault(app, {})[path] = data.get("document")
    found = [p for p in validate_apps(apps) if p.file == address]
    return reply({"problems": [problem_dict(p) for p in found]})


@blueprint.post("/drafts/<int:draft_id>/operations")
def operate(draft_id: int) -> Response:
    """Changes that span documents: ``rename_field``, ``new_entity``."""
    who = designer()
    data = body()
    store = drafts()
    op = data.get("op")
    apps = store.documents(draft_id)
    if op == "rename_field":
        new_apps, summary = operations.rename_field(apps, str(data.get("entity")), str(data.get("field_id")),
                                                    data.get("key"))
        created: list[str] = []
    elif op == "new_entity":
        new_apps, created, summary = operations.new_entity(apps, str(data.get("app") or next(iter(apps), "")),
                                                           data.get("entity") or {})
    else:
        raise ValidationFailed(Text("未知操作；可用：rename_field、new_entity",
                               "unknown op; use rename_field or new_entity"))
    info = store.replace_all(draft_id, who, new_apps, summary=summary, expect_rev=if_match(), action=f"draft.{op}")
    return reply({**info.as_dict(), "created": created, "summary": summary.as_dict()}, rev=info.rev)


@blueprint.post("/drafts/<int:draft_id>/undo")
def undo(draft_id: int) -> Response:
    info, edit = drafts().undo(draft_id, designer(), expect_rev=if_match())
    return reply({**info.as_dict(), "edit": edit.as_dict() if edit else None}, rev=info.rev)


@blueprint.post("/drafts/<int:draft_id>/redo")
def redo(draft_id: int) -> Response:
    info, edit = drafts().redo(draft_id, designer(), expect_rev=if_match())
    return reply({**info.as_dict(), "edit": edit.as_dict() if edit else None}, rev=info.rev)


@blueprint.get("/drafts/<int:draft_id>/log")
def edit_log(draft_id: int) -> Response:
    designer()
    return reply({"items": [e.as_dict() for e in drafts().log(draft_id)]})


@blueprint.post("/drafts/<int:draft_id>/check")
def check(draft_id: int) -> Response:
    who = designer()
    store = drafts()
    info = store.info(draft_id)
    report = check_documents(context().runtime, store.documents(draft_id), info.base_version,
                             pending=info.conflicts)
    with context().runtime.db.write() as conn:
        audit.record(conn, who, "draft.check", draft_id=draft_id, version=info.base_version,
                     detail={"ok": report.ok, "problems": len(report.problems), "refused": len(report.refused)})
    return reply({"draft": info.as_dict(), **report.as_dict()}, rev=info.rev)


@blueprint.post("/drafts/<int:draft_id>/publish")
def publish(draft_id: int) -> Response:
    who = designer()
    data = body()
    done = publishing.publish_draft(context().runtime, drafts(), draft_id, who, str(data.get("comment") or ""),
                                    expect_rev=if_match())
    result = done.result
    from sunmao.designer.flows import pinned_runs

    return reply({"draft": done.draft.as_dict(), "version": result.version,
                  "pinned": pinned_runs(context().runtime.db, result.version),
                  "steps": [s.as_dict() for s in result.steps], "recomputed": list(result.recomputed),
                  "warnings": [w.as_dict() if hasattr(w, "as_dict") else {"zh": str(w), "en": str(w)}
                               for w in result.warnings]})


@blueprint.post("/drafts/<int:draft_id>/merge")
def merge(draft_id: int) -> Response:
    data = body()
    info = publishing.merge_draft(context().runtime, drafts(), draft_id, designer(),
                                  choices=data.get("choices") or {}, expect_rev=if_match())
    return reply(info.as_dict(), rev=info.rev)


@blueprint.post("/drafts/<int:draft_id>/resolve")
def resolve(draft_id: int) -> Response:
    data = body()
    choices = data.get("choices")
    if not isinstance(choices, dict) or not choices:
        raise ValidationFailed(Text("请给出 choices：{冲突 id: ours|theirs|base|{value}}",
                               "send choices: {conflict id: ours|theirs|base|{value}}"))
    info = publishing.resolve_conflicts(drafts(), draft_id, designer(), choices, expect_rev=if_match())
    return reply(info.as_dict(), rev=info.rev)


@blueprint.get("/drafts/<int:draft_id>/entities/<entity>/fields/<field_id>/conversions")
def field_conversions(draft_id: int, entity: str, field_id: str) -> Response:
    designer()
    apps = drafts().documents(draft_id)
    app, path = split(operations.entity_address(apps, entity))
    doc = next((f for f in apps[app][path]["fields"] if f.get("id") == field_id), None)
    if doc is None:
        raise NotFound(Text(f"实体 {entity} 没有字段 {field_id}", f"{entity} has no field {field_id}"))
    return reply(operations.conversions(context().runtime, entity, doc))


@blueprint.post("/drafts/<int:draft_id>/preview/widget")
def preview_widget(draft_id: int) -> Response:
    """One widget of a draft's board run on the real data as the caller: the board page's JSON
    (a Plotly figure, a number card or a table); 422 naming the widget and the field when its
    query does not compile."""
    from sunmao.designer import boards
    from sunmao.web.app import language

    designer()
    data = body()
    store = drafts()
    info = store.info(draft_id)
    return reply(boards.preview(context().runtime, store.documents(draft_id), info.base_version,
                                str(data.get("address") or ""), data.get("widget"), g.user.actor, language()))


@blueprint.get("/entities/<entity>/archived")
def archived(entity: str) -> Response:
    designer()
    return reply({"items": operations.archived_fields(context().runtime, entity)})


# -- history ----------------------------------------------------------------------------------------

@blueprint.get("/revisions")
def revisions() -> Response:
    designer()
    items = history.revisions(context().runtime.db)
    return reply({"items": [{**r, "created_at": r["created_at"].isoformat()} for r in items],
                  "published_version": context().runtime.current_version(fresh=True)})


@blueprint.get("/revisions/<int:version>/diff/<int:other>")
def revision_diff(version: int, other: int) -> Response:
    designer()
    runtime = context().runtime
    try:
        old, new = runtime.revision_documents(version), runtime.revision_documents(other)
    except LookupError as exc:
        raise NotFound(Text(f"没有该版本：{exc}", str(exc))) from None
    return reply({"from": version, "to": other, "documents": [d.as_dict() for d in history.diff_apps(old, new)]})


def _draft_or_publish(info: Any, data: Mapping[str, Any], who: Designer) -> Response:
    """History actions make a draft; ``"publish": true`` publishes it at once (when it checks)."""
    if not data.get("publish"):
        return reply(info.as_dict(), 201, info.rev)
    done = publishing.publish_draft(context().runtime, drafts(), info.id, who, str(data.get("comment") or ""))
    return reply({"draft": done.draft.as_dict(), "version": done.result.version,
                  "steps": [s.as_dict() for s in done.result.steps]})


@blueprint.post("/revisions/<int:version>/rollback")
def rollback(version: int) -> Response:
    who = designer()
    data = body()
    info = publishing.rollback_draft(context().runtime, drafts(), who, version)
    return _draft_or_publish(info, data, who)


@blueprint.post("/revisions/<int:version>/revert")
def revert(version: int) -> Response:
    who = designer()
    data = body()
    info = publishing.revert_draft(context().runtime, drafts(), who, version, str(data.get("document") or ""))
    return _draft_or_publish(info, data, who)


@blueprint.get("/audit")
def audit_log() -> Response:
    designer()
    draft_id = request.args.get("draft", type=int)
    items = audit.entries(context().runtime.db, draft_id=draft_id)
    return reply({"items": [{**e, "at": e["at"].isoformat()} for e in items]})


# -- packages ---------------------------------------------------------------------------------------

@blueprint.get("/packages/<app>/export")
def export_package(app: str) -> Response:
    who = designer()
    runtime = context().runtime
    data, name = packages.export_zip(runtime, app)
    with runtime.db.write() as conn:
        audit.record(conn, who, "package.export", version=runtime.current_version(), detail={"app": app})
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=name)


@blueprint.post("/packages/import")
def import_package() -> Response:
    """Upload a package (zip): a draft with the package merged over the installed app (the
    plant's customizations kept, conflicts listed), to check and publish like any draft."""
    who = designer()
    upload = request.files.get("file")
    raw = upload.read(MAX_PACKAGE + 1) if upload is not None else request.get_data()
    if len(raw) > MAX_PACKAGE:
        raise PayloadTooLarge(Text("安装包不能超过 16 MiB", "a package may not exceed 16 MiB"))
    package = packages.read_zip(raw)
    info = packages.import_as_draft(context().runtime, drafts(), who, package)
    return reply(info.as_dict(), 201, info.rev)


# -- OpenAPI ---------------------------------------------------------------------------------------

def openapi(snapshot: Any) -> dict[str, dict[str, Any]]:
    """The designer's paths in the API document."""
    return paths()


# the routes of the flow, channel and rule designers (simulate, previews, secrets; rules, settings, impact)
from sunmao.designer import flows_api, outbound_api, rules_api  # noqa: E402,F401,I001
