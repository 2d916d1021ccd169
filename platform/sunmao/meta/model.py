"""The compiled, immutable view of entity documents that the rest of the engine reads.

Documents are plain JSON; these classes give them names, defaults and lookups once, so
that storage, records and web never poke into raw dictionaries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sunmao.i18n import Text

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: Columns every entity table has; field keys may not use these names.
SYSTEM_COLUMNS = ("id", "name", "version", "created_at", "updated_at", "created_by", "updated_by", "deleted_at")
CHILD_SYSTEM_COLUMNS = ("id", "parent_id", "idx")
RESERVED_KEYS = frozenset(SYSTEM_COLUMNS + CHILD_SYSTEM_COLUMNS)

ACTIONS = ("read", "create", "update", "delete")
ADMIN_ROLE = "admin"


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: Text
    color: str | None = None


@dataclass(frozen=True, slots=True)
class ValidationRule:
    id: str
    check: Any
    message: Text
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    id: str
    key: str
    type: str
    label: Text
    required: bool = False
    unique: bool = False
    read_only: bool = False
    hidden: bool = False
    default: Any = None
    length: int | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    precision: int | None = None
    scale: int | None = None
    options: tuple[Option, ...] = ()
    to: str | None = None
    of: str | None = None
    formula: Any = None
    rollup: Mapping[str, Any] | None = None
    result_type: str | None = None
    validate: tuple[ValidationRule, ...] = ()
    help: Text | None = None
    #: How a number is shown (``percent``); None: as it is.
    format: str | None = None
    #: A decimal shown as money: an ISO 4217 code, or the key of the field holding the code on the
    #: record shown (a child row's parent); None: a plain number. See ``is_currency_code``.
    currency: str | None = None
    #: What deleting the record a link points at does: ``restrict`` (refused while live records
    #: link to it) or ``set_null`` (the links are cleared, through the record service).
    on_delete: str = "restrict"
    #: For a link: ``{their_field: our_field}`` — the target records it may point at are those
    #: whose field equals this record's field (an order's contact belongs to the order's customer).
    link_filter: Mapping[str, str] = field(default_factory=dict)
    #: The field's document as written, kept for archiving and export.
    doc: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def value_type(self) -> str:
        """The type of the stored value: a computed field stores its result type."""
        return self.result_type if self.type == "computed" and self.result_type else self.type

    @property
    def is_stored(self) -> bool:
        """True when the field is a column of the entity's own table (a table field is not)."""
        return self.type != "table"

    @property
    def is_input(self) -> bool:
        """True when a client may send a value for the field."""
        return self.type != "computed" and not self.read_only

    @property
    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)

    @property
    def string_length(self) -> int:
        return self.length or 255

    @property
    def has_formula_default(self) -> bool:
        return isinstance(self.default, dict) and "formula" in self.default


@dataclass(frozen=True, slots=True)
class RoleAccess:
    """What one role may see of an entity beyond the action rights: rows and fields."""

    scope: str = "all"
    rows: Any = None
    hidden: frozenset[str] = frozenset()
    readonly: frozenset[str] = frozenset()

    @property
    def restricts_rows(self) -> bool:
        return self.scope != "all" or self.rows is not None


@dataclass(frozen=True, slots=True)
class Lookup:
    """A record of another entity found by a condition over this record's values — the latest
    exchange rate of the order's currency on its order date. Formulas, defaults and rules read
    it as they read a link (``fx.rate``); it is found again whenever the values it reads change."""

    key: str
    entity: str
    where: Any
    order_by: tuple[tuple[str, bool], ...] = ()
    #: JSONLogic over the record: when false the look-up is empty without a query.
    when: Any = None
    label: Text | None = None


@dataclass(frozen=True)
class Entity:
    key: str
    label: Text
    fields: tuple[Field, ...]
    child: bool = False
    naming: str | None = None
    title_field: str | None = None
    search_fields: tuple[str, ...] = ()
    summary_fields: tuple[str, ...] = ()
    #: A string field the engine fills with the pinyin of the search fields (``search_key``), or None.
    search_key: str | None = None
    #: What an inbox card shows of a task's record: own fields or ``link.field``.
    task_fields: tuple[str, ...] = ()
    #: The date field that dates a record's number (None: its creation).
    naming_date: str | None = None
    indexes: tuple[tuple[tuple[str, ...], bool], ...] = ()
    permissions: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    rules: tuple[ValidationRule, ...] = ()
    description: Text | None = None
    access: Mapping[str, RoleAccess] = field(default_factory=lambda: MappingProxyType({}))
    owner_field: str = "created_by"
    lookups: tuple[Lookup, ...] = ()
    by_key: Mapping[str, Field] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    by_id: Mapping[str, Field] = field(default_factory=lambda: MappingProxyType({}), repr=False)

    @property
    def table_name(self) -> str:
        return f"t_{self.key}"

    @cached_property  # an entity never changes: every write asks for these
    def stored_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.is_stored)

    @cached_property
    def table_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.type == "table")

    def field(self, key: str) -> Field:
        return self.by_key[key]

    def allows(self, roles: frozenset[str] | set[str], action: str) -> bool:
        if ADMIN_ROLE in roles:
            return True
        return any(action in self.permissions.get(role, ()) for role in roles)


