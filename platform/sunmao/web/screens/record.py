"""The record page ``/app/<entity>/<id>``: the record, its workflow actions, and its timeline.

The timeline merges what happened to the record from every source: the audit diffs the
record service wrote, workflow transitions (once the workflow feature is installed), and
comments with @mentions and attachments. Printing (PDF) and deleting start here too.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, flash, redirect, request

from sunmao.errors import NotFound, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.model import Entity
from sunmao.printing import render_pdfs
from sunmao.records import journal
from sunmao.storage import system as sm
from sunmao.web.app import context, language
from sunmao.web.files import disposition
from sunmao.web.i18n import _, format_value_datetime
from sunmao.web.screens import shell
from sunmao.web.screens.editing import grid_columns
from sunmao.web.screens.fields import display, title_field, titles_for, value_href
from sunmao.web.screens.layouts import field_or_system, form_for
from sunmao.web.screens.related import related_lists
from sunmao.web.screens.routes import blueprint
from sunmao.web.screens.tables import comment
from sunmao.workflow import WorkflowService

MENTION = re.compile(r"@([A-Za-z0-9_.\-]{1,64})")
MAX_COMMENT = 4000
TIMELINE_LIMIT = 200


def _users(conn: sa.Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(sa.select(sm.user.c.id, sm.user.c.display_name, sm.user.c.username)
                        .where(sm.user.c.id.in_(sorted(ids))))
    return {r.id: r.display_name or r.username for r in rows}


def _diff_lines(entity: Entity, diff: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """Each changed field as "label: old → new", in the reader's language."""
    out = []
    for key, change in diff.items():
        f = entity.by_key.get(key)
        if f is None:
            continue
        label = f.label.get(lang)
        if f.type == "table" and isinstance(change, dict):
            parts = []
            for kind, word in (("added", _("added")), ("removed", _("removed")), ("changed", _("changed"))):
                if change.get(kind):
                    parts.append(f"{len(change[kind])} {word}")
            out.append({"label": label, "old": "", "new": ", ".join(parts)})
        elif isinstance(change, list) and len(change) == 2:
            titles = titles_for(shell.records(), shell.actor(), entity, [{key: change[0]}, {key: change[1]}]) \
                if f.type == "link" else {}
            out.append({"label": label, "old": display(f, change[0], lang, titles),
                        "new": display(f, change[1], lang, titles)})
    return out[:30]


def _tokens(body: str, known: set[str]) -> list[tuple[str, bool]]:
    """A comment split into plain text and @mentions of real users (escaped by the template)."""
    out: list[tuple[str, bool]] = []
    last = 0
    for m in MENTION.finditer(body):
        if m.group(1) in known:
            out.append((body[last:m.start()], False))
            out.append((m.group(0), True))
            last = m.end()
    out.append((body[last:], False))
    return [t for t in out if t[0]]


def timeline(entity: Entity, record_id: int) -> list[dict[str, Any]]:
    lang = language()
    db = context().runtime.db
    with db.read() as conn:
        audits = conn.execute(sa.select(sm.audit).where(sm.audit.c.entity == entity.key,
                                                        sm.audit.c.record_id == record_id)
                              .order_by(sm.audit.c.at.desc(), sm.audit.c.id.desc()).limit(TIMELINE_LIMIT)
                              ).mappings().all()
        notes = conn.execute(sa.select(comment).where(comment.c.entity == entity.key, comment.c.record_id == record_id)
                             .order_by(comment.c.at.desc()).limit(TIMELINE_LIMIT)).mappings().all()
        users = _users(conn, {r["user_id"] for r in [*audits, *notes] if r["user_id"]})
        mentioned = {m for n in notes for m in (n["mentions"] or [])}
    entries = []
    verbs = {"created": _("created the record"), "updated": _("changed"), "deleted": _("moved it to the recycle bin"),
             "restored": _("restored it from the recycle bin")}
    for a in audits:
        diff = dict(a["diff"] or {})
        step = diff.pop("_transition", None)
        what = verbs.get(a["action"], a["action"])
        if step:
            what = Text.of(step.get("label") or step.get("action") or "").get(lang)
        entries.append({"kind": "transition" if step else "audit", "at": a["at"],
                        "who": users.get(a["user_id"], _("System")), "what": what,
                        "comment": (step or {}).get("comment") or "",
                        "changes": _diff_lines(entity, diff, lang) if a["action"] in ("updated", "transition") else []})
    for n in notes:
        entries.append({"kind": "comment", "at": n["at"], "who": users.get(n["user_id"], _("System")),
                        "what": _("commented"), "tokens": _tokens(n["body"], mentioned), "files": n["files"] or []})
    entries += _workflow_entries(entity, record_id, lang)
    entries.sort(key=lambda e: e["at"] or datetime.min.replace(tzinfo=UTC), reverse=True)
    for e in entries:
        e["when"] = format_value_datetime(e["at"], lang) if e["at"] else ""
    return entries


