"""What a spreadsheet column can fill: a field of the record, of its child table, or of a linked record.

Paths are dotted: ``due_date`` (a field), ``customer`` (a link, found by its own value),
``customer.phone`` (a value of the linked record: used to find it, and to create it when
missing), ``lines.qty`` (a field of the child table ``lines``), ``lines.product.sku``. The
targets of an entity are derived from its metadata alone, so the engine never needs to know
what an order or a product is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sunmao.i18n import Text
from sunmao.meta.model import Entity, Field
from sunmao.snapshot import Snapshot

NAME = Field(id="_name", key="name", type="string", label=Text("编号", "Number"))
_JUNK = re.compile(r"[\s_\-./()（）:：*#№·・]+")


def norm(text: str) -> str:
    """A header or label reduced for comparison: no case, spaces or punctuation."""
    return _JUNK.sub("", text).lower()


@dataclass(frozen=True)
class Target:
    path: str
    field: Field  # the field whose type converts the cell
    label: Text  # as shown in the mapping screen: "客户 · 联系电话"
    table: str | None = None  # the child table field, for a child's column
    link: str | None = None  # the link field (of the record or of the child) whose record the value finds
    sub: str | None = None  # the linked record's field, or None when the cell is the link's own value
    order: int = 0  # matching priority: the record's own fields first

    @property
    def link_path(self) -> str | None:
        """``customer`` or ``lines.product``: the key of the link's settings."""
        if self.link is None:
            return None
        return f"{self.table}.{self.link}" if self.table else self.link

    @property
    def names(self) -> tuple[str, ...]:
        """The header texts that name this target, besides template synonyms."""
        f = self.field
        return (self.path, f.key, f.label.zh, f.label.en, self.label.zh, self.label.en)


def importable(entity: Entity) -> list[Field]:
    """Fields a spreadsheet may fill: inputs, not tables, JSON, attachments or hidden fields."""
    return [f for f in entity.fields if f.is_input and not f.hidden and f.type not in ("table", "json", "attachment")]


def _with_links(snapshot: Snapshot, entity: Entity, table: Field | None, order: int) -> list[Target]:
    out: list[Target] = []
    prefix = f"{table.key}." if table else ""
    for f in importable(entity):
        label = Text(f"{table.label.zh} · {f.label.zh}", f"{table.label.en} · {f.label.en}") if table else f.label
        out.append(Target(prefix + f.key, f, label, table.key if table else None,
                          f.key if f.type == "link" else None, None, order))
        if f.type != "link" or f.to not in snapshot.entities:
            continue
        target = snapshot.entities[f.to]
        for sub in importable(target):
            if sub.type == "link":
                continue
            out.append(Target(f"{prefix}{f.key}.{sub.key}", sub,
                              Text(f"{f.label.zh} · {sub.label.zh}", f"{f.label.en} · {sub.label.en}"),
                              table.key if table else None, f.key, sub.key, order + 2))
    return out


def entity_targets(snapshot: Snapshot, entity: Entity) -> dict[str, Target]:
    """Every path a column of ``entity``'s import may fill, in matching priority."""
    found = [Target("name", NAME, NAME.label, order=0)]
    found += _with_links(snapshot, entity, None, 0)
    for table in entity.table_fields:
        child = snapshot.entities.get(table.of or "")
        if child is not None:
            found += _with_links(snapshot, child, table, 1)
    return {t.path: t for t in sorted(found, key=lambda t: t.order)}
