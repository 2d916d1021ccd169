"""``match`` documents compiled into :class:`MatchRule` objects, each reference checked at publish."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.model import Entity
from sunmao.records.sqlrules import Clause, SqlRuleError, compile_where

STATUSES = ("applied", "proposed", "rejected")


@dataclass(frozen=True)
class Criterion:
    type: str
    source: tuple[str, ...]
    target: tuple[str, ...]
    score: int
    label: Text


@dataclass(frozen=True)
class MatchRule:
    key: str
    label: Text
    source: str
    source_open: str
    source_order: str
    target: str
    target_open: str
    target_where: Clause | None
    target_order: str
    #: (source field, target field) pairs that must be equal.
    same: tuple[tuple[str, str], ...]
    allocation: str
    alloc_source: str
    alloc_target: str
    alloc_amount: str
    alloc_status: str
    alloc_score: str | None
    alloc_reason: str | None
    criteria: tuple[Criterion, ...]
    auto_apply: int
    review: int
    max_proposals: int


_DEFAULT_LABELS = {
    "reference": Text("摘要含单号", "reference in the memo"),
    "amount": Text("金额相同", "same amount"),
    "party": Text("付款人相符", "payer is the customer"),
}


class _Checker:
    def __init__(self, snapshot: Any, file: str, problems: list[Problem]):
        self.snapshot, self.file, self.problems = snapshot, file, problems

    def entity(self, key: str, path: str) -> Entity | None:
        entity = self.snapshot.entities.get(key)
        if entity is None or entity.child:
            self.problems.append(Problem(self.file, path, f"there is no top-level entity {key!r}"))
            return None
        return entity

    def field(self, entity: Entity | None, key: str, path: str, *, numeric: bool = False) -> None:
        if entity is None or key in ("id", "name"):
            return
        f = entity.by_key.get(key)
        if f is None:
            self.problems.append(Problem(self.file, path, f"{entity.key} has no field {key!r}"))
        elif numeric and (f.result_type or f.type) not in ("decimal", "integer"):
            self.problems.append(Problem(self.file, path, f"{entity.key}.{key} is not a number"))

    def link(self, entity: Entity | None, key: str, to: str, path: str) -> None:
        if entity is None:
            return
        f = entity.by_key.get(key)
        if f is None or f.type != "link" or f.to != to:
            self.problems.append(Problem(self.file, path, f"{entity.key}.{key} is not a link to {to}"))

    def path(self, entity: Entity | None, path_text: str, path: str) -> None:
        if entity is None:
            return
        head, _, tail = path_text.partition(".")
        if not tail:
            self.field(entity, head, path)
            return
        f = entity.by_key.get(head)
        if f is None or f.type != "link":
            self.problems.append(Problem(self.file, path, f"{entity.key}.{head} is not a link"))
            return
        self.field(self.snapshot.entities.get(f.to), tail, path)


def compile_matches(snapshot: Any) -> tuple[str, Mapping[str, MatchRule], list[Problem]]:
    problems: list[Problem] = []
    rules: dict[str, MatchRule] = {}
    for file, doc in snapshot.documents("match"):
        check = _Checker(snapshot, file, problems)
        src, tgt, alloc = doc["source"], doc["target"], doc["allocation"]
        source = check.entity(src["entity"], "$.source.entity")
        target = check.entity(tgt["entity"], "$.target.entity")
        allocation = check.entity(alloc["entity"], "$.allocation.entity")
        check.field(source, src["open_amount"], "$.source.open_amount", numeric=True)
        check.field(target, tgt["open_amount"], "$.target.open_amount", numeric=True)
        for name, side in (("source", src), ("target", tgt)):
            if "order_by" in side:
                check.field(source if name == "source" else target, side["order_by"], f"$.{name}.order_by")
        same = tuple((e, e) if isinstance(e, str) else (e["source"], e["target"]) for e in doc.get("same", ()))
        for i, (src_key, tgt_key) in enumerate(same):
            check.field(source, src_key, f"$.same[{i}]")
            check.field(target, tgt_key, f"$.same[{i}]")
        check.link(allocation, alloc["source"], src["entity"], "$.allocation.source")
        check.link(allocation, alloc["target"], tgt["entity"], "$.allocation.target")
        check.field(allocation, alloc["amount"], "$.allocation.amount", numeric=True)
        for part in ("score", "reason"):
            if part in alloc:
                check.field(allocation, alloc[part], f"$.allocation.{part}")
        status = allocation.by_key.get(alloc["status"]) if allocation else None
        if allocation is not None and (status is None or not set(STATUSES) <= {o.value for o in status.options}):
            problems.append(Problem(file, "$.allocation.status",
                                    f"{allocation.key}.{alloc['status']} must be a select with the options "
                                    + ", ".join(STATUSES)))
        criteria = []
        for i, c in enumerate(doc["criteria"]):
            for j, p in enumerate(c["source"]):
                check.path(source, p, f"$.criteria[{i}].source[{j}]")
            for j, p in enumerate(c["target"]):
                check.path(target, p, f"$.criteria[{i}].target[{j}]")
            label = Text.of(c["label"]) if "label" in c else _DEFAULT_LABELS[c["type"]]
            criteria.append(Criterion(c["type"], tuple(c["source"]), tuple(c["target"]), c["score"], label))
        if doc["review"] > doc["auto_apply"]:
            problems.append(Problem(file, "$.review", "review must not be above auto_apply"))
        where = None
        if "where" in tgt and tgt["entity"] in snapshot.tables:
            try:
                where = compile_where(tgt["where"], snapshot.tables[tgt["entity"]], "$.target.where")
            except SqlRuleError as exc:
                problems.append(Problem(file, exc.path, str(exc)))
        if doc["key"] in rules:
            problems.append(Problem(file, "$.key", f"match key {doc['key']!r} is used twice"))
        rules[doc["key"]] = MatchRule(
            key=doc["key"], label=Text.of(doc["label"]),
            source=src["entity"], source_open=src["open_amount"], source_order=src.get("order_by", "id"),
            target=tgt["entity"], target_open=tgt["open_amount"], target_where=where,
            target_order=tgt.get("order_by", "id"), same=same,
            allocation=alloc["entity"], alloc_source=alloc["source"], alloc_target=alloc["target"],
            alloc_amount=alloc["amount"], alloc_status=alloc["status"], alloc_score=alloc.get("score"),
            alloc_reason=alloc.get("reason"), criteria=tuple(criteria), auto_apply=doc["auto_apply"],
            review=doc["review"], max_proposals=doc.get("max_proposals", 3))
    return "matches", MappingProxyType(rules), problems

