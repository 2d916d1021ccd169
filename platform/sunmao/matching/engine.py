"""Run a match rule: score candidates, apply the sure ones, propose the uncertain ones.

Reads are plain SQL over the snapshot's tables; every write is an allocation record created
or changed through the record service (as the system), one transaction per source record,
so the roll-ups over allocations and everything downstream of them move in that transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sunmao.clock import today
from sunmao.matching.model import Criterion, MatchRule
from sunmao.records import SYSTEM, RecordService
from sunmao.storage import Database

CENT = Decimal("0.01")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
#: Legal suffixes a payer's name may carry or drop ("宁波精工" pays for 宁波精工实业有限公司).
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "COLTD", "LTD", "INC", "CO")
#: The shortest normalised text that may count as contained in another (no "SO1" in a memo).
MIN_CONTAINED = 4


def normalise(value: Any) -> str:
    """Upper case, full-width made half-width, spaces and punctuation dropped."""
    if value is None:
        return ""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", str(value))).upper()


def _party_core(value: Any) -> str:
    text = normalise(value)
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def _contains(haystack: str, needle: str) -> bool:
    return len(needle) >= MIN_CONTAINED and needle in haystack


def _money(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value)).quantize(CENT)


def criterion_holds(c: Criterion, source: Mapping[str, Any], target: Mapping[str, Any]) -> bool:
    sources = [source.get(p) for p in c.source]
    targets = [target.get(p) for p in c.target]
    if c.type == "reference":
        return any(_contains(normalise(s), normalise(t)) for s in sources for t in targets)
    if c.type == "amount":
        wanted = {m for m in map(_money, targets) if m is not None and m > 0}
        return any(_money(s) in wanted for s in sources)
    # party: the same name, or one the shorter form of the other
    for s in map(_party_core, sources):
        for t in map(_party_core, targets):
            if s and t and (s == t or _contains(s, t) or _contains(t, s)):
                return True
    return False


@dataclass
class Candidate:
    row: Mapping[str, Any]
    score: int
    hits: tuple[Criterion, ...]

    def reason(self) -> str:
        zh = "、".join(c.label.zh for c in self.hits)
        en = ", ".join(c.label.en for c in self.hits)
        return f"{zh}（{en}）"


def score(rule: MatchRule, source: Mapping[str, Any], target: Mapping[str, Any]) -> Candidate:
    hits = tuple(c for c in rule.criteria if criterion_holds(c, source, target))
    return Candidate(target, min(100, sum(c.score for c in hits)), hits)


@dataclass
class Outcome:
    """What one run did, for the job's log and the tests."""

    applied: list[int] = field(default_factory=list)
    proposed: list[int] = field(default_factory=list)
    withdrawn: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"applied": len(self.applied), "proposed": len(self.proposed), "withdrawn": len(self.withdrawn)}


