"""The compiled snapshot of one published metadata version.

Everything a request needs — entities, tables, input schemas, compiled formulas and rules —
is built once from the documents of a revision and never changed afterwards. A request works
against one snapshot from start to end; publishing builds a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from sunmao.fields import field_type, stored_type
from sunmao.i18n import Text
from sunmao.meta.checks import check_entities, entity_documents
from sunmao.meta.errors import MetadataError, Problem
from sunmao.meta.model import Entity, Field, build_entity
from sunmao.meta.schemas import validate_document
from sunmao.meta.settings import resolve_settings
from sunmao.records.compiled import Check, CompiledEntity, CompiledLookup, Feed, Rollup, reads_clock, rule_vars
from sunmao.records.schema import build_schema
from sunmao.records.sqlrules import SqlRuleError, compile_where, record_reads
from sunmao.rules import Engine, RuleError, default_engine
from sunmao.storage.tables import build_tables

#: Documents of a revision: app key → path in the package → document.
Apps = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Snapshot:
    version: int
    apps: Apps
    entities: Mapping[str, Entity]
    metadata: sa.MetaData
    tables: Mapping[str, sa.Table]
    compiled: Mapping[str, CompiledEntity]
    roles: Mapping[str, Text]
    rules: Engine
    #: What engine features (workflows, channels, jobs, ...) compiled from their documents, by feature name.
    features: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: Things derived from this snapshot on first use (statements over its tables): see :meth:`memo`.
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def memo(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()`` once per snapshot and ``key`` — e.g. a SELECT over this version's tables,
        which SQLAlchemy then finds compiled instead of building and hashing it per request."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
            return value

    def entity(self, key: str) -> Entity:
        return self.entities[key]

    def documents(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """Every document of one kind, with the file it came from (``app/path``)."""
        return [(f"{app}/{rel}", doc) for app, docs in self.apps.items() for rel, doc in docs.items()
                if isinstance(doc, dict) and doc.get("kind") == kind]

    def feature(self, name: str) -> Any:
        return self.features[name]

    @property
    def top_entities(self) -> list[Entity]:
        """Entities with their own API resource and screens (not child rows)."""
        return [e for e in self.entities.values() if not e.child]


def rule_type(f: Field) -> str:
    """The type a rule reads ``f``'s value as (a phone is a string to the rules)."""
    return stored_type(f).rule_type


def rule_fields(entity: Entity, entities: Mapping[str, Entity]) -> dict[str, str]:
    """What a rule over ``entity`` may read, by path and type, for the static checker."""
    fields: dict[str, str] = {"id": "integer", "name": "string", "version": "integer", "created_at": "datetime",
                              "updated_at": "datetime"}
    for f in entity.fields:
        fields[f.key] = rule_type(f)
        target = entities.get(f.of or f.to or "")
        if target is not None and f.type in ("table", "link"):
            for sub in target.fields:
                fields[f"{f.key}.{sub.key}"] = rule_type(sub)
            if f.type == "link":
                fields[f"{f.key}.id"] = "integer"
                fields[f"{f.key}.name"] = "string"
    for lookup in entity.lookups:
        target = entities.get(lookup.entity)
        if target is not None:
            fields[f"{lookup.key}.id"] = "integer"
            fields[f"{lookup.key}.name"] = "string"
            for sub in target.fields:
                fields[f"{lookup.key}.{sub.key}"] = rule_type(sub)
    return fields


def rule_compiler(engine: Engine, fields: Mapping[str, str], file: str, problems: list[Problem]
                  ) -> Callable[[Any, str, str], Any]:
    """Compile a rule, and check it statically against the fields it may read; report both."""

    def rule(expr: Any, name: str, path: str) -> Any:
        try:
            compiled = engine.compile(expr, name=name)
        except RuleError as exc:
            problems.append(Problem(file, path, f"rule {name}: {exc}"))
            return lambda data: None
        for found in engine.check(expr, fields):
            where = path + found.path[1:] if found.path.startswith("$") else path
            problems.append(Problem(file, where, f"rule {name}: {found.message_en} — {found.fix_en}"))
        return compiled

    return rule


