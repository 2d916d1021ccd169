"""The workflow designer's server side: the simulator, and the runs pinned to older versions.

The simulator is not a second router. It takes the action for real — ``WorkflowService.transition``
of the draft's compiled snapshot, the same guards, the same branch conditions, the same approver
resolution as a person clicking "submit" — inside one write transaction that is always rolled
back (:func:`rolled_back`). What the run opened (its branches, its tasks, the states the record
went through) is read back inside that transaction and reported; then everything is undone:
no record, run, task, audit entry or outbox event survives, so no notice goes out.

A sample is an existing record (optionally with some values changed, e.g. the customer's country)
or typed values for a new one. The record is put in a state the action starts from, so an order
that is already approved can still show where a fresh submit would go.

Only the naming counter of a sample typed as a *new* record on PostgreSQL advances outside the
transaction (it commits in its own statement, gaps allowed, see ``records/naming.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from sunmao.errors import NotFound, SunmaoError
from sunmao.i18n import Text
from sunmao.records import SYSTEM, Actor
from sunmao.records.compiled import rule_vars
from sunmao.records.values import json_value
from sunmao.rules import RuleError
from sunmao.storage import Database
from sunmao.storage import system as sm
from sunmao.workflow import WorkflowService
from sunmao.workflow.tables import run as run_table
from sunmao.workflow.tables import task as task_table

#: The designer API's operations of this module (see ``designer/openapi.py``).
OPERATIONS: tuple[tuple[str, str, str, str, Any, Any], ...] = (
    ("post", "/drafts/{draft_id}/simulate", "design_flow_simulate",
     "Take a workflow action on a sample record with the draft's flow, rolled back: the states, branches, "
     "steps and approvers it would go through, and why",
     {"type": "object", "required": ["entity", "action"],
      "properties": {"entity": {"type": "string"}, "action": {"type": "string"},
                     "record_id": {"type": "integer", "minimum": 1}, "record": {"type": "string"},
                     "values": {"type": "object"}, "as_user": {"type": "string"}}},
     {"type": "object", "properties": {"state": {"type": ["string", "null"]}, "branches": {"type": "array"},
                                       "transitions": {"type": "array"}}}),
    ("get", "/flows/pinned", "design_flow_pinned",
     "Running approvals per workflow and the version each is pinned to", None,
     {"type": "object", "properties": {"version": {"type": ["integer", "null"]}, "items": {"type": "array"}}}),
)


class _Undo(Exception):
    """Raised at the end of a rolled-back block: the write transaction ends in a rollback."""


@contextmanager
def rolled_back(db: Database) -> Iterator[sa.Connection]:
    """A real write transaction (the same locks and statements as a real write) that is always
    rolled back: whatever the block wrote is gone when it ends, an error included."""
    try:
        with db.write() as conn:
            yield conn
            raise _Undo
    except _Undo:
        pass


def _actor(conn: sa.Connection, username: str | None, roles: frozenset[str]) -> Actor:
    """The person who takes the action: the one named, else the first active user holding one of
    the action's roles, else the system."""
    query = sa.select(sm.user.c.id, sm.user.c.username, sm.user.c.roles).where(sm.user.c.active.is_(True))
    if username:
        row = conn.execute(query.where(sm.user.c.username == username)).first()
        if row is None:
            raise NotFound(Text(f"用户 {username} 不存在", f"no user named {username!r}"))
        return Actor(id=row.id, username=row.username, roles=frozenset(row.roles or ()))
    for row in conn.execute(query.order_by(sm.user.c.id)):
        if roles & set(row.roles or ()):
            return Actor(id=row.id, username=row.username, roles=frozenset(row.roles or ()))
    return SYSTEM


