"""Related lists on a record page: the records of other entities that link to this one.

Declared per entity in its document (``related``: entity + link field + columns + sort + limit);
compiled here into ``features["related"]`` (entity key → its related lists), checked at publish
time. The record page reads each list through ``RecordService.list`` as the user, with the count
and a link to the whole list filtered on the link (``/app/<entity>?<field>=<id>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlencode

from sunmao.errors import SunmaoError
from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.records.query import SYSTEM_FILTERABLE, ListQuery
from sunmao.snapshot import Snapshot
from sunmao.web.screens import shell
from sunmao.web.screens.fields import collect_links, display, fetch_titles, option_color, value_href
from sunmao.web.screens.layouts import field_or_system, main_view


@dataclass(frozen=True)
class RelatedList:
    entity: str
    field: str
    label: Text | None
    columns: tuple[str, ...]
    sort: tuple[str, ...]
    limit: int


def compile_related(snapshot: Snapshot) -> tuple[str, Mapping[str, tuple[RelatedList, ...]], list[Problem]]:
    """Feature compiler: each entity's ``related`` lists, their entity, link and columns checked."""
    problems: list[Problem] = []
    out: dict[str, tuple[RelatedList, ...]] = {}
    for file, doc in snapshot.documents("entity"):
        found = []
        for i, spec in enumerate(doc.get("related") or ()):
            path = f"$.related[{i}]"
            target = snapshot.entities.get(spec["entity"])
            if target is None or target.child:
                problems.append(Problem(file, f"{path}.entity", f"there is no top-level entity {spec['entity']!r}"))
                continue
            link = target.by_key.get(spec["field"])
            if link is None or link.type != "link" or link.to != doc["key"]:
                problems.append(Problem(file, f"{path}.field", f"{spec['field']!r} is not a link of {target.key} "
                                        f"to {doc['key']}"))
                continue
            known = set(target.by_key) | set(SYSTEM_FILTERABLE)
            columns = tuple(spec.get("columns") or ())
            sort = tuple(spec.get("sort") or ("-created_at",))
            for key in [*columns, *(s.lstrip("-") for s in sort)]:
                if key not in known:
                    problems.append(Problem(file, f"{path}", f"{target.key} has no field {key!r}"))
            found.append(RelatedList(target.key, link.key, Text.of(spec["label"]) if spec.get("label") else None,
                                     columns, sort, int(spec.get("limit", 10))))
        if found:
            out[doc["key"]] = tuple(found)
    return "related", MappingProxyType(out), problems


def related_lists(entity_key: str, record_id: int, lang: str) -> list[dict[str, Any]]:
    """The record page's related lists, each read as the user; lists they may not read are left out."""
    snap = shell.snapshot()
    service = shell.records()
    actor = shell.actor()
    out = []
    for spec in snap.features.get("related", {}).get(entity_key, ()):
        target = snap.entities[spec.entity]
        if not actor.can(target, "read"):
            continue
        readable = set(service.readable_fields(target.key, actor)) | {"name", "created_at", "updated_at"}
        keys = [k for k in (spec.columns or main_view(snap, target).columns) if k in readable and k != spec.field]
        query = ListQuery(filters=[(spec.field, "eq", str(record_id))],
                          sort=[(s.lstrip("-"), s.startswith("-")) for s in spec.sort], limit=spec.limit)
        try:
            result = service.list(target.key, query, actor=actor)
        except SunmaoError:
            continue
        items = result["items"]
        titles = fetch_titles(service, actor, collect_links(snap, target, items))
        fields = [field_or_system(target, k) for k in keys]
        rows = [{"id": item["id"], "cells": [
            {"text": display(f, item.get(f.key), lang, titles, item), "type": f.value_type,
             "href": value_href(f, item.get(f.key)),
             "color": option_color(f, item.get(f.key)) if f.type == "select" else None} for f in fields]}
            for item in items]
        out.append({"key": f"{target.key}-{spec.field}", "entity": target.key,
                    "label": (spec.label or target.label).get(lang), "total": result.get("total", len(items)),
                    "capped": result.get("total_capped", False),
                    "headers": [(f.label.get(lang), f.value_type) for f in fields], "rows": rows,
                    "url": f"/app/{target.key}?" + urlencode({spec.field: record_id}),
                    "new_url": f"/app/{target.key}/new?" + urlencode({spec.field: record_id})
                    if actor.can(target, "create") else None})
    return out