def _compile_entity(entity: Entity, table: sa.Table, schema: Any, engine: Engine, file: str,
                    problems: list[Problem], entities: Mapping[str, Entity],
                    tables: Mapping[str, sa.Table]) -> CompiledEntity:
    rule = rule_compiler(engine, rule_fields(entity, entities), file, problems)

    defaults, computed, checks = [], [], []
    for i, f in enumerate(entity.fields):
        base = f"$.fields[{i}]"
        if f.default is not None and f.type != "computed":
            if f.has_formula_default:
                defaults.append((f, None, rule(f.default["formula"], f"{entity.key}.{f.key}.default",
                                               f"{base}.default.formula")))
            else:
                try:
                    literal = schema.fields[f.key].deserialize(f.default) if f.key in schema.fields else f.default
                except Exception as exc:  # noqa: BLE001 - any marshmallow failure is a metadata problem
                    problems.append(Problem(file, f"{base}.default", f"default does not fit the field: {exc}"))
                    literal = None
                defaults.append((f, literal, None))
        if f.type == "computed" and f.rollup is None:
            computed.append((f, rule(f.formula, f"{entity.key}.{f.key}", f"{base}.formula")))
        for j, v in enumerate(f.validate):
            checks.append(Check(v.id, rule(v.check, v.id, f"{base}.validate[{j}].check"), v.message, (f.key,),
                                field_key=f.key, reads=_reads(v.check) | {f.key}))
    for j, r in enumerate(entity.rules):
        checks.append(Check(r.id, rule(r.check, r.id, f"$.rules[{j}].check"), r.message, r.fields,
                            reads=_reads(r.check)))
    read: set[str] = set()
    for expr in [f.formula for f in entity.fields if f.type == "computed" and f.rollup is None] + \
            [f.default["formula"] for f in entity.fields if f.has_formula_default] + \
            [v.check for f in entity.fields for v in f.validate] + [r.check for r in entity.rules]:
        read |= rule_vars(expr)
    linked = {p.split(".", 1)[0] for p in read if "." in p}
    lookups = _lookups(entity, tables, rule, file, problems)
    looked = {lk.key: lk.reads for lk in lookups}
    default_reads = {}
    for f in entity.fields:
        if f.has_formula_default:
            reads = _reads(f.default["formula"])
            default_reads[f.key] = frozenset().union(reads - set(looked), *(looked[k] for k in reads & set(looked)))
    return CompiledEntity(
        entity=entity, table=table, schema=schema, defaults=tuple(defaults), computed=tuple(computed),
        checks=tuple(checks),
        required=tuple(f for f in entity.fields if f.required and field_type(f.type).requirable),
        links=tuple(f for f in entity.fields if f.type == "link"),
        uniques=tuple(f for f in entity.fields if f.unique and f.is_stored),
        attachments=tuple(f for f in entity.fields if f.type == "attachment"),
        link_paths=tuple(f for f in entity.fields if f.type == "link" and f.key in linked),
        formula_reads={f.key: None if reads_clock(f.formula) else _reads(f.formula)
                       for f in entity.fields if f.type == "computed" and f.rollup is None},
        rollups=_rollups(entity, entities, tables, file, problems),
        row_rules=_row_rules(entity, table, file, problems),
        lookups=lookups, default_reads=default_reads,
        search_links=_search_links(entity, entities, tables),
    )


