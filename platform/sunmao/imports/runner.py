"""Turn spreadsheet rows into records: convert cells, resolve links, validate, then commit.

:func:`run_import` is a plain function of (record service, actor, rows, mapping): the screens
call it in the request for files up to a few thousand rows, and a background job can call it
unchanged for larger ones. A preview (``commit=False``) validates every row through the record
service's own checks and writes nothing; a commit writes every row or none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from sunmao.errors import FieldErrors, ValidationFailed
from sunmao.i18n import Text
from sunmao.imports.dryrun import validate_many, write_rows
from sunmao.meta.model import Entity, Field
from sunmao.records import Actor, RecordService

TRUE = {"1", "true", "yes", "y", "是", "对", "✓", "√", "启用", "x"}
FALSE = {"0", "false", "no", "n", "否", "不", "×", "停用", ""}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_ROW = re.compile(r"^\[(\d+)\]\.?(.*)$")


@dataclass
class RowProblem:
    row: int  # 1-based data row, as the user counts below the header
    field: str
    messages: list[Text]


@dataclass
class ImportResult:
    total: int
    created: int = 0
    updated: int = 0
    committed: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self, lang: str) -> dict[str, Any]:
        return {"total": self.total, "created": self.created, "updated": self.updated, "committed": self.committed,
                "problems": [{"row": p.row, "field": p.field, "messages": [m.get(lang) for m in p.messages]}
                             for p in self.problems]}


def _bad(f: Field, raw: Any, zh: str, en: str) -> Text:
    return Text(f"“{raw}”{zh}", f"{raw!r} {en}")


def convert(f: Field, raw: Any) -> tuple[Any, Text | None]:
    """One cell to the API form of a field's value, or an error in both languages."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        return None, None
    t = f.type
    if t in ("string", "text"):
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        return str(raw), None
    if t == "decimal":
        try:
            value = Decimal(str(raw).replace(",", "").replace("，", "").replace("¥", "").replace("￥", ""))
        except InvalidOperation:
            return None, _bad(f, raw, "不是数字", "is not a number")
        if f.scale is not None and isinstance(raw, float):
            value = round(value, f.scale)
        return format(value, "f"), None
    if t == "integer":
        try:
            number = Decimal(str(raw).replace(",", ""))
        except InvalidOperation:
            return None, _bad(f, raw, "不是整数", "is not a whole number")
        if number != number.to_integral_value():
            return None, _bad(f, raw, "不是整数", "is not a whole number")
        return int(number), None
    if t == "boolean":
        text = str(raw).strip().lower()
        if text in TRUE or raw is True:
            return True, None
        if text in FALSE or raw is False:
            return False, None
        return None, _bad(f, raw, "应为 是/否", "should be yes or no")
    if t == "date":
        if isinstance(raw, datetime):
            return raw.date().isoformat(), None
        if isinstance(raw, date):
            return raw.isoformat(), None
        m = _DATE.match(str(raw))
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat(), None
            except ValueError:
                pass
        return None, _bad(f, raw, "不是日期（如 2026-11-25）", "is not a date (e.g. 2026-11-25)")
    if t == "datetime":
        if isinstance(raw, datetime):
            return raw.isoformat(), None
        return str(raw), None
    if t in ("select", "multiselect"):
        parts = [str(raw)]
        if t == "multiselect":
            parts = [p.strip() for p in re.split(r"[,，、;；]", str(raw)) if p.strip()]
        values = []
        for part in parts:
            option = next((o for o in f.options if part in (o.value, o.label.zh, o.label.en)), None)
            if option is None:
                allowed = "、".join(o.label.zh for o in f.options)
                return None, Text(f"“{part}”不是可选值；可选：{allowed}",
                                  f"{part!r} is not an option; choose from "
                                  f"{', '.join(o.label.en for o in f.options)}")
            values.append(option.value)
        return (values if t == "multiselect" else values[0]), None
    return raw, None


