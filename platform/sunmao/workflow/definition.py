"""Workflow documents compiled into the snapshot: states, guarded transitions, approvals.

The compiled ``Workflow`` is what the record service consults on every state change (it
implements the small protocol ``begin(...) -> step``, so the record service needs no import
of this package), and what the approval engine runs. Compiled once per published version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from sunmao.errors import Conflict, Forbidden, NotFound, TransitionRefused
from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.model import ADMIN_ROLE
from sunmao.records.compiled import coerce_result, rule_vars
from sunmao.records.values import json_value
from sunmao.rules import Engine, RuleError
from sunmao.rules.coerce import truthy
from sunmao.snapshot import rule_compiler, rule_fields
from sunmao.workflow.calendar import Calendar
from sunmao.workflow.generate import Generator, compile_generators

Evaluator = Callable[[Any], Any]


@dataclass(frozen=True)
class State:
    key: str
    label: Text
    category: str
    color: str | None = None


@dataclass(frozen=True)
class Guard:
    id: str
    fn: Evaluator
    message: Text
    reads: tuple[str, ...]


@dataclass(frozen=True)
class Transition:
    key: str
    sources: frozenset[str]
    to: str | None  # None: the action sets fields, the state stays
    label: Text
    roles: frozenset[str]
    system: bool
    guards: tuple[Guard, ...]
    fields_required: tuple[str, ...]
    comment_required: bool
    set_values: tuple[tuple[str, str, Any], ...]  # (field, "literal"|"formula"|"now", value)
    emit: str | None
    approval: str | None
    #: (entity, {field: (kind, value or closure)}) records the action creates.
    creates: tuple[tuple[str, tuple[tuple[str, str, Any], ...]], ...] = ()
    notify: Mapping[str, Any] | None = None
    #: records generated from a linked structure (``workflow.generate``).
    generates: tuple[Generator, ...] = ()
    #: (link field, action): the action then taken on the record that link points at.
    then: tuple[str, str] | None = None

    def allowed_for(self, roles: frozenset[str] | set[str], system: bool) -> bool:
        if system:
            return True
        if self.system:
            return False
        return ADMIN_ROLE in roles or bool(self.roles & set(roles))


@dataclass
class TransitionStep:
    """One action being taken inside a record-service write (see ``RecordService.update``)."""

    workflow: Workflow
    transition: Transition
    source: str
    comment: str | None
    failed: list[tuple[Guard, Text]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        return f"{self.workflow.entity}.transition.{self.transition.key}"

    def check(self, data: Mapping[str, Any], errors: Any) -> None:
        t = self.transition
        for key in t.fields_required:
            if data.get(key) in (None, "", []):
                errors.add(key, Text(f"执行“{t.label.zh}”前必须填写此字段", f"required before “{t.label.en}”"))
        if t.comment_required and not (self.comment or "").strip():
            errors.add("comment", Text(f"执行“{t.label.zh}”需要填写意见", f"“{t.label.en}” needs a comment"))
        for guard in t.guards:
            for path in guard.reads:
                self.inputs[path] = json_value(_lookup(data, path))
            try:
                ok = truthy(guard.fn(data))
            except RuleError as exc:
                self.failed.append((guard, Text(f"条件 {guard.id} 无法计算：{exc.message_zh}",
                                                f"condition {guard.id} could not be evaluated: {exc.message_en}")))
                continue
            if not ok:
                self.failed.append((guard, guard.message))

    def apply(self, merged: dict[str, Any]) -> None:
        """The action's own effects: its field values, then the new state."""
        t = self.transition
        for key, kind, value in t.set_values:
            if kind == "now":
                merged[key] = datetime.now(UTC)
            elif kind == "formula":
                merged[key] = value(merged)
            else:
                merged[key] = value
        if t.to is not None:
            merged[self.workflow.state_field] = t.to

    def raise_if_refused(self, errors: Any) -> None:
        if self.failed:
            t = self.transition
            raise TransitionRefused(
                Text(f"不能执行“{t.label.zh}”：" + "；".join(m.zh for _, m in self.failed),
                     f"cannot take “{t.label.en}”: " + "; ".join(m.en for _, m in self.failed)),
                errors={g.id: [m] for g, m in self.failed}, inputs=self.inputs)

    def journal(self) -> dict[str, Any]:
        t = self.transition
        return {"action": t.key, "label": t.label.as_dict(), "from": self.source, "to": t.to or self.source,
                "comment": self.comment, "inputs": self.inputs}