def _workflow_service() -> Any:
    return WorkflowService(context().runtime.db, shell.snapshot())


def _workflow_entries(entity: Entity, record_id: int, lang: str) -> list[dict[str, Any]]:
    """Approval decisions from the workflow (transitions themselves are audit entries already)."""
    if entity.key not in shell.workflows():
        return []
    try:
        raw = _workflow_service().timeline(entity.key, record_id, shell.actor())
    except (ImportError, SunmaoError):
        return []
    words = {"approved": _("approved"), "rejected": _("rejected"), "returned": _("returned"),
             "transferred": _("transferred")}
    out = []
    for item in raw or []:
        if not isinstance(item, dict) or item.get("kind") != "decision":
            continue
        at = item.get("at")
        out.append({"kind": "transition", "at": datetime.fromisoformat(at) if isinstance(at, str) else at,
                    "who": str(item.get("user") or ""), "what": words.get(item.get("decision"), item.get("decision")),
                    "step": item.get("step") or "", "comment": item.get("comment") or "", "changes": []})
    return out


def workflow_state(entity: Entity, record: dict[str, Any], lang: str) -> dict[str, Any] | None:
    flow = shell.workflows().get(entity.key)
    if flow is None:
        return None
    value = record.get(flow.state_field)
    state = flow.states.get(value) if value is not None else None
    return {"value": value, "label": Text.of(state.label).get(lang) if state else (value or ""),
            "category": getattr(state, "category", "") if state else ""}


def workflow_actions(entity: Entity, record_id: int, lang: str) -> list[dict[str, Any]]:
    if entity.key not in shell.workflows():
        return []
    try:
        actions = _workflow_service().actions(entity.key, record_id, shell.actor())
    except (ImportError, SunmaoError):
        return []
    flow = shell.workflows().get(entity.key)
    states = getattr(flow, "states", {}) or {}
    out = []
    for a in actions:
        a = a if isinstance(a, dict) else vars(a)
        target = states.get(a.get("to") or a.get("to_state"))
        out.append({"key": a["key"], "label": Text.of(a["label"]).get(lang),
                    "danger": getattr(target, "category", "") in ("cancelled", "rejected"),
                    "comment_required": a.get("comment_required", False),
                    "fields_required": [(k, entity.by_key[k].label.get(lang)) for k in a.get("fields_required") or ()
                                        if k in entity.by_key]})
    return out