class Matcher:
    """One snapshot's match rules over one database."""

    def __init__(self, db: Database, snapshot: Any, records: RecordService):
        self.db, self.snapshot, self.records = db, snapshot, records
        self.rules: Mapping[str, MatchRule] = snapshot.features.get("matches", {})

    def run(self, key: str | None = None, ids: Sequence[int] | None = None) -> Outcome:
        """Match the open source records (or only ``ids``) of rule ``key`` (or of every rule)."""
        outcome = Outcome()
        for rule in [self.rules[key]] if key else list(self.rules.values()):
            for source_id in self._sources(rule, ids):
                with self.db.write() as conn:
                    self._match_one(conn, rule, source_id, outcome)
        return outcome

    # -- reading ---------------------------------------------------------------------------

    def _table(self, entity: str) -> sa.Table:
        return self.snapshot.tables[entity]

    def _sources(self, rule: MatchRule, ids: Sequence[int] | None) -> list[int]:
        table, alloc = self._table(rule.source), self._table(rule.allocation)
        pending = sa.select(alloc.c[rule.alloc_source]).where(
            alloc.c.deleted_at.is_(None), alloc.c[rule.alloc_status] == "proposed")
        query = sa.select(table.c.id).where(
            table.c.deleted_at.is_(None),
            sa.or_(table.c[rule.source_open] > 0, table.c.id.in_(pending)))
        if ids is not None:
            query = query.where(table.c.id.in_([int(i) for i in ids]))
        with self.db.read() as conn:
            return list(conn.execute(query.order_by(table.c[rule.source_order], table.c.id)).scalars())

    def _rows(self, conn: sa.Connection, entity: str, paths: Iterable[str], *conditions: Any
              ) -> list[dict[str, Any]]:
        """Rows of ``entity`` with their own fields and the ``link.field`` values ``paths`` name."""
        table = self._table(entity)
        paths = set(paths)
        own = {"id", "name"} | {p.partition(".")[0] for p in paths}
        rows = [dict(r) for r in conn.execute(
            sa.select(*(table.c[k] for k in sorted(own))).where(table.c.deleted_at.is_(None), *conditions)
        ).mappings()]
        links: dict[str, set[str]] = {}
        for p in paths:
            head, _, tail = p.partition(".")
            if tail:
                links.setdefault(head, set()).add(tail)
        for head, tails in links.items():
            linked = self._table(self.snapshot.entities[entity].by_key[head].to)
            wanted = {r[head] for r in rows if r[head] is not None}
            found = {r["id"]: r for r in conn.execute(
                sa.select(linked.c.id, *(linked.c[t] for t in sorted(tails))).where(linked.c.id.in_(wanted))
            ).mappings()} if wanted else {}
            for r in rows:
                other = found.get(r[head], {})
                for t in tails:
                    r[f"{head}.{t}"] = other.get(t)
        return rows

    # -- one source record -------------------------------------------------------------------

    def _match_one(self, conn: sa.Connection, rule: MatchRule, source_id: int, outcome: Outcome) -> None:
        src_paths = {rule.source_open, *(s for s, _t in rule.same), *(p for c in rule.criteria for p in c.source)}
        found = self._rows(conn, rule.source, src_paths, self._table(rule.source).c.id == source_id)
        if not found:
            return
        source = found[0]
        remaining = _money(source[rule.source_open]) or Decimal(0)
        alloc = self._table(rule.allocation)
        existing = {r[rule.alloc_target]: r for r in conn.execute(
            sa.select(alloc.c.id, alloc.c[rule.alloc_target], alloc.c[rule.alloc_status]).where(
                alloc.c.deleted_at.is_(None), alloc.c[rule.alloc_source] == source_id)).mappings()}
        tgt_table = self._table(rule.target)
        conditions = [tgt_table.c[rule.target_open] > 0]
        conditions += [tgt_table.c[t] == source[s] for s, t in rule.same]
        if rule.target_where is not None:
            conditions.append(rule.target_where(today()))
        tgt_paths = {rule.target_open, rule.target_order, *(p for c in rule.criteria for p in c.target)}
        targets = self._rows(conn, rule.target, tgt_paths, *conditions)
        open_ids = {t["id"] for t in targets}
        # proposals made moot: the receipt is fully matched, or the order needs no more money
        for target_id, row in existing.items():
            if row[rule.alloc_status] == "proposed" and (remaining <= 0 or target_id not in open_ids):
                self._write_status(conn, rule, row["id"], "rejected")
                outcome.withdrawn.append(row["id"])
        if remaining <= 0:
            return
        candidates = [c for t in targets if t["id"] not in existing
                      for c in [score(rule, source, t)] if c.score >= rule.review]
        candidates.sort(key=lambda c: (-c.score, c.row[rule.target_order] or 0, c.row["id"]))
        sure = [c for c in candidates if c.score >= rule.auto_apply]
        named = all(any(h.type == "reference" for h in c.hits) for c in sure)
        if sure and (len(sure) == 1 or named):
            sure.sort(key=lambda c: (c.row[rule.target_order] or 0, c.row["id"]))
            for c in sure:
                if remaining <= 0:
                    break
                amount = min(remaining, _money(c.row[rule.target_open]) or Decimal(0))
                outcome.applied.append(self._create(conn, rule, source_id, c, amount, "applied"))
                remaining -= amount
            return
        for c in candidates[: rule.max_proposals]:
            amount = min(remaining, _money(c.row[rule.target_open]) or Decimal(0))
            outcome.proposed.append(self._create(conn, rule, source_id, c, amount, "proposed"))

    def _create(self, conn: sa.Connection, rule: MatchRule, source_id: int, c: Candidate, amount: Decimal,
                status: str) -> int:
        payload: dict[str, Any] = {rule.alloc_source: source_id, rule.alloc_target: c.row["id"],
                                   rule.alloc_amount: str(amount), rule.alloc_status: status}
        if rule.alloc_score:
            payload[rule.alloc_score] = c.score
        if rule.alloc_reason:
            payload[rule.alloc_reason] = c.reason()
        created = self.records.create(rule.allocation, payload, actor=SYSTEM, skip_read_only=True, conn=conn)
        return int(created["id"])

    def _write_status(self, conn: sa.Connection, rule: MatchRule, allocation_id: int, status: str) -> None:
        self.records.update(rule.allocation, allocation_id, {rule.alloc_status: status}, actor=SYSTEM,
                            skip_read_only=True, conn=conn)