@dataclass(frozen=True)
class Lock:
    """Fields frozen while the record is in ``states``; ``message`` says how to re-open them."""

    id: str
    fields: frozenset[str]
    states: frozenset[str]
    message: Text


@dataclass(frozen=True)
class Workflow:
    key: str
    entity: str
    label: Text
    state_field: str
    initial: str
    states: Mapping[str, State]
    transitions: Mapping[str, Transition]
    approvals: Mapping[str, dict[str, Any]]
    calendar: Calendar
    locks: tuple[Lock, ...] = ()

    def refused_edits(self, state: str | None, changed: set[str]) -> dict[str, Text]:
        """The changed fields that a lock of ``state`` freezes, each with the lock's message."""
        return {key: lock.message for lock in self.locks if state in lock.states
                for key in sorted(lock.fields & changed)}

    def begin(self, action: str, current: Mapping[str, Any], merged: dict[str, Any], actor: Any,
              comment: str | None) -> TransitionStep:
        """Check that ``actor`` may take ``action`` from the record's current state."""
        t = self.transitions.get(action)
        if t is None:
            raise NotFound(Text(f"没有名为 {action} 的操作", f"there is no action named {action!r}"))
        if not t.allowed_for(set(actor.roles), actor.system):
            who = "、".join(sorted(t.roles)) or "系统"
            raise Forbidden(Text(f"只有 {who} 可以执行“{t.label.zh}”",
                                 f"only {', '.join(sorted(t.roles)) or 'the system'} may take “{t.label.en}”"))
        source = current.get(self.state_field)
        if source not in t.sources:
            state = self.states.get(source or "")
            label = state.label if state else Text(str(source), str(source))
            raise Conflict(Text(f"当前状态“{label.zh}”下不能执行“{t.label.zh}”",
                                f"“{t.label.en}” is not possible in state “{label.en}”"), state=source)
        return TransitionStep(self, t, source, comment)

    def editable_with(self, action: str) -> frozenset[str]:
        """Fields a role without general update rights may send along with the action."""
        t = self.transitions.get(action)
        return frozenset(t.fields_required) if t else frozenset()

    def actions_from(self, state: str | None, actor: Any) -> list[Transition]:
        return [t for t in self.transitions.values()
                if state in t.sources and t.allowed_for(set(actor.roles), actor.system) and not t.system]


def _creates(t: Mapping[str, Any], base: str, snapshot: Any, rule: Callable[[Any, str, str], Any],
             bad: Callable[[str, str], None]) -> list[tuple[str, tuple[tuple[str, str, Any], ...]]]:
    out = []
    for i, spec in enumerate(t.get("create", ())):
        target = snapshot.entities.get(spec["entity"])
        if target is None or target.child:
            bad(f"{base}.create[{i}].entity", f"{spec['entity']!r} is not an entity with records")
            continue
        values = []
        for key, value in spec["values"].items():
            if key not in target.by_key:
                bad(f"{base}.create[{i}].values.{key}", f"{key!r} is not a field of {target.key}")
            elif isinstance(value, dict) and "formula" in value:
                values.append((key, "formula", rule(value["formula"], f"{t['key']}.create.{key}",
                                                    f"{base}.create[{i}].values.{key}.formula")))
            else:
                values.append((key, "literal", value))
        out.append((target.key, tuple(values)))
    return out