def _resolve_links(service: RecordService, actor: Actor, entity: Entity, payloads: list[dict[str, Any]],
                   problems: dict[tuple[int, str], list[Text]]) -> None:
    """Replace link cells (a title like 宁波鑫达五金, a number like CUS-00012, or an id) by ids."""
    snap = service.snapshot
    for f in entity.fields:
        if f.type != "link":
            continue
        texts = {str(p[f.key]) for p in payloads if isinstance(p.get(f.key), str)}
        if not texts:
            continue
        target = snap.entities[f.to or ""]
        table = snap.tables[target.key]
        found: dict[str, int] = {}
        if actor.can(target, "read"):
            columns = [table.c.name] + ([table.c[target.title_field]] if target.title_field and
                                        target.title_field != "name" else [])
            with service.db.read() as conn:
                for column in columns:
                    rows = conn.execute(sa.select(column, table.c.id).where(column.in_(sorted(texts)),
                                                                           table.c.deleted_at.is_(None)))
                    for text, record_id in rows:
                        found.setdefault(str(text), record_id)
        for i, p in enumerate(payloads):
            value = p.get(f.key)
            if not isinstance(value, str):
                continue
            if value in found:
                p[f.key] = found[value]
            elif value.isdigit():
                p[f.key] = int(value)
            else:
                problems.setdefault((i, f.key), []).append(
                    Text(f"找不到{target.label.zh}“{value}”", f"no {target.label.en} named {value!r}"))
                p.pop(f.key)


def _existing(service: RecordService, entity: Entity, key_field: str, payloads: list[dict[str, Any]]
              ) -> dict[int, int]:
    """Row index → id of the live record that has the row's business key (for upserts)."""
    table = service.snapshot.tables[entity.key]
    values = {p.get(key_field) for p in payloads if p.get(key_field) not in (None, "")}
    if not values:
        return {}
    with service.db.read() as conn:
        rows = conn.execute(sa.select(table.c[key_field], table.c.id).where(table.c[key_field].in_(sorted(values)),
                                                                            table.c.deleted_at.is_(None)))
        by_value = {str(v): i for v, i in rows}
    return {i: by_value[str(p[key_field])] for i, p in enumerate(payloads) if str(p.get(key_field)) in by_value}


def _row_problems(errors: FieldErrors, extra: dict[tuple[int, str], list[Text]]) -> list[RowProblem]:
    merged: dict[tuple[int, str], list[Text]] = {k: list(v) for k, v in extra.items()}
    for path, messages in errors.items():
        m = _ROW.match(path)
        key = (int(m[1]), m[2] or "_record") if m else (-1, path)
        bucket = merged.setdefault(key, [])
        bucket += [x for x in messages if x not in bucket]
    return [RowProblem(row + 1, fld, msgs) for (row, fld), msgs in sorted(merged.items())]


def run_import(service: RecordService, actor: Actor, entity_key: str, headers: Sequence[str],
               rows: Sequence[Sequence[Any]], mapping: Mapping[str, str], *, key_field: str | None = None,
               commit: bool = False) -> ImportResult:
    """Validate (and with ``commit``, write) the rows; every row or none is written."""
    entity = service.compiled(entity_key).entity
    result = ImportResult(total=len(rows))
    extra: dict[tuple[int, str], list[Text]] = {}
    columns = [(i, entity.by_key[mapping[h]]) for i, h in enumerate(headers) if mapping.get(h) in entity.by_key]
    payloads = []
    for r, row in enumerate(rows):
        payload: dict[str, Any] = {}
        for i, f in columns:
            value, error = convert(f, row[i] if i < len(row) else None)
            if error is not None:
                extra.setdefault((r, f.key), []).append(error)
            elif value is not None:
                payload[f.key] = value
        payloads.append(payload)
    _resolve_links(service, actor, entity, payloads, extra)
    result.payloads = payloads
    existing = _existing(service, entity, key_field, payloads) if key_field else {}
    updates = {i: (existing[i], payloads[i]) for i in existing}
    extra_rows = {row for row, _key in extra}
    errors = validate_many(service, entity_key, payloads, actor, updates=updates) if payloads else {}
    result.problems = _row_problems(errors, extra)
    if not result.ok or not commit or extra_rows:
        return result
    try:
        result.created, result.updated = write_rows(service, entity_key, payloads, actor, updates=updates)
    except ValidationFailed as exc:  # a concurrent change made a row invalid after the preview
        result.problems = _row_problems(exc.errors, {})
        return result
    result.committed = True
    return result
