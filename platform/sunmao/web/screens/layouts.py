"""Form and view documents, compiled into each snapshot (``features["forms"]``, ``["views"]``).

A form says how an entity's edit screen is laid out (sections, columns, widgets) and which
fields are shown, required or locked while the user types; a view is a saved list, kanban
or calendar. Both are checked against the entities at publish time, so a form naming a field
that a later version renamed refuses the publish instead of breaking a screen. An entity
without a form gets :func:`default_form`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sunmao.fields import field_type
from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.model import Entity, Field
from sunmao.records.query import SYSTEM_FILTERABLE
from sunmao.rules import RuleError
from sunmao.rules.coerce import truthy
from sunmao.snapshot import Snapshot, rule_compiler, rule_fields
from sunmao.web.screens.scanning import compile_scan
from sunmao.web.screens.widgets import known_widgets


def default_widget(f: Field) -> str:
    """The widget a field gets when the form names none: its type's (``FieldType.widget``)."""
    return field_type(f.type).widget.name

SYSTEM_COLUMNS = ("name", "created_at", "updated_at")


@dataclass(frozen=True)
class FormField:
    key: str
    widget: str
    span: int = 1
    #: For a grid: the child fields shown as columns (empty: all visible child fields).
    columns: tuple[str, ...] = ()
    #: For a link (or links inside a grid): which fields of the picked record to copy, and where.
    fill: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    label: Text | None
    columns: int
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class FieldRule:
    """Show / require / lock ``fields`` while a JSONLogic condition holds (None: no condition)."""

    id: str
    fields: tuple[str, ...]
    visible: Any = None
    required: Any = None
    read_only: Any = None
    #: The compiled closures of the three conditions, by name.
    compiled: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("id", self.id), ("fields", list(self.fields)), ("visible", self.visible),
                                  ("required", self.required), ("read_only", self.read_only)) if v is not None}


@dataclass(frozen=True)
class FormLayout:
    entity: str
    sections: tuple[Section, ...]
    rules: tuple[FieldRule, ...] = ()
    generated: bool = False

    @property
    def field_keys(self) -> list[str]:
        return [f.key for s in self.sections for f in s.fields]


@dataclass(frozen=True)
class Highlight:
    """The view's mark for some records (late orders): a compiled JSONLogic condition and its words."""

    when: Any
    label: Text

    def marks(self, record: Mapping[str, Any]) -> bool:
        """True when the record is marked; a condition that cannot be evaluated marks nothing."""
        try:
            return truthy(self.when(record))
        except RuleError:
            return False


def highlighted(view: ViewLayout, record: Mapping[str, Any], lang: str) -> str:
    """The view's mark for ``record`` in ``lang``, or "" (what list rows, cards and bars show)."""
    return view.highlight.label.get(lang) if view.highlight and view.highlight.marks(record) else ""


@dataclass(frozen=True)
class ViewLayout:
    key: str
    entity: str
    label: Text
    type: str
    columns: tuple[str, ...]
    sort: tuple[str, ...] = ()
    filters: tuple[tuple[str, str, Any], ...] = ()
    group_by: str | None = None
    card: tuple[str, ...] = ()
    date_field: str | None = None
    default: bool = False
    #: For a portal view: phone path, fields, table and columns a customer may see.
    portal: Mapping[str, Any] | None = None
    #: For a Gantt view: where bars end, and the select field that colours them.
    end_field: str | None = None
    color_by: str | None = None
    #: For a scan view: what scanning a code does (``sunmao.web.screens.scanning.ScanAction``).
    scan: Any = None
    #: For a list view: the field the bulk bar's "assign" sets to a user name, and whether cells edit in place.
    assign_field: str | None = None
    inline_edit: bool = True
    #: Records the view marks (late ones), in every kind of view.
    highlight: Highlight | None = None
    #: For a Gantt view of a table's rows: ``rows``, ``group_by``, ``actual_start``, ``actual_end``.
    gantt_rows: Mapping[str, str | None] | None = None


# -- defaults ------------------------------------------------------------------------------

def default_form(entity: Entity) -> FormLayout:
    """Everything a user may see, two columns; long texts and tables take the full width."""
    short, wide = [], []
    for f in entity.fields:
        if f.hidden:
            continue
        widget = default_widget(f)
        if field_type(f.type).widget.wide:
            wide.append(FormField(f.key, widget, 2))
        else:
            short.append(FormField(f.key, widget))
    sections = [Section(None, 2, tuple(short))] if short else []
    sections += [Section(None, 2, (w,)) for w in wide]
    return FormLayout(entity.key, tuple(sections), generated=True)


