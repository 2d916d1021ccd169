"""What a draft would do to real records, before it is published — with no side effects.

The draft is compiled as a snapshot of its own and its rules are replayed over the last N
records of each entity it touches (the newest first, default 500), beside the published
version's rules over the same records: approval branches a record would enter or leave,
stored formulas whose values would move (a customer's grade from B to A), validation rules
that existing records would fail. Records are read in one read transaction that is rolled
back; nothing is written, no event is queued and no notice goes out — the rules are evaluated
as closures over the records the service returns, never through a write.

Only what the draft changes is replayed: a branch whose condition (with settings resolved) is
the same in both versions, or a formula that is unchanged, moves nothing and is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sunmao.i18n import Text
from sunmao.records import RecordService
from sunmao.records.compiled import coerce_result
from sunmao.rules import RuleError
from sunmao.rules.coerce import truthy
from sunmao.runtime import Runtime
from sunmao.snapshot import Snapshot

DEFAULT_SAMPLE = 500
MAX_SAMPLE = 5000
#: Records listed by name under each finding (the count is always the full one).
MAX_LISTED = 50


@dataclass
class Finding:
    kind: str  # "approval" | "computed" | "rule"
    entity: str
    key: str
    label: Text
    examined: int
    words: Text
    counts: dict[str, int] = field(default_factory=dict)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "entity": self.entity, "key": self.key, "label": self.label.as_dict(),
                "examined": self.examined, "words": self.words.as_dict(), "counts": dict(self.counts),
                "records": {k: v[:MAX_LISTED] for k, v in self.records.items()}}


def preview(runtime: Runtime, published: Snapshot, draft: Snapshot, sample: int = DEFAULT_SAMPLE) -> list[Finding]:
    """Every difference the draft makes on the last ``sample`` records of each entity it touches."""
    sample = max(1, min(int(sample), MAX_SAMPLE))
    findings: list[Finding] = []
    old_records, new_records = RecordService(runtime.db, published), RecordService(runtime.db, draft)
    with runtime.db.read() as conn:
        loaded: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}

        def records_of(entity: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
            """(stored record, the record as the published rules see it: links expanded), newest first."""
            if entity not in loaded:
                table = published.compiled[entity].table
                ids = conn.execute(sa.select(table.c.id).where(table.c.deleted_at.is_(None))
                                   .order_by(table.c.id.desc()).limit(sample)).scalars().all()
                rows = []
                for record_id in ids:
                    stored = old_records.fetch(conn, entity, record_id)
                    rows.append((stored, old_records.evaluation_data(entity, stored, conn)))
                loaded[entity] = rows
            return loaded[entity]

        stale = {key for key in draft.compiled if key in published.compiled and not draft.entities[key].child
                 and _signature(published, key) != _signature(draft, key)}
        computed: dict[tuple[str, int], dict[str, Any]] = {}

        def draft_values(entity: str, stored: Mapping[str, Any]) -> dict[str, Any]:
            """The draft's stored formulas of one record (as a publish would recompute them)."""
            key = (entity, stored["id"])
            if key not in computed:
                computed[key] = _recomputed(draft, new_records, entity, stored, conn)
            return computed[key]

        def draft_data(entity: str, stored: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
            """The record as the draft's rules would see it after the publish: its own and its
            linked records' formulas recomputed where the draft changes them."""
            out = dict(data)
            if entity in stale:
                out.update(draft_values(entity, stored))
            for f in published.entities[entity].fields:
                if f.type == "link" and f.to in stale and isinstance(out.get(f.key), Mapping):
                    out[f.key] = {**out[f.key], **draft_values(f.to, out[f.key])}
            return out

        findings += _approvals(published, draft, records_of, stale, draft_data)
        findings += _pinned_runs(published, draft, conn)
        findings += _computed(published, draft, records_of, stale, draft_values)
        findings += _rules(published, draft, records_of)
        conn.rollback()
    return findings


# -- helpers ------------------------------------------------------------------------------------

def _ref(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": record.get("id"), "name": record.get("name") or f"#{record.get('id')}"}


def _run(engine: Any, rule: Any, name: str, data: Any) -> Any:
    try:
        return engine.compile(rule, name=name)(data)
    except RuleError:
        return None


def _entity_words(snap: Snapshot, key: str) -> Text:
    return snap.entities[key].label if key in snap.entities else Text(key, key)


# -- approval branches --------------------------------------------------------------------------

def _approvals(published: Snapshot, draft: Snapshot, records_of: Any, stale: set[str], draft_data: Any
               ) -> list[Finding]:
    """Branches whose condition changed, or whose record (or a linked record) gets new stored
    values from the draft's formulas: a new weight can make a customer an A and its orders skip
    a review whose condition did not change."""
    findings = []
    old_flows = published.features.get("workflows") or {}
    for entity, wf in (draft.features.get("workflows") or {}).items():
        old_wf = old_flows.get(entity)
        if old_wf is None or entity not in published.compiled:
            continue
        reads_stale = entity in stale or any(f.type == "link" and f.to in stale
                                             for f in published.entities[entity].fields)
        for approval_key, approval in wf.approvals.items():
            old_branches = {b["key"]: b for b in (old_wf.approvals.get(approval_key) or {}).get("branches", ())}
            for branch in approval.get("branches", ()):
                old = old_branches.get(branch["key"])
                if old is not None and old.get("when") == branch.get("when") and not reads_stale:
                    continue
                finding = _branch_finding(published, draft, entity, approval_key, branch, old,
                                          records_of(entity), draft_data)
                if old is None or old.get("when") != branch.get("when") or finding.counts["left"] \
                        or finding.counts["joined"]:
                    findings.append(finding)
    return findings


def _pinned_runs(published: Snapshot, draft: Snapshot, conn: sa.Connection) -> list[Finding]:
    """A changed approval definition: the approvals running now stay on the version they started on."""
    from sunmao.workflow.tables import run as run_table

    findings = []
    old_flows = published.features.get("workflows") or {}
    for entity, wf in (draft.features.get("workflows") or {}).items():
        old_wf = old_flows.get(entity)
        if old_wf is None:
            continue
        for approval_key, approval in wf.approvals.items():
            if old_wf.approvals.get(approval_key) == approval:
                continue
            rows = conn.execute(sa.select(run_table.c.record_id).where(
                run_table.c.entity == entity, run_table.c.approval == approval_key,
                run_table.c.status == "running").order_by(run_table.c.id.desc())).scalars().all()
            if not rows:
                continue
            names = _names(published, entity, rows[:MAX_LISTED], conn)
            label = Text.of(approval.get("label") or {"zh": approval_key, "en": approval_key})
            findings.append(Finding(
                "runs", entity, approval_key, label, len(rows),
                Text(f"“{label.zh}”正在进行的 {len(rows)} 个审批仍按原版本走完",
                     f"{len(rows)} running {label.en} approvals stay on the version they started on"),
                {"running": len(rows)}, {"running": names}))
    return findings


def _names(snap: Snapshot, entity: str, ids: list[int], conn: sa.Connection) -> list[dict[str, Any]]:
    table = snap.compiled[entity].table
    if "name" not in table.c:
        return [{"id": i, "name": f"#{i}"} for i in ids]
    found = {r.id: r.name for r in conn.execute(sa.select(table.c.id, table.c.name).where(table.c.id.in_(ids)))}
    return [{"id": i, "name": found.get(i) or f"#{i}"} for i in ids]


def _applies(snap: Snapshot, branch: Mapping[str, Any] | None, name: str, data: Any) -> bool:
    if branch is None:
        return False
    when = branch.get("when")
    return when is None or truthy(_run(snap.rules, when, name, data))


def _branch_finding(published: Snapshot, draft: Snapshot, entity: str, approval: str, branch: Mapping[str, Any],
                    old: Mapping[str, Any] | None, rows: list[tuple[dict[str, Any], dict[str, Any]]],
                    draft_data: Any) -> Finding:
    name = f"{approval}.{branch['key']}.when"
    before, after, left, joined = 0, 0, [], []
    for stored, data in rows:
        was = _applies(published, old, name, data)
        now = _applies(draft, branch, name, draft_data(entity, stored, data))
        before += was
        after += now
        if was and not now:
            left.append(_ref(stored))
        elif now and not was:
            joined.append(_ref(stored))
    label = Text.of(branch.get("label") or {"zh": branch["key"], "en": branch["key"]})
    what = _entity_words(draft, entity)
    n = len(rows)
    zh = (f"最近 {n} 条{what.zh}中，{len(left)} 条将不再进入“{label.zh}”，{len(joined)} 条将新进入"
          f"（之前 {before} 条，之后 {after} 条）")
    en = (f"of the last {n} {what.en.lower()} records, {len(left)} would skip {label.en} and {len(joined)} "
          f"would newly go to it ({before} before, {after} after)")
    return Finding("approval", entity, f"{approval}.{branch['key']}", label, n, Text(zh, en),
                   {"before": before, "after": after, "left": len(left), "joined": len(joined)},
                   {"left": left, "joined": joined})


# -- stored formulas ------------------------------------------------------------------------------

def _signature(snap: Snapshot, entity: str) -> list[Any]:
    return [(f.key, f.formula, f.result_type, f.scale) for f in snap.entities[entity].fields if f.type == "computed"]


def _recomputed(draft: Snapshot, records: RecordService, entity: str, stored: Mapping[str, Any],
                conn: sa.Connection) -> dict[str, Any]:
    """The draft's computed fields of a stored record, in order, each seeing the ones before it."""
    data = dict(records.evaluation_data(entity, dict(stored), conn))
    out: dict[str, Any] = {}
    for f, fn in draft.compiled[entity].computed:
        try:
            value = coerce_result(f, fn(data))
        except (RuleError, ValueError, ArithmeticError):
            value = None
        data[f.key] = out[f.key] = value
    return out


def _computed(published: Snapshot, draft: Snapshot, records_of: Any, stale: set[str], draft_values: Any
              ) -> list[Finding]:
    findings = []
    for entity in sorted(stale):
        ce = draft.compiled[entity]
        old_fields = {f.key: f for f in published.entities[entity].fields if f.type == "computed"}
        moved: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {}
        rows = records_of(entity)
        for stored, _old_data in rows:
            values = draft_values(entity, stored)
            for key, value in values.items():
                if key in old_fields and value != stored.get(key):
                    moved.setdefault(key, []).append((stored.get(key), value, _ref(stored)))
        for f, _fn in ce.computed:
            old_field = old_fields.get(f.key)
            changes = moved.get(f.key, [])
            if old_field is None or (not changes and old_field.formula == f.formula):
                continue
            findings.append(_formula_finding(draft, entity, f, changes, len(rows)))
    return findings


def _formula_finding(draft: Snapshot, entity: str, f: Any, changes: list[tuple[Any, Any, dict[str, Any]]],
                     n: int) -> Finding:
    what = _entity_words(draft, entity)
    counts: dict[str, int] = {"changed": len(changes)}
    records: dict[str, list[dict[str, Any]]] = {"changed": [{**r, "from": _plain(a), "to": _plain(b)}
                                                            for a, b, r in changes]}
    if f.options:  # a grade: say who moves where
        moves: dict[str, list[dict[str, Any]]] = {}
        for a, b, r in changes:
            moves.setdefault(f"{a} → {b}", []).append(r)
        for k, v in sorted(moves.items()):
            counts[k] = len(v)
            records[k] = v
        zh_moves = "；".join(f"{k}：{len(v)} 条" for k, v in sorted(moves.items())) or "没有变化"
        en_moves = "; ".join(f"{len(v)} from {k.replace(' → ', ' to ')}" for k, v in sorted(moves.items())) \
            or "none move"
        zh = f"最近 {n} 条{what.zh}的“{f.label.zh}”：{zh_moves}"
        en = f"{f.label.en} of the last {n} {what.en.lower()} records: {en_moves}"
    else:
        zh = f"最近 {n} 条{what.zh}中，{len(changes)} 条的“{f.label.zh}”会改变"
        en = f"of the last {n} {what.en.lower()} records, {len(changes)} would get a new {f.label.en}"
    return Finding("computed", entity, f.key, f.label, n, Text(zh, en), counts, records)


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


# -- validation rules -------------------------------------------------------------------------------

def _rules(published: Snapshot, draft: Snapshot, records_of: Any) -> list[Finding]:
    findings = []
    for entity, ce in draft.compiled.items():
        if ce.entity.child or entity not in published.compiled:
            continue
        old_rules = {r.get("id"): r for r in _rule_docs(published, entity)}
        for rule_doc in _rule_docs(draft, entity):
            if old_rules.get(rule_doc.get("id")) == rule_doc:
                continue
            check = next((c for c in ce.checks if c.rule_id == rule_doc.get("id")), None)
            if check is None:
                continue
            failing = []
            rows = records_of(entity)
            for stored, data in rows:
                if check.field_key is not None and stored.get(check.field_key) in (None, "", []):
                    continue
                try:
                    ok = truthy(check.fn(data))
                except RuleError:
                    ok = False
                if not ok:
                    failing.append(_ref(stored))
            what = _entity_words(draft, entity)
            n = len(rows)
            label = check.message
            findings.append(Finding(
                "rule", entity, str(rule_doc.get("id")), label, n,
                Text(f"最近 {n} 条{what.zh}中，{len(failing)} 条不符合规则“{label.zh}”",
                     f"of the last {n} {what.en.lower()} records, {len(failing)} would fail the rule "
                     f"“{label.en}”"),
                {"failing": len(failing)}, {"failing": failing}))
    return findings


def _rule_docs(snap: Snapshot, entity: str) -> list[dict[str, Any]]:
    for _where, doc in snap.documents("entity"):
        if doc.get("key") == entity:
            found = list(doc.get("rules") or ())
            for f in doc.get("fields") or ():
                found += [{**r, "field": f.get("key")} for r in f.get("validate") or ()]
            return found
    return []