def _then(t: Mapping[str, Any], base: str, entity: Any, bad: Callable[[str, str], None]) -> tuple[str, str] | None:
    spec = t.get("then")
    if spec is None:
        return None
    link = entity.by_key.get(spec["link"])
    if link is None or link.type != "link":
        bad(f"{base}.then.link", f"{spec['link']!r} is not a link field of {entity.key}")
        return None
    return spec["link"], spec["action"]


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        else:
            return None
    return value



def compile_workflows(snapshot: Any) -> tuple[str, Mapping[str, Workflow], list[Problem]]:
    """Feature compiler: every workflow document, checked against its entity."""
    problems: list[Problem] = []
    calendars = {doc["key"]: Calendar.from_document(doc) for _f, doc in snapshot.documents("calendar")}
    workflows: dict[str, Workflow] = {}
    files: dict[str, str] = {}
    for file, doc in snapshot.documents("workflow"):
        built = _compile_one(file, doc, snapshot, snapshot.rules, calendars, problems)
        if built is None:
            continue
        if built.entity in workflows:
            problems.append(Problem(file, "$.entity", f"entity {built.entity!r} already has workflow "
                                    f"{workflows[built.entity].key!r}; one workflow per entity"))
            continue
        workflows[built.entity] = built
        files[built.entity] = file
    for wf in workflows.values():  # an action taken on a linked record must exist there
        for t in wf.transitions.values():
            if t.then is None:
                continue
            target = snapshot.entities[wf.entity].by_key[t.then[0]].to
            other = workflows.get(target)
            if other is None or t.then[1] not in other.transitions:
                problems.append(Problem(files[wf.entity], f"$.transitions.{t.key}.then.action",
                                        f"{t.then[1]!r} is not an action of the workflow of {target}"))
    return "workflows", MappingProxyType(workflows), problems