def default_columns(entity: Entity, limit: int = 7) -> tuple[str, ...]:
    """The record number, the title, then the first short fields."""
    cols = ["name"] if not entity.child else []
    if entity.title_field and entity.title_field != "name":
        cols.append(entity.title_field)
    for f in entity.fields:
        if len(cols) >= limit:
            break
        if f.hidden or f.key in cols or f.type in ("table", "text", "json", "multiselect", "attachment"):
            continue
        cols.append(f.key)
    return tuple(cols)


# -- compilers -----------------------------------------------------------------------------

def _field_problems(entity: Entity, keys: list[str], file: str, path: str, *, system: bool = False) -> list[Problem]:
    known = set(entity.by_key) | (set(SYSTEM_FILTERABLE) if system else set())
    return [Problem(file, f"{path}[{i}]", f"{entity.key} has no field {k!r}; known: {', '.join(sorted(known))}")
            for i, k in enumerate(keys) if k not in known]


def _entity(snapshot: Snapshot, doc: Mapping[str, Any], file: str, problems: list[Problem]) -> Entity | None:
    entity = snapshot.entities.get(doc["entity"])
    if entity is None or entity.child:
        problems.append(Problem(file, "$.entity", f"there is no top-level entity {doc['entity']!r}"))
        return None
    return entity


def _compile_form(snapshot: Snapshot, doc: Mapping[str, Any], file: str, problems: list[Problem]
                  ) -> FormLayout | None:
    entity = _entity(snapshot, doc, file, problems)
    if entity is None:
        return None
    widgets = known_widgets()
    sections = []
    for i, s in enumerate(doc["sections"]):
        items = []
        for j, item in enumerate(s["fields"]):
            spec = {"field": item} if isinstance(item, str) else item
            path = f"$.sections[{i}].fields[{j}]"
            f = entity.by_key.get(spec["field"])
            if f is None:
                problems += _field_problems(entity, [spec["field"]], file, path.rsplit("[", 1)[0])
                continue
            widget = spec.get("widget") or default_widget(f)
            if widget not in widgets:
                problems.append(Problem(file, f"{path}.widget", f"unknown widget {widget!r}; known: "
                                        f"{', '.join(sorted(widgets))}"))
            columns = tuple(spec.get("columns", ()))
            if columns and f.type == "table":
                problems += _field_problems(snapshot.entities[f.of or ""], list(columns), file, f"{path}.columns")
            items.append(FormField(f.key, widget, spec.get("span", 2 if f.type == "table" else 1), columns,
                                   MappingProxyType(dict(spec.get("fill", {})))))
        sections.append(Section(Text.of(s["label"]) if s.get("label") else None, s.get("columns", 2), tuple(items)))
    rules = []
    for i, r in enumerate(doc.get("rules", ())):
        problems += _field_problems(entity, list(r["fields"]), file, f"$.rules[{i}].fields")
        compiled = {}
        for kind in ("visible", "required", "read_only"):
            if kind in r:
                try:
                    compiled[kind] = snapshot.rules.compile(r[kind], name=f"{doc['key']}.{r['id']}.{kind}")
                except RuleError as exc:
                    problems.append(Problem(file, f"$.rules[{i}].{kind}", f"rule {r['id']}: {exc}"))
        rules.append(FieldRule(r["id"], tuple(r["fields"]), r.get("visible"), r.get("required"), r.get("read_only"),
                               MappingProxyType(compiled)))
    return FormLayout(entity.key, tuple(sections), tuple(rules))


def compile_forms(snapshot: Snapshot) -> tuple[str, Mapping[str, FormLayout], list[Problem]]:
    """Feature compiler: ``features["forms"]`` maps entity key → its form layout."""
    problems: list[Problem] = []
    forms: dict[str, FormLayout] = {}
    for file, doc in snapshot.documents("form"):
        layout = _compile_form(snapshot, doc, file, problems)
        if layout is None:
            continue
        if layout.entity in forms:
            problems.append(Problem(file, "$.entity", f"{layout.entity} already has a form; one form per entity"))
        forms[layout.entity] = layout
    return "forms", MappingProxyType(forms), problems


