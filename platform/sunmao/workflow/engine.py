"""The approval engine: actions, parallel branches of sequential steps, tasks, decisions, SLAs.

It sits above the record service and writes through it: a state change is always a
``RecordService.update(..., transition=...)`` inside the same transaction as the task
bookkeeping, so a crash can never leave an order "under review" without its tasks.

A run pins the approval definition it started with (``sm_flow_run.definition``): publishing a
new version of the flow changes new runs only.

Step modes: ``single`` (the first approver decides), ``any`` (or-sign: the first decision of
any approver counts), ``all`` (countersign: everyone must approve; one rejection rejects),
``ratio`` (approved share ≥ ratio approves; when that has become impossible, it rejects).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao import org
from sunmao.errors import Conflict, Forbidden, NotFound, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.model import ADMIN_ROLE
from sunmao.records import SYSTEM, Actor, RecordService, journal
from sunmao.records.values import json_value
from sunmao.rules import RuleError
from sunmao.rules.coerce import truthy
from sunmao.storage import Database
from sunmao.storage import system as sm
from sunmao.workflow.definition import Workflow
from sunmao.workflow.tables import run as run_table
from sunmao.workflow.tables import task as task_table

OPEN = ("pending", "waiting")


def _now() -> datetime:
    return datetime.now(UTC)


class WorkflowService:
    def __init__(self, db: Database, snapshot: Any):
        self.db = db
        self.snapshot = snapshot
        self.records = RecordService(db, snapshot)
        self.workflows: Mapping[str, Workflow] = snapshot.features.get("workflows", {})

    # -- lookups ---------------------------------------------------------------------------

    def workflow(self, entity: str) -> Workflow:
        wf = self.workflows.get(entity)
        if wf is None:
            raise NotFound(Text(f"{entity} 没有流程", f"{entity} has no workflow"))
        return wf

    def actions(self, entity: str, record_id: int, actor: Actor) -> list[dict[str, Any]]:
        """The actions ``actor`` may take on the record now (guards are checked when taken)."""
        wf = self.workflow(entity)
        record = self.records.get(entity, record_id, actor=actor)
        return [{"key": t.key, "label": t.label.as_dict(), "to": t.to, "comment_required": t.comment_required,
                 "fields_required": list(t.fields_required)}
                for t in wf.actions_from(record.get(wf.state_field), actor)]

    # -- taking an action ------------------------------------------------------------------

    def transition(self, entity: str, record_id: int, action: str, actor: Actor, *, comment: str | None = None,
                   values: Mapping[str, Any] | None = None, expected_version: int | None = None,
                   conn: sa.Connection | None = None) -> dict[str, Any]:
        """Take a workflow action by hand; start its approval if it has one.

        With ``conn`` the action joins the caller's transaction (a scan that also moves stock
        commits or fails as one); otherwise it is a transaction of its own."""
        wf = self.workflow(entity)
        if conn is not None:
            return self._transition(conn, wf, record_id, action, actor, comment, values, expected_version)
        with self.db.write() as own:
            return self._transition(own, wf, record_id, action, actor, comment, values, expected_version)

    def _transition(self, conn: sa.Connection, wf: Workflow, record_id: int, action: str, actor: Actor,
                    comment: str | None, values: Mapping[str, Any] | None, expected_version: int | None
                    ) -> dict[str, Any]:
        record = self.records.update(wf.entity, record_id, dict(values or {}), actor=actor,
                                     expected_version=expected_version, transition=action, comment=comment, conn=conn)
        if wf.transitions[action].to is not None:
            # the record leaves the state its running approval was for (cancelled, sent back to
            # draft for a revision): the open tasks go with it, nobody approves a stale request
            self._withdraw(conn, wf, record_id, action, actor)
        self._effects(conn, wf, action, record, actor, comment)
        approval = wf.transitions[action].approval
        if approval:
            record = self._start(conn, wf, approval, record_id, actor) or record
        return record

    def _withdraw(self, conn: sa.Connection, wf: Workflow, record_id: int, action: str, actor: Actor) -> None:
        """Close the record's running approvals, their open tasks cancelled, after a manual action."""
        running = conn.execute(sa.select(run_table.c.id).where(
            run_table.c.entity == wf.entity, run_table.c.record_id == record_id,
            run_table.c.status == "running")).scalars().all()
        for run_id in running:
            self._cancel_open(conn, run_id)
            conn.execute(run_table.update().where(run_table.c.id == run_id).values(
                status="withdrawn", finished_at=_now()))
            self._emit(conn, "workflow.withdrawn", {"entity": wf.entity, "record_id": record_id, "run_id": run_id,
                                                    "action": action, "actor": actor.username})

    def _effects(self, conn: sa.Connection, wf: Workflow, action: str, record: Mapping[str, Any],
                 actor: Actor, comment: str | None = None) -> None:
        """What an action does beyond its own record: related records, an extra event, a notification,
        an action on the record a link points at (``then``: an inspection passed passes its order)."""
        t = wf.transitions[action]
        if t.then is not None and record.get(t.then[0]) is not None:
            target = self.workflow(self.snapshot.entities[wf.entity].by_key[t.then[0]].to)
            self._system_transition(conn, target, record[t.then[0]], t.then[1], actor.username, comment)
        if not (t.creates or t.emit or t.notify or t.generates):
            return
        stored = self.records.fetch(conn, wf.entity, record["id"])
        data = self.records.evaluation_data(wf.entity, stored, conn)
        for generator in t.generates:
            generator.run(self.records, conn, stored, data, Actor(id=actor.id, username=actor.username, system=True))
        for entity, values in t.creates:
            payload = {key: (fn(data) if kind == "formula" else fn) for key, kind, fn in values}
            self.records.create(entity, json_value(payload), actor=Actor(id=actor.id, username=actor.username,
                                                                         system=True), conn=conn)
        if t.emit:
            self._emit(conn, t.emit, {"entity": wf.entity, "record_id": record["id"], "name": record.get("name"),
                                      "action": action, "actor": actor.username})
        if t.notify:
            who = t.notify.get("to")
            users = self._resolve(conn, who, {"submitter_id": actor.id}, data) if who else []
            self._emit(conn, "workflow.notify", {
                "entity": wf.entity, "record_id": record["id"], "name": record.get("name"), "action": action,
                "user_ids": users, "message": t.notify["message"]})

    def generate(self, entity: str, action: str, states: Iterable[str] | None = None) -> dict[str, int]:
        """Run an action's ``generate`` for every record in ``states`` (default: the state the action
        leads to), one transaction per record; records already generated are left alone, so this
        catches up (orders approved before their BOM existed) and may run on a schedule."""
        wf = self.workflow(entity)
        t = wf.transitions.get(action)
        if t is None or not t.generates:
            raise NotFound(Text(f"操作 {action} 不生成记录", f"the action {action!r} generates no records"))
        table = self.snapshot.tables[entity]
        wanted = sorted(set(states or ())) or [t.to]
        with self.db.read() as conn:
            ids = conn.execute(sa.select(table.c.id).where(table.c[wf.state_field].in_(wanted),
                                                           table.c.deleted_at.is_(None)).order_by(table.c.id)).scalars().all()
        created = 0
        for record_id in ids:
            try:
                with self.db.write() as conn:
                    stored = self.records.fetch(conn, entity, record_id)
                    data = self.records.evaluation_data(entity, stored, conn)
                    created += sum(len(g.run(self.records, conn, stored, data, SYSTEM)) for g in t.generates)
            except Conflict as exc:  # a concurrent run (or approval) made them first: a unique index held
                if "constraint" not in exc.extra:
                    raise
        return {"records": len(ids), "created": created}

    def _system_transition(self, conn: sa.Connection, wf: Workflow, record_id: int, action: str,
                           on_behalf: str, comment: str | None = None) -> dict[str, Any]:
        actor = Actor(username=on_behalf, system=True)
        record = self.records.update(wf.entity, record_id, {}, actor=actor, skip_read_only=True, transition=action,
                                     comment=comment, conn=conn)
        self._effects(conn, wf, action, record, actor, comment)
        return record

    # -- approvals -------------------------------------------------------------------------

    def _rule(self, expr: Any, name: str) -> Any:
        return self.snapshot.rules.compile(expr, name=name)

    def _start(self, conn: sa.Connection, wf: Workflow, approval_key: str, record_id: int, actor: Actor
               ) -> dict[str, Any] | None:
        definition = wf.approvals[approval_key]
        stored = self.records.fetch(conn, wf.entity, record_id)
        data = self.records.evaluation_data(wf.entity, stored, conn)
        branches = []
        for branch in definition["branches"]:
            when = branch.get("when")
            try:
                applies = when is None or truthy(self._rule(when, f"{approval_key}.{branch['key']}.when")(data))
            except RuleError as exc:
                raise SunmaoError(Text(f"审批分支 {branch['key']} 的条件无法计算：{exc.message_zh}",
                                       f"the condition of approval branch {branch['key']} failed: "
                                       f"{exc.message_en}")) from None
            if applies:
                branches.append(branch["key"])
        if not branches:
            return self._system_transition(conn, wf, record_id, definition["on_approved"], "auto",
                                           comment="无需审批 / no review applies")
        priority = 0
        if "priority" in definition:
            try:
                priority = int(float(self._rule(definition["priority"], f"{approval_key}.priority")(data) or 0))
            except (RuleError, TypeError, ValueError):
                priority = 0
        now = _now()
        run_id = conn.execute(run_table.insert().values(
            entity=wf.entity, record_id=record_id, workflow=wf.key, approval=approval_key,
            revision=self.snapshot.version, definition=definition, branches=branches, status="running",
            priority=priority, submitter_id=actor.id, started_at=now)).inserted_primary_key[0]
        record = None
        if definition.get("on_start"):
            record = self._system_transition(conn, wf, record_id, definition["on_start"], "review")
        run = conn.execute(sa.select(run_table).where(run_table.c.id == run_id)).mappings().one()
        for key in branches:
            self._open_step(conn, wf, run, key, 0, data)
        return record

    def _branch(self, run: Mapping[str, Any], key: str) -> dict[str, Any]:
        return next(b for b in run["definition"]["branches"] if b["key"] == key)

    def _resolve(self, conn: sa.Connection, who: Mapping[str, Any], run: Mapping[str, Any],
                 data: Mapping[str, Any]) -> list[int]:
        submitter = run["submitter_id"]
        ids: list[int | None]
        if "role" in who:
            ids = list(org.users_with_role(conn, who["role"]))
        elif "users" in who:
            ids = [org.user_id(conn, name) for name in who["users"]]
        elif "user_field" in who:
            value = data.get(who["user_field"])
            ids = [org.user_id(conn, str(value))] if value else []
        elif "manager_of" in who:
            ids = [org.manager_of(conn, submitter)] if submitter else []
        elif "department_head" in who:
            ids = [org.department_head_of(conn, submitter)] if submitter else []
        else:
            result = self._rule(who["rule"], "approvers")(data)
            names = result if isinstance(result, list) else [result]
            ids = [org.user_id(conn, str(n)) for n in names if n]
        seen: list[int] = []
        for uid in ids:
            if uid is not None and uid not in seen:
                seen.append(uid)
        return seen

    def _open_step(self, conn: sa.Connection, wf: Workflow, run: Mapping[str, Any], branch_key: str, index: int,
                   data: Mapping[str, Any] | None = None) -> None:
        step = self._branch(run, branch_key)["steps"][index]
        if data is None:
            data = self.records.evaluation_data(wf.entity, self.records.fetch(conn, wf.entity, run["record_id"]), conn)
        now = _now()
        approvers = self._resolve(conn, step["approvers"], run, data)
        if not step.get("allow_self", False) and run["submitter_id"] is not None:
            approvers = [a for a in approvers if a != run["submitter_id"]]
        if not approvers:
            # Nobody may decide (an empty role, the submitter alone): the administrators do.
            approvers = [a for a in org.users_with_role(conn, ADMIN_ROLE) if a != run["submitter_id"]] or \
                org.users_with_role(conn, ADMIN_ROLE)
        if step.get("mode", "any") == "single":
            approvers = approvers[:1]
        due = wf.calendar.add_working_hours(now, step["sla_hours"]) if step.get("sla_hours") else None
        for uid in approvers:
            self._add_task(conn, run, branch_key, index, step["key"], uid, "approve", now, due,
                           about=self._about(conn, wf, run, step))
        if step.get("cc"):
            for uid in self._resolve(conn, step["cc"], run, data):
                self._add_task(conn, run, branch_key, index, step["key"], uid, "cc", now, None)

    def _about(self, conn: sa.Connection, wf: Workflow, run: Mapping[str, Any], step: Mapping[str, Any]
               ) -> dict[str, Any]:
        """What a person told of a task needs to recognise it: the record's number and summary
        (its title, its summary fields) and the step's label, in both languages."""
        record = self.records.fetch(conn, wf.entity, run["record_id"])
        return {"name": record.get("name"), "subject": self.records.summary(wf.entity, record, conn).as_dict(),
                "step_label": step.get("label")}

    def _add_task(self, conn: sa.Connection, run: Mapping[str, Any], branch: str, index: int, step_key: str,
                  uid: int, kind: str, now: datetime, due: datetime | None, *, added_by: int | None = None,
                  status: str = "pending", about: Mapping[str, Any] | None = None) -> int:
        delegate = org.delegate_for(conn, uid, now) if kind == "approve" else None
        task_id = conn.execute(task_table.insert().values(
            run_id=run["id"], entity=run["entity"], record_id=run["record_id"], branch=branch, step_index=index,
            step_key=step_key, kind=kind, assignee_id=delegate or uid, status=status if kind == "approve" else "cc",
            priority=run["priority"], created_at=now, due_at=due, delegated_from=uid if delegate else None,
            added_by=added_by)).inserted_primary_key[0]
        if about is None:
            about = self._about(conn, self.workflow(run["entity"]), run, self._branch(run, branch)["steps"][index])
        self._emit(conn, "workflow.task.created" if kind == "approve" else "workflow.task.cc", {
            "task_id": task_id, "entity": run["entity"], "record_id": run["record_id"], "step": step_key,
            "assignee_id": delegate or uid, "due_at": due.isoformat() if due else None, **about})
        return task_id

    def _emit(self, conn: sa.Connection, topic: str, payload: dict[str, Any]) -> None:
        journal.emit(conn, topic=topic, payload=payload, entity=payload.get("entity"),
                     record_id=payload.get("record_id"), at=_now())

    # -- deciding --------------------------------------------------------------------------

    def _lock(self, conn: sa.Connection, task_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
        task = conn.execute(sa.select(task_table).where(task_table.c.id == task_id)).mappings().first()
        if task is None:
            raise NotFound(Text(f"任务 #{task_id} 不存在", f"task #{task_id} does not exist"))
        query = sa.select(run_table).where(run_table.c.id == task["run_id"])
        if not self.db.is_sqlite:
            query = query.with_for_update()
        run = dict(conn.execute(query).mappings().one())
        # Re-read the task under the run's lock: a parallel decision may have closed it meanwhile.
        task = dict(conn.execute(sa.select(task_table).where(task_table.c.id == task_id)).mappings().one())
        return task, run

    def _own_open_task(self, task: Mapping[str, Any], actor: Actor) -> None:
        if task["kind"] != "approve":
            raise Conflict(Text("抄送任务无需审批", "a CC task needs no decision"))
        if task["status"] != "pending":
            raise Conflict(Text(f"该任务已处理（{task['status']}），无需重复操作",
                                f"this task was already handled ({task['status']})"), task_status=task["status"])
        if not actor.system and task["assignee_id"] != actor.id:
            raise Forbidden(Text("这不是你的审批任务", "this task is not assigned to you"))

    def decide(self, task_id: int, actor: Actor, decision: str, comment: str | None = None) -> dict[str, Any]:
        """Approve or reject a task; close the step, the branch and the run as their modes say."""
        if decision not in ("approve", "reject"):
            raise SunmaoError(Text("决定只能是 approve 或 reject", "the decision must be approve or reject"))
        if decision == "reject" and not (comment or "").strip():
            raise ValidationFailed(Text("驳回需要填写原因", "a rejection needs a reason"),
                                   errors={"comment": [Text("请写明驳回原因，提交人会收到通知",
                                                            "say why: the submitter is told")]})
        with self.db.write() as conn:
            task, run = self._lock(conn, task_id)
            self._own_open_task(task, actor)
            status = "approved" if decision == "approve" else "rejected"
            done = conn.execute(task_table.update().where(task_table.c.id == task_id, task_table.c.status == "pending")
                                .values(status=status, decided_at=_now(), decided_by=actor.id, comment=comment))
            if done.rowcount != 1:
                raise Conflict(Text("该任务刚被处理", "this task was just handled by someone else"))
            if task["added_by"] is not None and decision == "approve":
                # An approver added "before" someone: hand the step back to who added them.
                waiting = conn.execute(task_table.update().where(
                    task_table.c.run_id == run["id"], task_table.c.assignee_id == task["added_by"],
                    task_table.c.step_key == task["step_key"], task_table.c.status == "waiting")
                    .values(status="pending"))
                if waiting.rowcount:
                    return self._task_view(conn, task_id)
            self._settle_step(conn, run, task["branch"], task["step_index"], actor)
            return self._task_view(conn, task_id)

    def bulk_approve(self, task_ids: Iterable[int], actor: Actor, comment: str | None = None) -> dict[str, Any]:
        """Approve several tasks; each one on its own, so one conflict does not block the rest."""
        results: dict[str, Any] = {"approved": [], "failed": {}}
        for task_id in task_ids:
            try:
                self.decide(task_id, actor, "approve", comment)
                results["approved"].append(task_id)
            except SunmaoError as exc:
                results["failed"][task_id] = exc.problem("en")["detail" if exc.detail else "title"]
        return results

    def _settle_step(self, conn: sa.Connection, run: Mapping[str, Any], branch: str, index: int,
                     actor: Actor) -> None:
        step = self._branch(run, branch)["steps"][index]
        tasks = conn.execute(sa.select(task_table.c.status).where(
            task_table.c.run_id == run["id"], task_table.c.branch == branch, task_table.c.step_index == index,
            task_table.c.kind == "approve", task_table.c.status.not_in(("transferred", "cancelled")))).scalars().all()
        approved = sum(1 for s in tasks if s == "approved")
        rejected = sum(1 for s in tasks if s == "rejected")
        total = len(tasks)
        mode = step.get("mode", "any")
        outcome = None
        if mode in ("any", "single"):
            outcome = "rejected" if rejected else "approved" if approved else None
        elif mode == "all":
            outcome = "rejected" if rejected else "approved" if approved == total else None
        else:
            need = step["ratio"] * total
            if approved >= need - 1e-9:
                outcome = "approved"
            elif total - rejected < need - 1e-9:
                outcome = "rejected"
        if outcome is None:
            return
        self._cancel_open(conn, run["id"], branch=branch, index=index)
        wf = self.workflow(run["entity"])
        if outcome == "rejected":
            self._finish(conn, wf, run, "rejected", actor)
            return
        steps = self._branch(run, branch)["steps"]
        if index + 1 < len(steps):
            self._open_step(conn, wf, run, branch, index + 1)
            return
        open_branches = conn.execute(sa.select(sa.func.count()).select_from(task_table).where(
            task_table.c.run_id == run["id"], task_table.c.status.in_(OPEN), task_table.c.kind == "approve"
        )).scalar_one()
        if open_branches == 0:
            self._finish(conn, wf, run, "approved", actor)

    def _cancel_open(self, conn: sa.Connection, run_id: int, *, branch: str | None = None,
                     index: int | None = None) -> None:
        query = task_table.update().where(task_table.c.run_id == run_id, task_table.c.status.in_(OPEN))
        if branch is not None:
            query = query.where(task_table.c.branch == branch, task_table.c.step_index == index)
        conn.execute(query.values(status="cancelled", decided_at=_now()))

    def _finish(self, conn: sa.Connection, wf: Workflow, run: Mapping[str, Any], outcome: str, actor: Actor) -> None:
        self._cancel_open(conn, run["id"])
        conn.execute(run_table.update().where(run_table.c.id == run["id"]).values(status=outcome,
                                                                                   finished_at=_now()))
        action = run["definition"]["on_approved" if outcome == "approved" else "on_rejected"]
        record = self._system_transition(conn, wf, run["record_id"], action, actor.username)
        if outcome == "rejected" and run["submitter_id"] is not None:
            self._tell_submitter(conn, wf, run, record)

    def _tell_submitter(self, conn: sa.Connection, wf: Workflow, run: Mapping[str, Any],
                        record: Mapping[str, Any]) -> None:
        """The submitter learns of a rejection: who rejected it, at which step, and why."""
        task = conn.execute(sa.select(task_table.c.step_key, task_table.c.comment, sm.user.c.username).outerjoin(
            sm.user, sm.user.c.id == task_table.c.decided_by).where(
            task_table.c.run_id == run["id"], task_table.c.status == "rejected").order_by(
            task_table.c.decided_at.desc()).limit(1)).mappings().first()
        step = next((s for b in run["definition"]["branches"] for s in b["steps"]
                     if task is not None and s["key"] == task["step_key"]), {})
        label = step.get("label") or {"zh": task["step_key"] if task else "", "en": task["step_key"] if task else ""}
        reason = (task["comment"] if task else None) or ""
        who = (task["username"] if task else None) or "system"
        self._emit(conn, "workflow.notify", {
            "entity": wf.entity, "record_id": run["record_id"], "name": record.get("name"),
            "user_ids": [run["submitter_id"]], "action": "rejected",
            "message": {"zh": f"你提交的审批被 {who} 在“{label['zh']}”驳回：{reason}",
                        "en": f"your request was rejected by {who} at “{label['en']}”: {reason}"}})

    def return_to(self, task_id: int, actor: Actor, step_key: str, comment: str | None = None) -> dict[str, Any]:
        """Send the request back to an earlier step of the same branch (its approvers decide again)."""
        with self.db.write() as conn:
            task, run = self._lock(conn, task_id)
            self._own_open_task(task, actor)
            steps = self._branch(run, task["branch"])["steps"]
            target = next((i for i, s in enumerate(steps) if s["key"] == step_key), None)
            if target is None or target > task["step_index"]:
                raise SunmaoError(Text(f"只能退回到本分支更早的步骤，{step_key} 不是",
                                       f"{step_key!r} is not an earlier step of this branch"))
            conn.execute(task_table.update().where(task_table.c.id == task_id).values(
                status="returned", decided_at=_now(), decided_by=actor.id, comment=comment))
            self._cancel_open(conn, run["id"], branch=task["branch"], index=task["step_index"])
            self._open_step(conn, self.workflow(run["entity"]), run, task["branch"], target)
            return self._task_view(conn, task_id)

    def transfer(self, task_id: int, actor: Actor, to_username: str, comment: str | None = None) -> dict[str, Any]:
        """Hand one's task to someone else; they decide in one's place."""
        with self.db.write() as conn:
            task, run = self._lock(conn, task_id)
            self._own_open_task(task, actor)
            uid = self._user(conn, to_username)
            conn.execute(task_table.update().where(task_table.c.id == task_id).values(
                status="transferred", decided_at=_now(), decided_by=actor.id, comment=comment))
            new_id = self._add_task(conn, run, task["branch"], task["step_index"], task["step_key"], uid, "approve",
                                    _now(), task["due_at"])
            return self._task_view(conn, new_id)

    def add_approver(self, task_id: int, actor: Actor, username: str, position: str,
                     comment: str | None = None) -> dict[str, Any]:
        """Add an approver before oneself (they decide first, then it comes back) or after (a new step)."""
        if position not in ("before", "after"):
            raise SunmaoError(Text("position 只能是 before 或 after", "position must be before or after"))
        with self.db.write() as conn:
            task, run = self._lock(conn, task_id)
            self._own_open_task(task, actor)
            uid = self._user(conn, username)
            now = _now()
            if position == "before":
                conn.execute(task_table.update().where(task_table.c.id == task_id).values(status="waiting",
                                                                                          comment=comment))
                new_id = self._add_task(conn, run, task["branch"], task["step_index"], task["step_key"], uid,
                                        "approve", now, task["due_at"], added_by=actor.id)
                return self._task_view(conn, new_id)
            definition = dict(run["definition"])
            branches = [dict(b) for b in definition["branches"]]
            branch = next(b for b in branches if b["key"] == task["branch"])
            steps = list(branch["steps"])
            steps.insert(task["step_index"] + 1, {
                "key": f"added_{task_id}", "label": {"zh": "加签", "en": "Added approver"},
                "approvers": {"users": [username]}, "mode": "single", "allow_self": True})
            branch["steps"] = steps
            definition["branches"] = branches
            conn.execute(run_table.update().where(run_table.c.id == run["id"]).values(definition=definition))
            return self._task_view(conn, task_id)

    def _user(self, conn: sa.Connection, username: str) -> int:
        uid = org.user_id(conn, username)
        if uid is None:
            raise NotFound(Text(f"用户 {username} 不存在", f"no user named {username!r}"))
        return uid

    # -- inbox and timeline ----------------------------------------------------------------

    def inbox(self, actor: Actor, box: str = "mine", limit: int = 200) -> list[dict[str, Any]]:
        """My open approvals (priority first: key accounts lead), CC'd to me, or overdue."""
        query = sa.select(task_table).where(task_table.c.assignee_id == actor.id)
        if box == "mine":
            query = query.where(task_table.c.status == "pending")
        elif box == "cc":
            query = query.where(task_table.c.kind == "cc")
        elif box == "overdue":
            query = query.where(task_table.c.status == "pending", task_table.c.due_at < _now())
        else:
            raise SunmaoError(Text("box 只能是 mine、cc 或 overdue", "box must be mine, cc or overdue"))
        query = query.order_by(task_table.c.priority.desc(), task_table.c.due_at.asc().nulls_last(),
                               task_table.c.id).limit(limit)
        with self.db.read() as conn:
            return [self._task_dict(row) for row in conn.execute(query).mappings()]

    def _task_view(self, conn: sa.Connection, task_id: int) -> dict[str, Any]:
        return self._task_dict(conn.execute(sa.select(task_table).where(task_table.c.id == task_id)).mappings().one())

    def _task_dict(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: json_value(v) for k, v in row.items()}
        wf = self.workflows.get(row["entity"])
        approval = None
        if wf is not None:
            for a in wf.approvals.values():
                for b in a["branches"]:
                    for s in b["steps"]:
                        if s["key"] == row["step_key"]:
                            approval = s["label"]
        out["step_label"] = approval
        return out

    def timeline(self, entity: str, record_id: int, actor: Actor = SYSTEM) -> list[dict[str, Any]]:
        """Everything that happened to a record: writes with their diffs, actions, approval decisions."""
        self.records.get(entity, record_id, actor=actor)  # permission and existence
        with self.db.read() as conn:
            audit = conn.execute(sa.select(sm.audit, sm.user.c.username).outerjoin(
                sm.user, sm.user.c.id == sm.audit.c.user_id).where(
                sm.audit.c.entity == entity, sm.audit.c.record_id == record_id)).mappings().all()
            tasks = conn.execute(sa.select(task_table, sm.user.c.username).outerjoin(
                sm.user, sm.user.c.id == task_table.c.decided_by).where(
                task_table.c.entity == entity, task_table.c.record_id == record_id,
                task_table.c.decided_at.is_not(None),
                task_table.c.status.in_(("approved", "rejected", "returned", "transferred")))).mappings().all()
        entries = []
        for a in audit:
            entry = {"at": a["at"].isoformat(), "kind": a["action"], "user": a["username"], "diff": a["diff"]}
            if a["action"] == "transition":
                entry["transition"] = a["diff"].get("_transition")
            entries.append(entry)
        for t in tasks:
            entries.append({"at": t["decided_at"].isoformat(), "kind": "decision", "user": t["username"],
                            "step": t["step_key"], "decision": t["status"], "comment": t["comment"],
                            "task_id": t["id"]})
        entries.sort(key=lambda e: e["at"])
        return entries

    # -- SLAs ------------------------------------------------------------------------------

    def sla_tick(self, now: datetime | None = None) -> dict[str, int]:
        """Handle overdue tasks once: remind, escalate, or decide, as each step says."""
        now = now or _now()
        counts = {"reminded": 0, "escalated": 0, "approved": 0, "rejected": 0}
        with self.db.read() as conn:
            overdue = conn.execute(sa.select(task_table.c.id).where(
                task_table.c.status == "pending", task_table.c.due_at < now, task_table.c.reminded_at.is_(None),
                task_table.c.escalated_at.is_(None))).scalars().all()
        for task_id in overdue:
            with self.db.write() as conn:
                task, run = self._lock(conn, task_id)
                if task["status"] != "pending":
                    continue
                step = self._branch(run, task["branch"])["steps"][task["step_index"]]
                policy = step.get("on_timeout", "remind")
                if policy in ("approve", "reject"):
                    status = "approved" if policy == "approve" else "rejected"
                    conn.execute(task_table.update().where(task_table.c.id == task_id).values(
                        status=status, decided_at=now, comment=f"超时自动处理 / decided on timeout ({policy})"))
                    counts[status] += 1
                    self._settle_step(conn, run, task["branch"], task["step_index"],
                                      Actor(username="sla", system=True))
                    continue
                if policy == "escalate":
                    who = step.get("escalate_to") or {"manager_of": "submitter"}
                    targets = self._resolve(conn, who, run, {}) if "manager_of" not in who else \
                        [m for m in [org.manager_of(conn, task["assignee_id"])] if m]
                    for uid in targets or org.users_with_role(conn, ADMIN_ROLE):
                        self._add_task(conn, run, task["branch"], task["step_index"], task["step_key"], uid,
                                       "approve", now, None)
                    conn.execute(task_table.update().where(task_table.c.id == task_id).values(escalated_at=now))
                    counts["escalated"] += 1
                else:
                    conn.execute(task_table.update().where(task_table.c.id == task_id).values(reminded_at=now))
                    counts["reminded"] += 1
                self._emit(conn, "workflow.task.overdue", {
                    "task_id": task_id, "entity": task["entity"], "record_id": task["record_id"],
                    "assignee_id": task["assignee_id"], "policy": policy, "step": task["step_key"],
                    **self._about(conn, self.workflow(task["entity"]), run, step)})
        return counts