def _names(conn: sa.Connection, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(sa.select(sm.user.c.id, sm.user.c.username).where(sm.user.c.id.in_(ids)))
    return {r.id: r.username for r in rows}


def _lookup(data: Any, path: str) -> Any:
    value = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def simulate(db: Database, snapshot: Any, entity: str, action: str, *, record_id: int | None = None,
             values: Mapping[str, Any] | None = None, as_user: str | None = None) -> dict[str, Any]:
    """Which states, branches and steps ``action`` would take a sample record through, and why."""
    service = WorkflowService(db, snapshot)
    wf = service.workflow(entity)
    t = wf.transitions.get(action)
    if t is None:
        raise NotFound(Text(f"流程中没有操作 {action}", f"the workflow has no action {action!r}"))
    report: dict[str, Any] = {"entity": entity, "action": action, "label": t.label.as_dict(), "refused": None,
                              "problems": [], "transitions": [], "branches": [], "state": None}
    with rolled_back(db) as conn:
        actor = _actor(conn, as_user, t.roles)
        report["as_user"] = actor.username
        rid = _sample(service, conn, entity, record_id, values, report)
        if rid is None:
            return report
        table = snapshot.tables[entity]
        current = conn.execute(sa.select(table.c[wf.state_field]).where(table.c.id == rid)).scalar()
        if current not in t.sources:  # the sample starts where the action can be taken
            source = wf.initial if wf.initial in t.sources else sorted(t.sources)[0]
            conn.execute(table.update().where(table.c.id == rid).values({wf.state_field: source}))
        last_audit = conn.execute(sa.select(sa.func.max(sm.audit.c.id))).scalar() or 0
        last_run = conn.execute(sa.select(sa.func.max(run_table.c.id))).scalar() or 0
        try:
            service.transition(entity, rid, action, actor, conn=conn)
        except SunmaoError as exc:
            report["refused"] = _problem(exc)
        record = service.records.fetch(conn, entity, rid)
        report["record"] = {"id": record_id, "name": record.get("name")}
        report["state"] = record.get(wf.state_field)
        for row in conn.execute(sa.select(sm.audit.c.diff).where(
                sm.audit.c.id > last_audit, sm.audit.c.entity == entity, sm.audit.c.record_id == rid,
                sm.audit.c.action == "transition").order_by(sm.audit.c.id)):
            step = (row.diff or {}).get("_transition") or {}
            report["transitions"].append({k: step.get(k) for k in ("action", "label", "from", "to", "comment")})
        run = conn.execute(sa.select(run_table).where(run_table.c.id > last_run, run_table.c.entity == entity,
                                                      run_table.c.record_id == rid)).mappings().first()
        data = service.records.evaluation_data(entity, record, conn)
        if t.approval:
            report["branches"] = _branches(service, conn, snapshot, wf.approvals[t.approval], run, data)
            report["approval"] = t.approval
    return report


def _sample(service: WorkflowService, conn: sa.Connection, entity: str, record_id: int | None,
            values: Mapping[str, Any] | None, report: dict[str, Any]) -> int | None:
    try:
        if record_id is not None:
            service.records.fetch(conn, entity, record_id)
            if values:
                service.records.update(entity, record_id, dict(values), actor=SYSTEM, skip_read_only=True, conn=conn)
            return record_id
        return int(service.records.create(entity, dict(values or {}), actor=SYSTEM, conn=conn)["id"])
    except SunmaoError as exc:
        report["problems"].append(_problem(exc))
        return None


def _problem(exc: SunmaoError) -> dict[str, Any]:
    zh, en = exc.problem("zh"), exc.problem("en")
    return {"zh": zh.get("detail") or zh.get("title"), "en": en.get("detail") or en.get("title"),
            "errors": en.get("errors") or {}}


def _branches(service: WorkflowService, conn: sa.Connection, snapshot: Any, definition: Mapping[str, Any],
              run: Mapping[str, Any] | None, data: Any) -> list[dict[str, Any]]:
    """Each branch of the approval: whether the engine opened it, the condition and the values it
    read (the why), and its steps with the people the engine resolved for them."""
    taken = set(run["branches"]) if run else set()
    tasks: dict[tuple[str, int], list[int]] = {}
    if run:
        for row in conn.execute(sa.select(task_table.c.branch, task_table.c.step_index, task_table.c.assignee_id)
                                .where(task_table.c.run_id == run["id"], task_table.c.kind == "approve")):
            tasks.setdefault((row.branch, row.step_index), []).append(row.assignee_id)
    out = []
    for branch in definition["branches"]:
        when = branch.get("when")
        inputs = {path: json_value(_lookup(data, path)) for path in sorted(rule_vars(when))} if when else {}
        value: Any = None
        if when is not None:
            try:
                value = json_value(snapshot.rules.compile(when, name=f"{branch['key']}.when")(data))
            except RuleError as exc:
                value = f"error: {exc.message_en}"
        steps = []
        for index, step in enumerate(branch["steps"]):
            ids = tasks.get((branch["key"], index))
            if ids is None and run is not None and branch["key"] in taken:
                ids = service._resolve(conn, step["approvers"], run, data)  # the engine's own resolution
            names = _names(conn, ids or [])
            steps.append({"key": step["key"], "label": step.get("label"), "mode": step.get("mode", "any"),
                          "approvers": step["approvers"], "sla_hours": step.get("sla_hours"),
                          "people": [names[i] for i in ids or [] if i in names], "opened": ids is not None
                          and (branch["key"], index) in tasks})
        out.append({"key": branch["key"], "label": branch.get("label"), "when": when,
                    "applies": branch["key"] in taken, "result": value if when is not None else True,
                    "inputs": inputs, "steps": steps})
    return out


def pinned_runs(db: Database, version: int | None = None) -> list[dict[str, Any]]:
    """Running approvals per workflow and the version they are pinned to (older than ``version``,
    or all when it is None): a publish leaves them on their old definition."""
    query = sa.select(run_table.c.workflow, run_table.c.revision, sa.func.count().label("runs")).where(
        run_table.c.status == "running").group_by(run_table.c.workflow, run_table.c.revision).order_by(
        run_table.c.workflow, run_table.c.revision)
    if version is not None:
        query = query.where(run_table.c.revision < version)
    with db.read() as conn:
        return [{"workflow": r.workflow, "version": r.revision, "runs": r.runs} for r in conn.execute(query)]



def editor_extras(runtime: Any, kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the flow and channel editors start with: sample records of the flow's entity (newest
    first), the people who may act, the running approvals pinned to older versions."""
    from sunmao.hooks.inbound.intake import channels

    version = runtime.current_version(fresh=True)
    snap = runtime.snapshot(version) if version is not None else None
    out: dict[str, Any] = {"version": version}
    with runtime.db.read() as conn:
        out["people"] = [{"username": r.username, "roles": sorted(r.roles or ())} for r in conn.execute(
            sa.select(sm.user.c.username, sm.user.c.roles).where(sm.user.c.active.is_(True)).order_by(sm.user.c.id))]
        if kind == "workflow" and snap is not None and doc.get("entity") in snap.tables:
            table = snap.tables[doc["entity"]]
            state = doc.get("state_field")
            cols = [table.c.id, table.c.name] + ([table.c[state]] if state in table.c else [])
            query = sa.select(*cols).order_by(table.c.id.desc()).limit(30)
            if "deleted_at" in table.c:
                query = query.where(table.c.deleted_at.is_(None))
            out["samples"] = [{"id": r[0], "name": r[1], "state": r[2] if len(r) > 2 else None}
                              for r in conn.execute(query)]
    if kind == "workflow":
        out["pinned"] = pinned_runs(runtime.db)  # all running: after a publish they stay on their version
    if kind == "channel":
        out["published_channel"] = doc.get("key") in (channels(snap) if snap is not None else {})
    return out
