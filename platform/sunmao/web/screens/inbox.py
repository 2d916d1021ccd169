"""The review inbox: approvals waiting for me, copies to me, and overdue items.

Built on the workflow feature's ``WorkflowService.inbox`` and ``decide``; without that
feature the page says so instead of failing, so the screens work before workflows exist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Response, flash, redirect, request

from sunmao.errors import SunmaoError
from sunmao.i18n import Text
from sunmao.records.query import ListQuery
from sunmao.web.app import context, language
from sunmao.web.i18n import _, format_value_date, format_value_datetime
from sunmao.web.screens import shell
from sunmao.web.screens.fields import collect_links, display, fetch_titles
from sunmao.web.screens.layouts import field_or_system, main_view
from sunmao.web.screens.routes import blueprint
from sunmao.workflow import WorkflowService

BOXES = ("mine", "cc", "overdue")


def _service() -> Any:
    return WorkflowService(context().runtime.db, shell.snapshot())


def _when(value: Any, lang: str) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return format_value_datetime(value, lang)
    if isinstance(value, date):
        return format_value_date(value, lang)
    return "" if value is None else str(value)


def _records(tasks: list[dict[str, Any]], lang: str) -> dict[tuple[str, int], dict[str, Any]]:
    """The records the tasks are about, with a few columns of their main view (read as the user)."""
    snap = shell.snapshot()
    service = shell.records()
    wanted: dict[str, set[int]] = {}
    for t in tasks:
        if t.get("entity") in snap.entities and isinstance(t.get("record_id"), int):
            wanted.setdefault(t["entity"], set()).add(t["record_id"])
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for entity_key, ids in wanted.items():
        entity = snap.entities[entity_key]
        query = ListQuery(filters=[("id", "in", ",".join(map(str, sorted(ids))))], limit=500)
        try:
            items = service.list(entity_key, query, actor=shell.actor())["items"]
        except SunmaoError:
            continue
        titles = fetch_titles(service, shell.actor(), collect_links(snap, entity, items))
        columns = [field_or_system(entity, k) for k in main_view(snap, entity).columns if k != "name"][:4]
        linked = _linked(entity, items)
        for item in items:
            out[(entity_key, item["id"])] = {
                "name": item.get("name") or f"#{item['id']}",
                "needs": _needs(entity, item, linked, lang, titles),
                "facts": [(f.label.get(lang), display(f, item.get(f.key), lang, titles, item)) for f in columns
                          if item.get(f.key) not in (None, "")]}
    return out


def _linked(entity: Any, items: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """The linked records the entity's ``task_fields`` read (``customer.credit_limit``), read as the user."""
    snap = shell.snapshot()
    wanted: dict[str, set[int]] = {}
    for key in entity.task_fields:
        head, _, tail = key.partition(".")
        target = entity.by_key[head].to if tail and head in entity.by_key else None
        for item in items:
            if target and isinstance(item.get(head), int):
                wanted.setdefault(target, set()).add(item[head])
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for target, ids in wanted.items():
        if target not in snap.entities:
            continue
        query = ListQuery(filters=[("id", "in", ",".join(map(str, sorted(ids))))], limit=500)
        try:
            rows = shell.records().list(target, query, actor=shell.actor())["items"]
        except SunmaoError:
            continue  # the approver may not read them: the card shows the record's own facts
        found.update({(target, row["id"]): row for row in rows})
    return found


def _needs(entity: Any, item: dict[str, Any], linked: dict[tuple[str, int], dict[str, Any]], lang: str,
           titles: Any) -> list[tuple[str, str]]:
    """What the approver needs on the card (``task_fields``): own values and linked records' values."""
    snap = shell.snapshot()
    out = []
    for key in entity.task_fields:
        head, _, tail = key.partition(".")
        if not tail:
            f, record = entity.by_key.get(key), item
        else:
            target = entity.by_key[head].to if head in entity.by_key else None
            record = linked.get((target or "", item.get(head)))
            f = snap.entities[target].by_key.get(tail) if record is not None and target in snap.entities else None
        if f is None or record is None or record.get(f.key) in (None, ""):
            continue
        out.append((f.label.get(lang), display(f, record.get(f.key), lang, titles, record)))
    return out


def task_view(task: dict[str, Any], found: dict[tuple[str, int], dict[str, Any]], lang: str) -> dict[str, Any]:
    """A task of the workflow service, as the inbox shows it."""
    entity = task.get("entity") or ""
    record_id = task.get("record_id")
    snap = shell.snapshot()
    record = found.get((entity, record_id), {})
    step = task.get("step_label")
    return {"id": task.get("id"), "entity": entity,
            "entity_label": snap.entities[entity].label.get(lang) if entity in snap.entities else entity,
            "record_id": record_id, "record_name": record.get("name") or f"#{record_id}",
            "facts": record.get("facts", []), "needs": record.get("needs", []),
            "title": Text.of(step).get(lang) if step else "",
            "kind": task.get("kind"), "priority": task.get("priority") or 0,
            "due": _when(task.get("due_at"), lang), "created": _when(task.get("created_at"), lang),
            "overdue": bool(task.get("due_at") and str(task["due_at"]) < datetime.now(UTC).isoformat()),
            "url": f"/app/{entity}/{record_id}" if entity and record_id else None,
            "return_step": _first_step(task)}


def _first_step(task: dict[str, Any]) -> str | None:
    """The first step of the task's approval branch: where "return" sends the request back to."""
    workflow = shell.workflows().get(task.get("entity") or "") if shell.workflows() else None
    for approval in getattr(workflow, "approvals", {}).values():
        for branch in approval["branches"]:
            keys = [s["key"] for s in branch["steps"]]
            if task.get("step_key") in keys:
                return keys[0]
    return None


def waiting(box: str = "mine") -> list[dict[str, Any]]:
    """My pending approvals, or those past their due time (``box="overdue"``): raw task dicts."""
    if not shell.workflows():
        return []
    return [t if isinstance(t, dict) else dict(vars(t)) for t in _service().inbox(shell.actor(), box=box)]


@blueprint.get("/app/inbox")
def inbox() -> tuple[str, int]:
    lang = language()
    box = request.args.get("box") if request.args.get("box") in BOXES else "mine"
    tasks: list[dict[str, Any]] = []
    available = bool(shell.workflows())
    if available:
        try:
            raw = [t if isinstance(t, dict) else dict(vars(t)) for t in _service().inbox(shell.actor(), box=box)]
            found = _records(raw, lang)
            tasks = [task_view(t, found, lang) for t in raw]
        except ImportError:
            available = False
    return shell.render("screens/inbox.html", title=_("Review inbox"), widgets=["inbox"], box=box, tasks=tasks,
                        available=available,
                        boxes=[("mine", _("Waiting for me")), ("cc", _("Copied to me")), ("overdue", _("Overdue"))])


@blueprint.post("/app/inbox/<task_id>/decide")
def decide(task_id: str) -> Response:
    decision = request.form.get("decision")
    note = (request.form.get("comment") or "").strip() or None
    if decision not in ("approve", "reject"):
        flash(_("Choose approve or reject."), "error")
        return redirect("/app/inbox")
    try:
        key: Any = int(task_id) if task_id.isdigit() else task_id
        _service().decide(key, shell.actor(), decision=decision, comment=note)
        flash(_("Approved.") if decision == "approve" else _("Rejected."), "ok")
    except SunmaoError as exc:
        body = exc.problem(language())
        flash("; ".join([body.get("detail") or body["title"]] +
                        [m for msgs in body.get("errors", {}).values() for m in msgs]), "error")
    return redirect(request.form.get("back") or "/app/inbox")
