"""Showing field values to people: option labels, link titles, dates and money in their locale.

Link fields store ids; a person wants the customer's name. Titles are fetched in one list
call per target entity through the record service, so a user who may not read the target
sees ``#12`` rather than data their role does not grant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sunmao.errors import SunmaoError
from sunmao.fields import field_type, stored_type
from sunmao.meta.model import Entity, Field, is_currency_code
from sunmao.records import Actor, RecordService
from sunmao.records.query import ListQuery
from sunmao.snapshot import Snapshot
from sunmao.web.i18n import (
    DEFAULT_TIMEZONE,
    _,
    format_money,
    format_number,
    format_percent,
    format_value_date,
    format_value_datetime,
)

Titles = dict[tuple[str, Any], str]


def title_field(entity: Entity) -> str:
    return entity.title_field or "name"


def currency_of(f: Field, record: Mapping[str, Any] | None) -> str | None:
    """The currency a decimal is shown in, as its field declares (a fixed ISO code, or the field of
    the record shown that holds one), or None for a plain number."""
    if f.value_type != "decimal" or not f.currency:
        return None
    if is_currency_code(f.currency):
        return f.currency
    code = record.get(f.currency) if record is not None else None
    return str(code) if code else None


def collect_links(snap: Snapshot, entity: Entity, rows: Iterable[Mapping[str, Any]],
                  wanted: dict[str, set[int]] | None = None) -> dict[str, set[int]]:
    """Link ids per target entity in ``rows`` (child tables included)."""
    wanted = wanted if wanted is not None else {}
    for row in rows:
        for f in entity.fields:
            value = row.get(f.key)
            if f.type == "link" and isinstance(value, int):
                wanted.setdefault(f.to or "", set()).add(value)
            elif f.type == "table" and isinstance(value, list):
                collect_links(snap, snap.entities[f.of or ""], value, wanted)
    return wanted


def fetch_titles(service: RecordService, actor: Actor, wanted: Mapping[str, set[int]]) -> Titles:
    titles: Titles = {}
    for target, ids in wanted.items():
        if not ids:
            continue
        entity = service.snapshot.entities[target]
        key = title_field(entity)
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start:start + 500]
            query = ListQuery(filters=[("id", "in", ",".join(map(str, chunk)))], limit=500,
                              fields=sorted({key, "name"}))
            try:
                items = service.list(target, query, actor=actor)["items"]
            except SunmaoError:
                break  # no read permission on the target: ids stay as they are
            for item in items:
                titles[(target, item["id"])] = str(item.get(key) or item.get("name") or f"#{item['id']}")
    return titles


def titles_for(service: RecordService, actor: Actor, entity: Entity, rows: Iterable[Mapping[str, Any]]) -> Titles:
    return fetch_titles(service, actor, collect_links(service.snapshot, entity, list(rows)))


@dataclass
class Reader:
    """The words of one reader (``sunmao.fields.base.Reader``): language, linked records' titles,
    and the record shown (a money amount takes its currency)."""

    lang: str
    titles: Titles
    record: Mapping[str, Any] | None = None

    def yes_no(self, value: bool) -> str:
        return _("Yes") if value else _("No")

    def rows(self, count: int) -> str:
        return _("%(n)s rows", n=count)

    def date(self, value: Any) -> str:
        return format_value_date(value, self.lang)

    def datetime(self, value: Any) -> str:
        return format_value_datetime(value, self.lang)

    def number(self, value: Any, scale: int | None = None) -> str:
        return format_number(value, self.lang, scale)

    def percent(self, value: Any, scale: int | None) -> str:
        return format_percent(value, self.lang, scale)

    def currency(self, f: Field) -> str | None:
        return currency_of(f, self.record)

    def money(self, value: Any, currency: str) -> str:
        return format_money(value, currency, self.lang)


def display(f: Field, value: Any, lang: str, titles: Titles | None = None, record: Mapping[str, Any] | None = None
            ) -> str:
    """One value as text for a person (never HTML: templates escape it), in the words its type picks."""
    if value is None or value == "" or value == []:
        return ""
    return stored_type(f).display(f, value, Reader(lang, titles or {}, record))


def value_href(f: Field, value: Any) -> str:
    """Where a shown value links to, as its field type says (``tel:`` for a phone), or ""."""
    return stored_type(f).link_href(value) or ""


def option_color(f: Field, value: Any) -> str | None:
    return next((o.color for o in f.options if o.value == value), None)


def local_datetime_input(value: str, tz: str = DEFAULT_TIMEZONE) -> str:
    """An aware ISO datetime as the ``datetime-local`` input shows it: wall-clock time in Shanghai."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")
    except ValueError:
        return value


@dataclass
class FieldView:
    """A field as a form widget sees it: labels in the reader's language and the current value."""

    key: str
    label: str
    type: str
    value_type: str
    widget: str
    value: Any = None
    display: str = ""
    help: str = ""
    required: bool = False
    read_only: bool = False
    span: int = 1
    options: list[tuple[str, str]] = field(default_factory=list)
    to: str | None = None
    target_title: str = "name"
    target_label: str = ""
    scale: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    length: int | None = None
    fill: Mapping[str, Any] = field(default_factory=dict)
    #: For a link: ``{their_field: our_field}``, the picker's filter on the target (``link_filter``).
    link_filter: Mapping[str, str] = field(default_factory=dict)
    #: For a link: the target's summary fields shown under each suggestion (a customer's city and phone).
    target_hint: list[str] = field(default_factory=list)
    #: For a grid: the column widgets and the rows (each a list of FieldViews, with the row id).
    columns: list[FieldView] = field(default_factory=list)
    rows: list[tuple[Any, list[FieldView]]] = field(default_factory=list)
    error_path: str = ""
    #: The widget's attributes from the field type (a phone's ``input_type="tel"``).
    attrs: Mapping[str, Any] = field(default_factory=dict)
    #: Where the shown value links to (a phone's ``tel:``), or empty.
    href: str = ""


HINT_TYPES = ("string", "phone", "select")


def _hint(target: Entity | None) -> list[str]:
    """The target's summary fields that read well as they are stored (text, phone, a choice)."""
    if target is None:
        return []
    return [k for k in target.summary_fields if k in target.by_key and target.by_key[k].type in HINT_TYPES]


def field_view(snap: Snapshot, f: Field, value: Any, lang: str, titles: Titles, *, widget: str,
               span: int = 1, fill: Mapping[str, Any] | None = None, record: Mapping[str, Any] | None = None,
               path: str = "") -> FieldView:
    target = snap.entities.get(f.to or "") if f.type == "link" else None
    if f.value_type == "datetime" and isinstance(value, str) and value and f.type != "computed":
        value = local_datetime_input(value)
    return FieldView(
        key=f.key, label=f.label.get(lang), type=f.type, value_type=f.value_type, widget=widget, value=value,
        display=display(f, value, lang, titles, record), help=f.help.get(lang) if f.help else "",
        required=f.required and field_type(f.type).requirable,
        read_only=f.read_only or f.type == "computed", span=span,
        options=[(o.value, o.label.get(lang)) for o in f.options], to=f.to,
        target_title=title_field(target) if target else "name", target_label=target.label.get(lang) if target else "",
        scale=f.scale, minimum=f.min, maximum=f.max, length=f.length, fill=dict(fill or {}),
        link_filter=dict(f.link_filter), target_hint=_hint(target), error_path=path or f.key,
        attrs=field_type(f.type).widget.attrs,
        href=value_href(f, value),
    )