def _lookups(entity: Entity, tables: Mapping[str, sa.Table], rule: Callable[[Any, str, str], Any], file: str,
             problems: list[Problem]) -> tuple[CompiledLookup, ...]:
    """Each look-up's condition as SQL (``$record`` values bound per use) and its ``when`` as a closure."""
    own = {c.key: c.type for c in tables[entity.key].columns}
    found = []
    for i, lookup in enumerate(entity.lookups):
        base = f"$.lookups[{i}]"
        table = tables.get(lookup.entity)
        if table is None:
            continue  # reported by the document checks
        try:
            clause = compile_where(lookup.where, table, f"{base}.where", record_fields=own)
        except SqlRuleError as exc:
            problems.append(Problem(file, exc.path, str(exc).split(": ", 1)[1]))
            continue
        when = rule(lookup.when, f"{entity.key}.{lookup.key}.when", f"{base}.when") \
            if lookup.when is not None else None
        reads = record_reads(lookup.where) | (_reads(lookup.when) if lookup.when is not None else frozenset())
        found.append(CompiledLookup(lookup.key, lookup.entity, clause, lookup.order_by, when, frozenset(reads)))
    return tuple(found)


def _search_links(entity: Entity, entities: Mapping[str, Entity], tables: Mapping[str, sa.Table]
                  ) -> tuple[tuple[str, sa.Table, tuple[str, ...]], ...]:
    """``link.field`` search fields grouped by link: ``q=`` also finds records whose linked record matches."""
    grouped: dict[str, list[str]] = {}
    for path in entity.search_fields:
        head, _, tail = path.partition(".")
        if tail:
            grouped.setdefault(head, []).append(tail)
    return tuple((head, tables[entity.by_key[head].to or ""], tuple(cols)) for head, cols in grouped.items())


def _reads(expr: Any) -> frozenset[str]:
    """The record's fields a rule reads (``customer.grade`` reads ``customer``)."""
    return frozenset(path.split(".", 1)[0] for path in rule_vars(expr))


def _row_rules(entity: Entity, table: sa.Table, file: str, problems: list[Problem]) -> dict[str, Any]:
    """Each role's ``rows`` rule as SQL, and checks of the other access settings."""
    rules: dict[str, Any] = {}
    owner = entity.owner_field
    if entity.child:
        return rules  # rows of a child are seen through their parent
    if owner not in table.c or (owner in entity.by_key and entity.by_key[owner].value_type not in
                                ("integer", "link", "string")):
        problems.append(Problem(file, "$.owner_field", f"{owner!r} is not a column holding a user id or username"))
    for i, (role, access) in enumerate(entity.access.items()):
        for name in ("hidden", "readonly"):
            for key in sorted(getattr(access, name) - set(entity.by_key)):
                problems.append(Problem(file, f"$.permissions[{i}].{name}_fields",
                                        f"{key!r} is not a field of {entity.key}"))
        if access.rows is not None:
            try:
                rules[role] = compile_where(access.rows, table, f"$.permissions[{i}].rows")
            except SqlRuleError as exc:
                problems.append(Problem(file, exc.path, str(exc).split(": ", 1)[1]))
    return rules


def _rollups(entity: Entity, entities: Mapping[str, Entity], tables: Mapping[str, sa.Table], file: str,
             problems: list[Problem]) -> tuple[Rollup, ...]:
    found = []
    for i, f in enumerate(entity.fields):
        if f.rollup is None:
            continue
        spec, base = f.rollup, f"$.fields[{i}].rollup"
        source = entities.get(spec["entity"])
        if source is None or source.child:
            problems.append(Problem(file, f"{base}.entity", f"{spec['entity']!r} is not an entity with records"))
            continue
        match = tuple((theirs, ours) for theirs, ours in (spec.get("match") or {}).items())
        bad_match = [f"{theirs} = {ours}" for theirs, ours in match
                     if theirs not in tables[source.key].c or ours not in tables[entity.key].c]
        if bad_match:
            problems.append(Problem(file, f"{base}.match", f"{', '.join(bad_match)}: each pair names a stored field "
                                    f"of {source.key} and one of {entity.key}"))
            continue
        link = source.by_key.get(spec["link"]) if "link" in spec else None
        if not match and (link is None or link.type != "link" or link.to != entity.key):
            problems.append(Problem(file, f"{base}.link", f"{spec.get('link')!r} is not a link field of "
                                    f"{source.key} pointing to {entity.key}"))
            continue
        value_field = spec.get("field")
        if spec["op"] != "count":
            target = source.by_key.get(value_field or "")
            if target is None or target.value_type not in ("integer", "decimal", "date", "datetime"):
                problems.append(Problem(file, f"{base}.field", f"{spec['op']} needs a number or date field of "
                                        f"{source.key}; {value_field!r} is not one"))
                continue
        where = None
        if "where" in spec:
            try:
                where = compile_where(spec["where"], tables[source.key], f"{base}.where")
            except SqlRuleError as exc:
                problems.append(Problem(file, exc.path, str(exc).split(": ", 1)[1]))
                continue
        found.append(Rollup(f, source.key, link.key if link is not None else None, spec["op"], value_field, where,
                            match))
    return tuple(found)