def _compile_view(snapshot: Snapshot, doc: Mapping[str, Any], file: str, problems: list[Problem]
                  ) -> ViewLayout | None:
    entity = _entity(snapshot, doc, file, problems)
    if entity is None:
        return None
    columns = tuple(doc.get("columns") or default_columns(entity))
    problems += _field_problems(entity, list(columns), file, "$.columns", system=True)
    sort = tuple(doc.get("sort", ()))
    problems += _field_problems(entity, [s.lstrip("-") for s in sort], file, "$.sort", system=True)
    filters = tuple((f["field"], f["op"], f["value"]) for f in doc.get("filters", ()))
    problems += _field_problems(entity, [f[0] for f in filters], file, "$.filters", system=True)
    assign_field = doc.get("assign_field")
    if assign_field is not None:
        f = entity.by_key.get(assign_field)
        if f is None or f.value_type not in ("string", "text") or not f.is_input:
            problems.append(Problem(file, "$.assign_field", f"{assign_field!r} is not a text field of {entity.key} "
                                    "a user name can be written to"))
    group_by = card = date_field = None
    if doc["type"] == "kanban":
        if "kanban" not in doc:
            problems.append(Problem(file, "$.kanban", "a kanban view needs kanban.group_by"))
            return None
        group_by = doc["kanban"]["group_by"]
        f = entity.by_key.get(group_by)
        if f is None or f.type != "select":
            problems.append(Problem(file, "$.kanban.group_by", f"{group_by!r} is not a select field of {entity.key}"))
        card = tuple(doc["kanban"].get("card", ()))
        problems += _field_problems(entity, list(card), file, "$.kanban.card")
    if doc["type"] == "calendar":
        if "calendar" not in doc:
            problems.append(Problem(file, "$.calendar", "a calendar view needs calendar.date_field"))
            return None
        date_field = doc["calendar"]["date_field"]
        f = entity.by_key.get(date_field)
        if f is None or f.value_type not in ("date", "datetime"):
            problems.append(Problem(file, "$.calendar.date_field", f"{date_field!r} is not a date field"))
    end_field = color_by = gantt_rows = None
    if doc["type"] == "gantt":
        spec = doc.get("gantt")
        if spec is None:
            problems.append(Problem(file, "$.gantt", "a Gantt view needs gantt.start_field and gantt.end_field"))
            return None
        date_field, end_field, color_by = spec["start_field"], spec["end_field"], spec.get("color_by")
        bars = entity
        if "rows" in spec:
            gantt_rows, bars = _gantt_rows(snapshot, entity, spec, file, problems)
        for name, key in (("start_field", date_field), ("end_field", end_field)):
            f = bars.by_key.get(key) if bars is not None else None
            if bars is not None and (f is None or f.value_type != "date"):
                problems.append(Problem(file, f"$.gantt.{name}", f"{key!r} is not a date field of {bars.key}"))
        if color_by is not None and (color_by not in entity.by_key or entity.by_key[color_by].type != "select"):
            problems.append(Problem(file, "$.gantt.color_by", f"{color_by!r} is not a select field of {entity.key}"))
    scan = None
    if doc["type"] == "scan":
        if "scan" not in doc:
            problems.append(Problem(file, "$.scan", "a scan view needs scan.match and scan.action"))
        else:
            scan = compile_scan(snapshot, entity, doc["scan"], file, problems)
            actions = {t["key"] for _f, flow in snapshot.documents("workflow") if flow.get("entity") == entity.key
                       for t in flow.get("transitions", ())}
            if "action" in doc["scan"] and doc["scan"]["action"] not in actions:
                problems.append(Problem(file, "$.scan.action", f"{doc['scan']['action']!r} is not an action of "
                                        f"{entity.key}'s workflow; use one of {', '.join(sorted(actions)) or '—'}"))
    portal = None
    if doc["type"] == "portal":
        portal = doc.get("portal")
        if portal is None:
            problems.append(Problem(file, "$.portal", "a portal view needs portal.phone and portal.fields"))
            return None
        _check_portal(snapshot, entity, portal, file, problems)
    return ViewLayout(doc["key"], entity.key, Text.of(doc["label"]), doc["type"], columns, sort, filters,
                      group_by, card or (), date_field, doc.get("default", False),
                      MappingProxyType(dict(portal)) if portal else None, end_field=end_field, color_by=color_by,
                      scan=scan, assign_field=assign_field, inline_edit=doc.get("inline_edit", True),
                      highlight=_highlight(snapshot, entity, doc, file, problems), gantt_rows=gantt_rows)


def _highlight(snapshot: Snapshot, entity: Entity, doc: Mapping[str, Any], file: str,
               problems: list[Problem]) -> Highlight | None:
    spec = doc.get("highlight")
    if spec is None:
        return None
    rule = rule_compiler(snapshot.rules, rule_fields(entity, snapshot.entities), file, problems)
    return Highlight(rule(spec["when"], f"{doc['key']}.highlight", "$.highlight.when"), Text.of(spec["label"]))



