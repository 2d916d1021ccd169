"""One import's setting-up, shared by the screen, the API, the CLI and the background job.

:func:`prepare` reads the file, finds the template made for it (named, or recognised by its
headers), locates the table (the header row found with the help of every name a column may
have) and builds the :class:`~sunmao.imports.runner.Plan`: which column fills what, the key
column, and per link what a miss means. A plan is stored with the upload as plain JSON
(:func:`plan_json` / :func:`plan_from_json`), so a job can run exactly what the user saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sunmao.imports.layout import Table, locate
from sunmao.imports.reader import RawSheet, read_sheet
from sunmao.imports.runner import Plan
from sunmao.imports.targets import Target, entity_targets, norm
from sunmao.imports.template import LinkRule, Template, auto_map, find_template, named, templates_of
from sunmao.meta.model import Entity
from sunmao.records import RecordService


@dataclass
class Prepared:
    entity: Entity
    sheet: RawSheet
    table: Table
    targets: dict[str, Target]
    templates: list[Template]
    template: Template | None
    plan: Plan


class UnknownTemplate(LookupError):
    pass


def _names(targets: Mapping[str, Target], templates: list[Template]) -> set[str]:
    names = {norm(n) for t in targets.values() for n in t.names}
    names |= {norm(n) for tpl in templates for c in tpl.columns for n in (c.header, *c.synonyms) if n}
    return names


def build_plan(entity: Entity, targets: Mapping[str, Target], table: Table, template: Template | None,
               templates: list[Template], *, columns: Mapping[int, str] | None = None, key_field: str | None = None,
               if_missing: Mapping[str, str] | None = None) -> Plan:
    """The plan for ``table``: chosen columns (or matched ones), key field and link settings."""
    ordered = ([template] if template else []) + [t for t in templates if t is not template]
    chosen = dict(columns) if columns is not None else auto_map(targets, table.headers, ordered)
    chosen = {i: p for i, p in chosen.items() if p in targets and i < len(table.headers)}
    mapped = set(chosen.values())
    if key_field is None:
        key_field = template.key_field if template and template.key_field in mapped else (
            "name" if "name" in mapped else None)
    if key_field and key_field not in mapped:
        key_field = None
    links: dict[str, LinkRule] = {}
    for t in targets.values():
        path = t.link_path
        if path and t.path in mapped or (path and any(p.startswith(path + ".") for p in mapped if p != path)):
            rule = (template.links.get(path) if template else None) or LinkRule()
            if if_missing and if_missing.get(path) in ("refuse", "create"):
                rule = replace(rule, if_missing=if_missing[path])
            links.setdefault(path, rule)
    cleans: dict[int, str] = {}
    for i, path in chosen.items():
        column = template.column_for(path) if template else None
        t = targets[path]
        phone = t.link_path in links and any(m.kind == "phone" and m.field == t.sub for m in links[t.link_path].match)
        if column is not None and column.clean:
            cleans[i] = column.clean
        elif phone:
            cleans[i] = "phone"
    wanted = set(template.skip_unless) if template else set()
    needs_any = tuple(i for i, path in chosen.items() if path in wanted)
    return Plan(entity.key, chosen, key_field, links, cleans, needs_any)


def prepare(service: RecordService, entity_key: str, data: bytes, filename: str, *, template: str | None = None,
            sheet: str | None = None, header_row: int | None = None, columns: Mapping[int, str] | None = None,
            key_field: str | None = None, if_missing: Mapping[str, str] | None = None) -> Prepared:
    """Read and set up one import (see the module); SheetError when the file cannot be used."""
    entity = service.compiled(entity_key).entity
    targets = entity_targets(service.snapshot, entity)
    templates = templates_of(service.db, service.snapshot, entity.key)
    chosen = None
    if template:
        chosen = named(templates, template)
        if chosen is None:
            raise UnknownTemplate(template)
    raw = read_sheet(data, filename, sheet)
    names = _names(targets, [chosen] if chosen else templates)
    table = locate(raw, lambda text: norm(text) in names, header_row or (chosen.header_row if chosen else None))
    if chosen is None:
        chosen = find_template(templates, table.headers)
        if chosen is not None and chosen.header_row and not header_row and chosen.header_row != table.header_row:
            table = locate(raw, None, chosen.header_row)
    plan = build_plan(entity, targets, table, chosen, templates, columns=columns, key_field=key_field,
                      if_missing=if_missing)
    return Prepared(entity, raw, table, targets, templates, chosen, plan)


def plan_json(prepared: Prepared, **extra: Any) -> dict[str, Any]:
    plan = prepared.plan
    return {"columns": {str(i): p for i, p in plan.columns.items()}, "key_field": plan.key_field,
            "if_missing": {p: r.if_missing for p, r in plan.links.items()},
            "template": prepared.template.key if prepared.template else None,
            "sheet": prepared.table.sheet, "header_row": prepared.table.header_row,
            "rows": len(prepared.table.rows), **extra}


def prepare_stored(service: RecordService, entity_key: str, data: bytes, filename: str, stored: Mapping[str, Any]
                   ) -> Prepared:
    """:func:`prepare` again with a plan stored by :func:`plan_json` (the job, the confirm step)."""
    return prepare(service, entity_key, data, filename, template=stored.get("template"), sheet=stored.get("sheet"),
                   header_row=stored.get("header_row"),
                   columns={int(i): p for i, p in (stored.get("columns") or {}).items()},
                   key_field=stored.get("key_field") or "", if_missing=stored.get("if_missing"))