def _compile_one(file: str, doc: dict[str, Any], snapshot: Any, engine: Engine, calendars: Mapping[str, Calendar],
                 problems: list[Problem]) -> Workflow | None:
    def bad(path: str, message: str) -> None:
        problems.append(Problem(file, path, message))

    entity = snapshot.entities.get(doc["entity"])
    if entity is None or entity.child:
        bad("$.entity", f"{doc['entity']!r} is not an entity with records of its own")
        return None
    states = {s["key"]: State(s["key"], Text.of(s["label"]), s["category"], s.get("color")) for s in doc["states"]}
    state_field = entity.by_key.get(doc["state_field"])
    if state_field is None or state_field.type != "select":
        bad("$.state_field", f"{doc['state_field']!r} must be a select field of {entity.key}")
    else:
        missing = [k for k in states if k not in state_field.option_values]
        if missing:
            bad("$.state_field", f"add the states {', '.join(missing)} to the options of {state_field.key}")
    if doc["initial"] not in states:
        bad("$.initial", f"{doc['initial']!r} is not a state; use one of {', '.join(states)}")

    rule = rule_compiler(engine, rule_fields(entity, snapshot.entities), file, problems)

    transitions: dict[str, Transition] = {}
    approvals = {a["key"]: a for a in doc.get("approvals", ())}
    for i, t in enumerate(doc["transitions"]):
        base = f"$.transitions[{i}]"
        for j, source in enumerate(t["from"]):
            if source not in states:
                bad(f"{base}.from[{j}]", f"{source!r} is not a state")
        if t.get("to") is not None and t["to"] not in states:
            bad(f"{base}.to", f"{t['to']!r} is not a state")
        for j, key in enumerate(t.get("fields_required", ())):
            if key not in entity.by_key:
                bad(f"{base}.fields_required[{j}]", f"{key!r} is not a field of {entity.key}")
        set_values = []
        for key, value in t.get("set", {}).items():
            target = entity.by_key.get(key)
            if target is None or target.type in ("table", "computed"):
                bad(f"{base}.set.{key}", f"{key!r} is not a writable field of {entity.key}")
                continue
            if isinstance(value, dict) and value.get("now") is True:
                set_values.append((key, "now", None))
            elif isinstance(value, dict) and "formula" in value:
                fn = rule(value["formula"], f"{doc['key']}.{t['key']}.set.{key}", f"{base}.set.{key}.formula")
                set_values.append((key, "formula", lambda data, fn=fn, target=target: coerce_result(target, fn(data))))
            else:
                set_values.append((key, "literal", value))
        if t.get("approval") and t["approval"] not in approvals:
            bad(f"{base}.approval", f"{t['approval']!r} is not an approval of this workflow")
        guards = tuple(
            Guard(g["id"], rule(g["check"], g["id"], f"{base}.guards[{j}].check"), Text.of(g["message"]),
                  tuple(sorted(rule_vars(g["check"]))))
            for j, g in enumerate(t.get("guards", ())))
        transitions[t["key"]] = Transition(
            key=t["key"], sources=frozenset(t["from"]), to=t.get("to"), label=Text.of(t["label"]),
            roles=frozenset(t.get("roles", ())), system=t.get("system", False), guards=guards,
            fields_required=tuple(t.get("fields_required", ())), comment_required=t.get("comment_required", False),
            set_values=tuple(set_values), emit=t.get("emit"), approval=t.get("approval"),
            creates=tuple(_creates(t, base, snapshot, rule, bad)), notify=t.get("notify"),
            generates=compile_generators(t.get("generate", ()), entity, snapshot, base, rule, bad),
            then=_then(t, base, entity, bad))
    for i, a in enumerate(doc.get("approvals", ())):
        for name in ("on_start", "on_approved", "on_rejected"):
            if a.get(name) and a[name] not in transitions:
                bad(f"$.approvals[{i}].{name}", f"{a[name]!r} is not a transition of this workflow")
        for j, branch in enumerate(a["branches"]):
            if "when" in branch:
                rule(branch["when"], f"{a['key']}.{branch['key']}.when", f"$.approvals[{i}].branches[{j}].when")
            for k, step in enumerate(branch["steps"]):
                p = f"$.approvals[{i}].branches[{j}].steps[{k}]"
                if step.get("mode") == "ratio" and "ratio" not in step:
                    bad(p, "a ratio step needs a ratio between 0 and 1")
                who = step["approvers"]
                if "user_field" in who and who["user_field"] not in entity.by_key:
                    bad(f"{p}.approvers.user_field", f"{who['user_field']!r} is not a field of {entity.key}")
                if "rule" in who:
                    rule(who["rule"], f"{a['key']}.{step['key']}.approvers", f"{p}.approvers.rule")
        if "priority" in a:
            rule(a["priority"], f"{a['key']}.priority", f"$.approvals[{i}].priority")
    locks = []
    for i, lock in enumerate(doc.get("locks", ())):
        for j, key in enumerate(lock["fields"]):
            if key not in entity.by_key:
                bad(f"$.locks[{i}].fields[{j}]", f"{key!r} is not a field of {entity.key}")
        for j, key in enumerate(lock["states"]):
            if key not in states:
                bad(f"$.locks[{i}].states[{j}]", f"{key!r} is not a state")
        locks.append(Lock(lock["id"], frozenset(lock["fields"]), frozenset(lock["states"]), Text.of(lock["message"])))
    calendar_key = doc.get("calendar")
    if calendar_key and calendar_key not in calendars:
        bad("$.calendar", f"calendar {calendar_key!r} is not defined; add a calendar document")
    return Workflow(
        key=doc["key"], entity=entity.key, label=Text.of(doc["label"]), state_field=doc["state_field"],
        initial=doc["initial"], states=MappingProxyType(states), transitions=MappingProxyType(transitions),
        approvals=MappingProxyType(approvals),
        calendar=calendars.get(calendar_key or "", Calendar()), locks=tuple(locks),
    )
