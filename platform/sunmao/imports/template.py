"""Import templates: which column fills what, remembered and found again.

A template has one shape (``metadata/import.schema.json``) and two homes:

* **documents of kind ``import``** in an app package — the app's own knowledge, published
  with its metadata (the order app's sales-office workbook: column synonyms, the key column,
  how customers and products are found). Compiled into ``snapshot.features["imports"]``.
* **the platform table ``sm_import_template``** — a mapping a user adjusted and saved from the
  import screen. Saving one is an everyday act of a sales clerk, not a metadata publish: it
  needs no designer rights, does not bump the metadata version or rebuild every process's
  app, and is validated against the same meta-schema before it is stored.

Columns are matched by the template's headers and synonyms first, then by every target's
key and labels in both languages (``targets.norm`` ignores case, spaces and punctuation). A
workbook is matched to the template whose headers it has (a saved template), or whose
synonyms recognise most of its headers (an app template).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from sunmao.hooks.inbound.model import MatchRule
from sunmao.i18n import Text
from sunmao.imports.tables import template as template_table
from sunmao.imports.targets import Target, entity_targets, norm
from sunmao.meta.errors import Problem
from sunmao.meta.model import Entity
from sunmao.meta.schemas import validate_document
from sunmao.snapshot import Snapshot
from sunmao.storage import Database


@dataclass(frozen=True)
class Column:
    target: str
    header: str | None = None
    synonyms: tuple[str, ...] = ()
    clean: str | None = None


@dataclass(frozen=True)
class LinkRule:
    match: tuple[MatchRule, ...] = ()
    if_missing: str = "refuse"
    status_field: str | None = None
    review_value: str = "review"
    duplicate_field: str | None = None


@dataclass(frozen=True)
class Template:
    key: str
    label: Text
    entity: str
    key_field: str | None = None
    columns: tuple[Column, ...] = ()
    links: Mapping[str, LinkRule] = field(default_factory=lambda: MappingProxyType({}))
    header_row: int | None = None
    saved_id: int | None = None  # a template saved by a user (None: an app's document)
    #: Rows where none of these targets has a value are skipped (listed), not refused.
    skip_unless: tuple[str, ...] = ()

    def column_for(self, target: str) -> Column | None:
        return next((c for c in self.columns if c.target == target), None)

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": "import", "key": self.key, "label": self.label.as_dict(), "entity": self.entity}
        if self.key_field:
            doc["key_field"] = self.key_field
        if self.header_row:
            doc["header_row"] = self.header_row
        if self.skip_unless:
            doc["skip_unless"] = list(self.skip_unless)
        doc["columns"] = [{k: v for k, v in (("target", c.target), ("header", c.header),
                                             ("synonyms", list(c.synonyms)), ("clean", c.clean)) if v}
                          for c in self.columns]
        doc["links"] = {path: {k: v for k, v in (
            ("match", [{"field": m.field, "as": m.kind, "certain": m.certain, **({"key_field": m.key_field}
                                                                             if m.key_field else {})}
                       for m in rule.match]),
            ("if_missing", rule.if_missing), ("status_field", rule.status_field),
            ("review_value", rule.review_value if rule.status_field else None),
            ("duplicate_field", rule.duplicate_field)) if v} for path, rule in self.links.items()}
        return doc


def build(doc: Mapping[str, Any], saved_id: int | None = None) -> Template:
    """A template from a schema-valid document."""
    columns = tuple(Column(c["target"], c.get("header"), tuple(c.get("synonyms", ())), c.get("clean"))
                    for c in doc.get("columns", ()))
    links = {path: LinkRule(tuple(MatchRule(m["field"], m.get("as", "exact"), m.get("certain", True),
                                            m.get("key_field")) for m in spec.get("match", ())),
                            spec.get("if_missing", "refuse"), spec.get("status_field"),
                            spec.get("review_value", "review"), spec.get("duplicate_field"))
             for path, spec in (doc.get("links") or {}).items()}
    return Template(doc["key"], Text.of(doc["label"]), doc["entity"], doc.get("key_field"), columns,
                    MappingProxyType(links), doc.get("header_row"), saved_id, tuple(doc.get("skip_unless", ())))


def check(snapshot: Snapshot, template: Template, file: str) -> list[Problem]:
    """What in a template does not fit the entity it fills (names a field that does not exist)."""
    entity = snapshot.entities.get(template.entity)
    if entity is None or entity.child:
        return [Problem(file, "$.entity", f"there is no top-level entity {template.entity!r}")]
    problems = []
    targets = entity_targets(snapshot, entity)
    for i, column in enumerate(template.columns):
        if column.target not in targets:
            problems.append(Problem(file, f"$.columns[{i}].target",
                                    f"{column.target!r} is not a field a column of {entity.key} can fill"))
    for i, path in enumerate(template.skip_unless):
        if path not in targets:
            problems.append(Problem(file, f"$.skip_unless[{i}]",
                                    f"{path!r} is not a field a column of {entity.key} can fill"))
    if template.key_field and template.key_field != "name" and template.key_field not in entity.by_key:
        problems.append(Problem(file, "$.key_field", f"{entity.key} has no field {template.key_field!r}"))
    for path, rule in template.links.items():
        link = targets.get(path)
        if link is None or link.field.type != "link":
            problems.append(Problem(file, f"$.links.{path}", f"{path!r} is not a link of {entity.key}"))
            continue
        linked = snapshot.entities[link.field.to or ""]
        for j, m in enumerate(rule.match):
            for name in (m.field, m.key_field):
                if name and name != "name" and name not in linked.by_key:
                    problems.append(Problem(file, f"$.links.{path}.match[{j}]", f"{linked.key} has no field {name!r}"))
        for name in (rule.status_field, rule.duplicate_field):
            if name and name not in linked.by_key:
                problems.append(Problem(file, f"$.links.{path}", f"{linked.key} has no field {name!r}"))
    return problems


def compile_imports(snapshot: Snapshot) -> tuple[str, Mapping[str, Template], list[Problem]]:
    """The app templates of a snapshot (feature ``imports``)."""
    found: dict[str, Template] = {}
    problems: list[Problem] = []
    for file, doc in snapshot.documents("import"):
        template = build(doc)
        problems += check(snapshot, template, file)
        if template.key in found:
            problems.append(Problem(file, "$.key", f"import template key {template.key!r} is used twice"))
        found[template.key] = template
    return "imports", MappingProxyType(found), problems


# -- matching columns ----------------------------------------------------------------------

def default_rules(snapshot: Snapshot, target: Entity) -> tuple[MatchRule, ...]:
    """How a link is found without a template: its record number, unique fields, title field."""
    keys = ["name"] + [f.key for f in target.fields if f.unique and f.is_input and f.value_type == "string"]
    title = target.by_key.get(target.title_field or "")
    if title is not None and title.value_type == "string" and title.key not in keys:
        keys.append(title.key)
    return tuple(MatchRule(k, "exact", True) for k in keys)


def auto_map(targets: Mapping[str, Target], headers: Sequence[str], templates: Iterable[Template]
             ) -> dict[int, str]:
    """Column index → target path for every header that names a target (template synonyms first)."""
    names: dict[str, str] = {}
    for template in templates:
        for c in template.columns:
            if c.target in targets:
                for name in (c.header, *c.synonyms):
                    if name:
                        names.setdefault(norm(name), c.target)
    for t in targets.values():
        for name in t.names:
            names.setdefault(norm(name), t.path)
    out: dict[int, str] = {}
    for i, header in enumerate(headers):
        path = names.get(norm(header)) if header else None
        if path and path not in out.values():
            out[i] = path
    return out


def recognised(template: Template, headers: Sequence[str]) -> tuple[int, bool]:
    """How many of ``headers`` the template names, and whether it names exactly these headers."""
    own = {norm(c.header) for c in template.columns if c.header}
    words = own | {norm(s) for c in template.columns for s in c.synonyms}
    present = {norm(h) for h in headers if h}
    return len(present & words), bool(own) and own == present


def find_template(templates: Sequence[Template], headers: Sequence[str]) -> Template | None:
    """The template made for a workbook with these headers: a saved one with the very same
    headers, else the one that recognises most of them (at least two, and 60 %)."""
    scored = [(recognised(t, headers), t) for t in templates]
    exact = [t for (_n, same), t in scored if same]
    if exact:
        return exact[-1]  # the newest saved one
    wanted = max(2, 0.6 * len([h for h in headers if h]))
    best = max(scored, key=lambda s: s[0][0], default=None)
    return best[1] if best is not None and best[0][0] >= wanted else None


# -- saved templates -----------------------------------------------------------------------

def templates_of(db: Database, snapshot: Snapshot, entity: str) -> list[Template]:
    """The app's templates of ``entity``, then the saved ones (oldest first)."""
    found = [t for t in snapshot.features.get("imports", {}).values() if t.entity == entity]
    with db.read() as conn:
        rows = conn.execute(sa.select(template_table.c.id, template_table.c.document)
                            .where(template_table.c.entity == entity).order_by(template_table.c.id)).all()
    for row_id, doc in rows:
        try:
            template = build(doc, saved_id=row_id)
        except (KeyError, TypeError):
            continue
        if not check(snapshot, template, "saved"):
            found.append(template)  # a saved template whose fields were since removed is not offered
    return found


def named(templates: Sequence[Template], name: str) -> Template | None:
    """A template by key or by either label (``--template 销售台账``)."""
    return next((t for t in reversed(templates) if name in (t.key, t.label.zh, t.label.en)), None)


def save(db: Database, snapshot: Snapshot, template: Template, user_id: int | None) -> Template:
    """Store a user's template under its name (replacing one of the same name and entity)."""
    name = template.label.zh.strip()[:100]
    doc = template.document()
    doc["key"] = "saved"
    problems = validate_document(doc, "saved import template") + check(snapshot, build(doc), "saved")
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    now = datetime.now(UTC)
    with db.write() as conn:
        existing = conn.execute(sa.select(template_table.c.id).where(template_table.c.entity == template.entity,
                                                                     template_table.c.name == name)).scalar()
        if existing is None:
            existing = conn.execute(template_table.insert().values(
                entity=template.entity, name=name, document=doc, created_by=user_id, updated_at=now)
                .returning(template_table.c.id)).scalar()
        doc["key"] = f"saved_{existing}"
        conn.execute(template_table.update().where(template_table.c.id == existing).values(
            document=doc, created_by=user_id, updated_at=now))
    return build(doc, saved_id=existing)