def record_sections(entity: Entity, record: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    snap = shell.snapshot()
    titles = titles_for(shell.records(), shell.actor(), entity, [record])
    sections = []
    for s in form_for(snap, entity).sections:
        items = []
        for item in s.fields:
            f = entity.by_key[item.key]
            if f.type == "table":
                child = snap.entities[f.of or ""]
                keys = grid_columns(snap, child, item.columns)
                rows = [[display(child.by_key[k], row.get(k), lang, titles, record) for k in keys]
                        for row in record.get(f.key) or []]
                items.append({"label": f.label.get(lang), "table": True, "span": 2,
                              "columns": [(child.by_key[k].label.get(lang), child.by_key[k].value_type) for k in keys],
                              "rows": rows})
            else:
                items.append({"label": f.label.get(lang), "text": display(f, record.get(f.key), lang, titles, record),
                              "type": f.value_type, "span": item.span, "key": f.key,
                              "file": record.get(f.key) if f.type == "attachment" else None,
                              "href": value_href(f, record.get(f.key))})
        sections.append({"label": s.label.get(lang) if s.label else "", "columns": s.columns, "items": items})
    return sections


@blueprint.get("/app/<entity>/<int:record_id>")
def record_page(entity: str, record_id: int) -> tuple[str, int]:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    lang = language()
    record = shell.records().get(entity, record_id, actor=shell.actor())
    head = str(record.get(title_field(ce.entity)) or record.get("name") or f"#{record_id}")
    prints = [(p.key, p.label.get(lang)) for p in shell.snapshot().features.get("prints", {}).values()
              if p.entity == entity]
    meta = [(field_or_system(ce.entity, k).label.get(lang), display(field_or_system(ce.entity, k), record.get(k),
                                                                       lang)) for k in ("created_at", "updated_at")]
    return shell.render("screens/record.html", title=f"{ce.entity.label.get(lang)} {record.get('name', '')}",
                        widgets=["record", "attachment"], entity=ce.entity, record=record, head=head,
                        sections=record_sections(ce.entity, record, lang), timeline=timeline(ce.entity, record_id),
                        state=workflow_state(ce.entity, record, lang),
                        actions=workflow_actions(ce.entity, record_id, lang), prints=prints, meta=meta,
                        can_update=shell.actor().can(ce.entity, "update"),
                        can_delete=shell.actor().can(ce.entity, "delete"),
                        related=related_lists(entity, record_id, lang))


@blueprint.post("/app/<entity>/<int:record_id>/comments")
def add_comment(entity: str, record_id: int) -> Response:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    shell.records().get(entity, record_id, actor=shell.actor())  # the record exists and is visible
    body = (request.form.get("body") or "").strip()[:MAX_COMMENT]
    files = _files(request.form.get("files") or "[]")
    if not body and not files:
        flash(_("Write a comment or attach a file."), "error")
        return redirect(f"/app/{entity}/{record_id}#timeline")
    db = context().runtime.db
    with db.write() as conn:
        names = {m.group(1) for m in MENTION.finditer(body)}
        known = set(conn.execute(sa.select(sm.user.c.username).where(sm.user.c.username.in_(sorted(names))))
                    .scalars()) if names else set()
        conn.execute(comment.insert().values(entity=entity, record_id=record_id, user_id=shell.actor().id,
                                             body=body, mentions=sorted(known), files=files,
                                             at=datetime.now(UTC)))
        if known:  # the notification centre (and any webhook on the topic) tells them
            ids = conn.execute(sa.select(sm.user.c.id).where(sm.user.c.username.in_(sorted(known)))).scalars().all()
            journal.emit(conn, topic="comment.mentioned", entity=entity, record_id=record_id,
                         payload={"entity": entity, "record_id": record_id, "user_ids": list(ids),
                                  "author": shell.actor().username, "body": body[:500]})
    return redirect(f"/app/{entity}/{record_id}#timeline")


def _files(raw: str) -> list[dict[str, str]]:
    """Attachments of a comment: files this user uploaded through ``/api/v1/files``."""
    try:
        wanted = json.loads(raw)
    except ValueError:
        return []
    ids = [str(f.get("id")) for f in wanted if isinstance(f, dict)][:10] if isinstance(wanted, list) else []
    if not ids:
        return []
    with context().runtime.db.read() as conn:
        rows = conn.execute(sa.select(sm.file.c.id, sm.file.c.name).where(sm.file.c.id.in_(ids),
                                                                           sm.file.c.created_by == shell.actor().id))
        return [{"id": r.id, "name": r.name} for r in rows]


@blueprint.post("/app/<entity>/<int:record_id>/delete")
def delete_record(entity: str, record_id: int) -> Response:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "delete")
    shell.records().delete(entity, record_id, actor=shell.actor())
    flash(_("Moved to the recycle bin."), "ok")
    return redirect(f"/app/{entity}")


@blueprint.post("/app/<entity>/<int:record_id>/transition")
def transition(entity: str, record_id: int) -> Response:
    shell.compiled(entity)
    if entity not in shell.workflows():
        raise NotFound(Text("该实体没有审批流", "this entity has no workflow"))
    action = request.form.get("action") or ""
    note = (request.form.get("comment") or "").strip() or None
    version = request.form.get("version")
    values = {k[2:]: v for k, v in request.form.items() if k.startswith("f_") and v != ""}
    try:
        _workflow_service().transition(entity, record_id, action, shell.actor(), comment=note, values=values,
                                       expected_version=int(version) if version and version.isdigit() else None)
        flash(_("Done."), "ok")
    except ValidationFailed as exc:
        body = exc.problem(language())
        flash("; ".join([body.get("detail") or body["title"]] +
                        [m for msgs in body.get("errors", {}).values() for m in msgs]), "error")
    except SunmaoError as exc:
        body = exc.problem(language())
        flash(body.get("detail") or body["title"], "error")
    return redirect(f"/app/{entity}/{record_id}")


@blueprint.get("/app/<entity>/<int:record_id>/print")
@blueprint.get("/app/<entity>/<int:record_id>/print/<key>")
def print_pdf(entity: str, record_id: int, key: str | None = None) -> Response:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    record = shell.records().get(entity, record_id, actor=shell.actor())
    return pdf_response(ce.entity, [record], key, f"{record.get('name') or record_id}-{key or 'record'}")


def pdf_response(entity: Entity, records: list[dict[str, Any]], key: str | None, stem: str) -> Response:
    """Records printed with the entity's template ``key`` (None: the generic layout), one per page."""
    snap = shell.snapshot()
    layout = None
    if key is not None:
        layout = snap.features.get("prints", {}).get(key)
        if layout is None or layout.entity != entity.key:
            raise NotFound(Text(f"没有名为 {key} 的打印模板", f"there is no print template named {key!r}"))
    titles = titles_for(shell.records(), shell.actor(), entity, records)
    pdf = render_pdfs(snap, entity, records, layout, language(), titles, display=display)
    headers = {"Content-Disposition": disposition("inline", f"{stem}.pdf"), "X-Content-Type-Options": "nosniff"}
    return Response(pdf, mimetype="application/pdf", headers=headers)