def _gantt_rows(snapshot: Snapshot, entity: Entity, spec: Mapping[str, Any], file: str,
                problems: list[Problem]) -> tuple[Mapping[str, str | None] | None, Entity | None]:
    """A Gantt of a table's rows: the table, the record field grouping them, the rows' actual dates."""
    table = entity.by_key.get(spec["rows"])
    if table is None or table.type != "table":
        problems.append(Problem(file, "$.gantt.rows", f"{spec['rows']!r} is not a table field of {entity.key}"))
        return None, None
    rows = snapshot.entities[table.of or ""]
    group = spec.get("group_by")
    if group is not None and (group not in entity.by_key or entity.by_key[group].type not in ("link", "select")):
        problems.append(Problem(file, "$.gantt.group_by", f"{group!r} is not a link or select field of {entity.key}"))
    for name in ("actual_start_field", "actual_end_field"):
        key = spec.get(name)
        if key is not None and (key not in rows.by_key or rows.by_key[key].value_type not in ("date", "datetime")):
            problems.append(Problem(file, f"$.gantt.{name}", f"{key!r} is not a date or datetime field of {rows.key}"))
    return MappingProxyType({"rows": spec["rows"], "group_by": group, "actual_start": spec.get("actual_start_field"),
                             "actual_end": spec.get("actual_end_field")}), rows


def _check_portal(snapshot: Snapshot, entity: Entity, portal: Mapping[str, Any], file: str,
                  problems: list[Problem]) -> None:
    link, _, target_key = portal["phone"].partition(".")
    f = entity.by_key.get(link)
    if f is None or (target_key and (f.type != "link" or target_key not in snapshot.entities[f.to or ""].by_key)):
        problems.append(Problem(file, "$.portal.phone", f"{portal['phone']!r} is not a field or link.field of "
                                f"{entity.key}"))
    problems += _field_problems(entity, list(portal["fields"]), file, "$.portal.fields")
    if "table" in portal:
        t = entity.by_key.get(portal["table"])
        if t is None or t.type != "table":
            problems.append(Problem(file, "$.portal.table", f"{portal['table']!r} is not a table field"))
        else:
            problems += _field_problems(snapshot.entities[t.of or ""], list(portal.get("columns", ())), file,
                                        "$.portal.columns")


def compile_views(snapshot: Snapshot) -> tuple[str, Mapping[str, ViewLayout], list[Problem]]:
    """Feature compiler: ``features["views"]`` maps view key → view layout."""
    problems: list[Problem] = []
    views: dict[str, ViewLayout] = {}
    for file, doc in snapshot.documents("view"):
        view = _compile_view(snapshot, doc, file, problems)
        if view is None:
            continue
        if view.key in views:
            problems.append(Problem(file, "$.key", f"view key {view.key!r} is used twice"))
        views[view.key] = view
    return "views", MappingProxyType(views), problems


# -- lookups used by the pages -------------------------------------------------------------

def form_for(snapshot: Snapshot, entity: Entity) -> FormLayout:
    return snapshot.features.get("forms", {}).get(entity.key) or default_form(entity)


def views_of(snapshot: Snapshot, entity_key: str) -> list[ViewLayout]:
    return [v for v in snapshot.features.get("views", {}).values()
            if v.entity == entity_key and v.type not in ("portal", "scan")]


def scan_views(snapshot: Snapshot) -> list[ViewLayout]:
    """The scan pages the metadata declares (scan to ship, scan to receive...)."""
    return [v for v in snapshot.features.get("views", {}).values() if v.type == "scan"]


def main_view(snapshot: Snapshot, entity: Entity) -> ViewLayout:
    for v in views_of(snapshot, entity.key):
        if v.default and v.type == "list":
            return v
    return ViewLayout("", entity.key, entity.label, "list", default_columns(entity))


def field_or_system(entity: Entity, key: str) -> Field:
    """A metadata field, or a stand-in for the system columns (name, dates) shown in lists."""
    f = entity.by_key.get(key)
    if f is not None:
        return f
    labels = {"name": Text("编号", "Number"), "id": Text("ID", "ID"), "created_at": Text("创建时间", "Created"),
              "updated_at": Text("更新时间", "Updated"), "version": Text("版本", "Version")}
    kind = SYSTEM_FILTERABLE.get(key, "string")
    return Field(id=key, key=key, type=kind, label=labels.get(key, Text(key, key)))