def _text(value: Any) -> Text | None:
    return Text.of(value) if value is not None else None


def _rules(items: Any) -> tuple[ValidationRule, ...]:
    return tuple(
        ValidationRule(id=r["id"], check=r["check"], message=Text.of(r["message"]), fields=tuple(r.get("fields", ())))
        for r in items or ()
    )


def build_field(doc: Mapping[str, Any]) -> Field:
    return Field(
        id=doc["id"],
        key=doc["key"],
        type=doc["type"],
        label=Text.of(doc["label"]),
        required=doc.get("required", False),
        unique=doc.get("unique", False),
        read_only=doc.get("read_only", False),
        hidden=doc.get("hidden", False),
        default=doc.get("default"),
        length=doc.get("length"),
        min=doc.get("min"),
        max=doc.get("max"),
        pattern=doc.get("pattern"),
        precision=doc.get("precision"),
        scale=doc.get("scale"),
        options=tuple(Option(o["value"], Text.of(o["label"]), o.get("color")) for o in doc.get("options", ())),
        to=doc.get("to"),
        of=doc.get("of"),
        formula=doc.get("formula"),
        rollup=doc.get("rollup"),
        result_type=doc.get("result_type"),
        validate=_rules(doc.get("validate")),
        help=_text(doc.get("help")),
        format=doc.get("format"),
        currency=doc.get("currency"),
        on_delete=doc.get("on_delete", "restrict"),
        link_filter=dict(doc.get("link_filter") or {}),
        doc=doc,
    )


def _access(p: Mapping[str, Any], fields: tuple[Field, ...]) -> RoleAccess:
    readonly = set(p.get("readonly_fields", ()))
    if "writable_fields" in p:
        readonly |= {f.key for f in fields if f.key not in set(p["writable_fields"])}
    return RoleAccess(p.get("scope", "all"), p.get("rows"), frozenset(p.get("hidden_fields", ())), frozenset(readonly))


def is_currency_code(value: str) -> bool:
    """A field's ``currency`` names a fixed ISO 4217 code (``CNY``) rather than a field (``currency``)."""
    return value.isupper()


def build_entity(doc: Mapping[str, Any]) -> Entity:
    """Build the compiled view of a schema-valid entity document."""
    fields = tuple(build_field(f) for f in doc["fields"])
    permissions = {
        p["role"]: frozenset(a for a in ACTIONS if p.get(a, False)) for p in doc.get("permissions", ())
    }
    return Entity(
        key=doc["key"],
        label=Text.of(doc["label"]),
        description=_text(doc.get("description")),
        fields=fields,
        child=doc.get("child", False),
        naming=doc.get("naming"),
        title_field=doc.get("title_field"),
        search_fields=tuple(doc.get("search_fields", ())),
        summary_fields=tuple(doc.get("summary_fields", ())),
        search_key=doc.get("search_key"),
        task_fields=tuple(doc.get("task_fields", ())),
        naming_date=doc.get("naming_date"),
        indexes=tuple((tuple(i["fields"]), i.get("unique", False)) for i in doc.get("indexes", ())),
        permissions=MappingProxyType(permissions),
        access=MappingProxyType({p["role"]: _access(p, fields) for p in doc.get("permissions", ())}),
        owner_field=doc.get("owner_field", "created_by"),
        rules=_rules(doc.get("rules")),
        lookups=tuple(Lookup(key=lk["key"], entity=lk["entity"], where=lk["where"],
                             order_by=tuple((k.lstrip("-"), k.startswith("-")) for k in lk.get("order_by", ())),
                             when=lk.get("when"), label=_text(lk.get("label")))
                      for lk in doc.get("lookups", ())),
        by_key=MappingProxyType({f.key: f for f in fields}),
        by_id=MappingProxyType({f.id: f for f in fields}),
    )