def validate_apps(apps: Apps) -> list[Problem]:
    """Schema and cross-document checks of a full set of documents."""
    problems = []
    for app_key, docs in apps.items():
        for rel, doc in docs.items():
            problems += validate_document(doc, f"{app_key}/{rel}", kind="app" if rel == "app.json" else None)
    if problems:
        return problems
    resolved, problems = resolve_settings(apps)
    return problems or check_entities(resolved)


#: A feature compiler reads a core snapshot and returns (feature name, compiled value, problems).
FeatureCompiler = Callable[[Snapshot], tuple[str, Any, list[Problem]]]


def compile_snapshot(version: int, apps: Apps, engine: Engine | None = None,
                     features: Sequence[FeatureCompiler] = ()) -> Snapshot:
    """Validate and compile a revision's documents; raise MetadataError listing every problem.

    Entities are compiled here; every other kind of document is compiled by the feature that
    owns it (``features``), so this module stays below workflows, channels and dashboards.
    """
    problems = validate_apps(apps)
    if problems:
        raise MetadataError(problems)
    apps = resolve_settings(apps)[0]  # every rule below reads a setting's value, never the reference
    engine = engine or default_engine()
    docs = entity_documents(apps)
    entities = {key: build_entity(doc) for key, (_file, doc) in docs.items()}
    metadata, tables = build_tables(entities)
    schemas: dict[str, Any] = {}
    compiled: dict[str, CompiledEntity] = {}
    order = sorted(entities.values(), key=lambda e: not e.child)  # children first: parents nest them
    for entity in order:
        schema_cls = build_schema(entity, {k: type(s) for k, s in schemas.items()})
        schemas[entity.key] = schema_cls()
        compiled[entity.key] = _compile_entity(entity, tables[entity.key], schemas[entity.key], engine,
                                               docs[entity.key][0], problems, entities, tables)
    feeds: dict[str, list[Feed]] = {}
    for ce in compiled.values():
        for r in ce.rollups:
            feed = Feed(ce.key, r.link, r.match)
            if feed not in feeds.setdefault(r.source, []):
                feeds[r.source].append(feed)
    for source, pairs in feeds.items():
        compiled[source] = replace(compiled[source], feeds=tuple(pairs))
    if problems:
        raise MetadataError(problems)
    roles: dict[str, Text] = {"admin": Text("管理员", "Administrator")}
    for docs_of_app in apps.values():
        for role in docs_of_app.get("app.json", {}).get("roles", ()):
            roles.setdefault(role["key"], Text.of(role["label"]))
    core = Snapshot(
        version=version, apps=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in apps.items()}),
        entities=MappingProxyType(entities), metadata=metadata, tables=MappingProxyType(tables),
        compiled=MappingProxyType(compiled), roles=MappingProxyType(roles), rules=engine,
    )
    built: dict[str, Any] = {}
    for compile_feature in features:
        name, value, found = compile_feature(core)
        built[name] = value
        problems += found
    if problems:
        raise MetadataError(problems)
    return replace(core, features=MappingProxyType(built))
