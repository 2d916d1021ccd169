"""Finding the record a link cell means: a customer by name or phone, a product by SKU or name.

The keys are those of the inbound channels (``hooks.inbound.clean.match_key`` and
``customers.find_matches``): phone numbers and company names normalised the same way, so
a customer found by the web shop is found by the workbook too. Per link, in order of its
match rules:

* a certain key that finds exactly one record (in the database, or created earlier in this
  import for another row) links to it;
* only uncertain keys matched, or a key matched several records: the link's ``if_missing``
  is ``create`` and it names a status field — a new record is made and flagged for review
  with the suspect named, as a channel does; otherwise the row is refused naming the records
  it could be;
* nothing found: ``create`` makes the record from the row's values (``customer.phone``,
  ``customer.company_name``...), ``refuse`` refuses the row.

Look-ups are remembered per distinct value, so 3,000 rows of 200 customers cost 200 look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sunmao.hooks.inbound.clean import match_key
from sunmao.hooks.inbound.customers import find_matches
from sunmao.hooks.inbound.model import MatchRule
from sunmao.i18n import Text
from sunmao.imports.template import LinkRule
from sunmao.meta.model import Entity
from sunmao.snapshot import Snapshot


@dataclass
class NewRecord:
    """A linked record this import creates (once, however many rows name it)."""

    entity: str
    values: dict[str, Any]
    keys: dict[tuple[str, str], str]
    rows: list[int] = field(default_factory=list)  # the spreadsheet rows that asked for it
    id: int | None = None
    failed: bool = False


@dataclass(frozen=True)
class Found:
    """The answer for one link cell: an id, a record to create, or a problem (and maybe a note)."""

    id: int | None = None
    new: NewRecord | None = None
    problem: Text | None = None
    note: Text | None = None


class Resolver:
    """Resolves the link values of one import inside its transaction."""

    def __init__(self, snapshot: Snapshot, conn: sa.Connection, rules: dict[str, LinkRule],
                 targets: dict[str, Entity]):
        self.snapshot = snapshot
        self.conn = conn
        self.rules = rules
        self.targets = targets  # link path → linked entity
        self.new: list[NewRecord] = []
        self._memo: dict[tuple[str, tuple[tuple[str, Any], ...], Any], Found] = {}
        self.rows: dict[tuple[str, int], dict[str, Any]] = {}  # whole rows read by indexed keys

    def resolve(self, path: str, values: dict[str, Any], direct: Any, row: int) -> Found:
        memo_key = (path, tuple(sorted(values.items())), direct)
        found = self._memo.get(memo_key)
        if found is None:
            found = self._memo[memo_key] = self._decide(path, values, direct)
        if found.new is not None:
            found.new.rows.append(row)
        return found

    def _keys(self, path: str, values: dict[str, Any], direct: Any) -> list[tuple[MatchRule, str]]:
        out = []
        for rule in self.rules[path].match:
            value = values.get(rule.field, direct if direct not in (None, "") else None)
            key = match_key(rule.kind, value)
            if key is not None:
                out.append((rule, key))
        return out

    def _decide(self, path: str, values: dict[str, Any], direct: Any) -> Found:
        rule_set = self.rules[path]
        entity = self.targets[path]
        table = self.snapshot.tables[entity.key]
        keys = self._keys(path, values, direct)
        suspects: list[int] = []
        pending_suspect: NewRecord | None = None
        for rule, key in keys:
            rows: dict[int, dict[str, Any]] = {}
            ids = find_matches(self.conn, self.snapshot, table, rule, key, rows)
            for i, row in rows.items():
                self.rows[(entity.key, i)] = row
            pending = [n for n in self.new if n.entity == entity.key and n.keys.get((rule.field, rule.kind)) == key]
            if rule.certain and len(ids) + len(pending) == 1:
                return Found(id=ids[0]) if ids else Found(new=pending[0])
            suspects += [i for i in ids if i not in suspects]
            pending_suspect = pending_suspect or (pending[0] if pending else None)
        shown = self._shown(entity, values, direct)
        if not keys:
            return Found(problem=Text(f"没有可用来查找{entity.label.zh}的值", f"no value to find the "
                                      f"{entity.label.en.lower()} by"))
        if (suspects or pending_suspect) and not (rule_set.if_missing == "create" and rule_set.status_field):
            names = "、".join(self._names(entity, suspects)) or shown
            return Found(problem=Text(f"{entity.label.zh}“{shown}”不能确定：可能是 {names}；请填写更准确的信息",
                                      f"{entity.label.en} {shown!r} is ambiguous: it could be {names}; "
                                      "give a more precise value"))
        if rule_set.if_missing != "create":
            how = self._labels(entity, rule_set)
            return Found(problem=Text(f"找不到{entity.label.zh}“{shown}”（按{'、'.join(t.zh for t in how)}查找）",
                                      f"no {entity.label.en.lower()} {shown!r} "
                                      f"(looked up by {', '.join(t.en for t in how)})"))
        created = self._new(entity, values, direct, keys)
        if suspects:
            if rule_set.status_field:
                created.values[rule_set.status_field] = rule_set.review_value
            if rule_set.duplicate_field:
                created.values[rule_set.duplicate_field] = suspects[0]
            names = "、".join(self._names(entity, suspects))
            return Found(new=created, note=Text(
                f"{entity.label.zh}“{shown}”仅凭不确定的信息匹配到 {names}：将新建并标记待确认",
                f"{entity.label.en} {shown!r} matched {names} only on uncertain keys: a new one is created and "
                "flagged for review"))
        return Found(new=created)

    def _new(self, entity: Entity, values: dict[str, Any], direct: Any, keys: list[tuple[MatchRule, str]]
             ) -> NewRecord:
        record = dict(values)
        title = entity.title_field
        if direct not in (None, "") and title and title in entity.by_key and title not in record:
            record[title] = direct
        created = NewRecord(entity.key, record, {(r.field, r.kind): k for r, k in keys})
        self.new.append(created)
        return created

    @staticmethod
    def _shown(entity: Entity, values: dict[str, Any], direct: Any) -> str:
        if direct not in (None, ""):
            return str(direct)
        title = values.get(entity.title_field or "")
        return str(title if title is not None else " / ".join(str(v) for v in values.values()))

    @staticmethod
    def _labels(entity: Entity, rule_set: LinkRule) -> list[Text]:
        out: list[Text] = []
        for rule in rule_set.match:
            f = entity.by_key.get(rule.field)
            label = f.label if f is not None else Text("编号", "number")
            if label not in out:
                out.append(label)
        return out

    def _names(self, entity: Entity, ids: list[int]) -> list[str]:
        if not ids:
            return []
        table = self.snapshot.tables[entity.key]
        title = entity.title_field if entity.title_field in table.c else "name"
        rows = self.conn.execute(sa.select(table.c.name, table.c[title]).where(table.c.id.in_(ids[:5])))
        return [f"{name} {label}" if label and label != name else str(name) for name, label in rows]
