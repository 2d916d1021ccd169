"""Listing records: filters, search, sort, keyset or page pagination, a capped count.

Query parameters, as the API takes them::

    ?customer=12&amount__gt=50000&status__in=draft,submitted&remarks__like=急&due_date__is_null=false
    &q=宁波&sort=-due_date,name&limit=50&after=<cursor>&fields=name,customer,amount

The total is counted up to ``COUNT_CAP`` rows and reported as capped beyond that, so a list
over a large table never pays for a full COUNT; keyset cursors keep deep pages as fast as
the first one.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from sunmao.errors import ValidationFailed
from sunmao.fields import field_type
from sunmao.i18n import Text
from sunmao.meta.model import Field
from sunmao.records.compiled import CompiledEntity
from sunmao.records.messages import out_of_range, translate
from sunmao.records.schema import UNSTORABLE, schema_field
from sunmao.records.values import INT64_MAX, json_value

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "like", "is_null")
COUNT_CAP = 10_000
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
SYSTEM_FILTERABLE = {"id": "integer", "name": "string", "version": "integer", "created_at": "datetime",
                     "updated_at": "datetime", "created_by": "integer"}
SYSTEM_BOUNDS = {"id": (1, INT64_MAX), "version": (1, 2**31 - 1)}
RESERVED_PARAMS = {"q", "sort", "limit", "page", "after", "fields"}
MAX_PAGE = 1_000_000  # deeper pages: the keyset cursor (`after`)
WHOLE = re.compile(r"[0-9]{1,19}")
FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


@dataclass
class ListQuery:
    filters: list[tuple[str, str, Any]] = field(default_factory=list)
    search: str | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    page: int | None = None
    after: str | None = None
    fields: list[str] | None = None


def _bad(param: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed(errors={param: [Text(zh, en)]})


def system_field(key: str, kind: str) -> Field:
    """A system column as a field, to parse and document its filter (``version`` is a 32-bit INTEGER)."""
    low, high = SYSTEM_BOUNDS.get(key, (None, None))
    return Field(id=key, key=key, type=kind, label=Text(key, key), min=low, max=high)


def _whole(args: Mapping[str, str], name: str, default: int | None, low: int, high: int) -> int | None:
    """A whole-number parameter in ASCII digits (``int`` would take " 5" and "٥") within its range."""
    raw = args.get(name)
    if raw is None:
        return default
    if not WHOLE.fullmatch(raw):
        raise _bad(name, f"{name} 应为整数", f"{name} must be a whole number")
    value = int(raw)
    if not low <= value <= high:
        raise ValidationFailed(errors={name: [out_of_range(low, high)]})
    return value


def _keys(args: Mapping[str, str], name: str) -> list[str]:
    """A comma-separated list of keys (``sort``, ``fields``); an empty element is a mistake."""
    raw = args.get(name) or ""
    keys = raw.split(",") if raw else []
    if "" in keys:
        raise _bad(name, f"{name} 中有空项", f"{name} has an empty item")
    return keys


def _field_types(ce: CompiledEntity) -> dict[str, str]:
    types = dict(SYSTEM_FILTERABLE)
    if ce.entity.child:
        types.pop("name")
    for f in ce.entity.stored_fields:
        if not f.hidden:
            types[f.key] = f.value_type
    return types


def parse_query(ce: CompiledEntity, args: Mapping[str, str]) -> ListQuery:
    """Read list parameters; every mistake is reported against the parameter that made it."""
    query = ListQuery()
    types = _field_types(ce)
    for param, raw in args.items():
        if "\x00" in raw:
            raise _bad(param, "不能包含 NUL 字符", "may not contain a NUL character")
        if param in RESERVED_PARAMS:
            continue
        key, _, op = param.partition("__")
        op = op or "eq"
        if "." in key and _linked_column(ce, key) is not None:
            kind = _column_kind(_linked_column(ce, key))  # type: ignore[arg-type]
        elif key not in types:
            raise _bad(param, f"不能按 {key} 筛选；可用：{', '.join(types)}",
                       f"cannot filter on {key!r}; filterable: {', '.join(types)}")
        else:
            kind = types[key]
        if op not in OPERATORS:
            raise _bad(param, f"未知运算 {op}；可用：{', '.join(OPERATORS)}",
                       f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
        if not field_type(kind).sortable and op not in ("is_null",):
            raise _bad(param, "该字段只能按是否为空筛选", "this field can only be filtered with is_null")
        if op == "is_null" and raw.lower() not in FLAGS:
            raise _bad(param, "应为 true 或 false", "must be true or false")
        query.filters.append((key, op, raw))
    query.search = (args.get("q") or "").strip() or None
    for part in _keys(args, "sort"):
        desc = part.startswith("-")
        key = part[1:] if desc else part
        if key not in types or not field_type(types[key]).sortable:
            raise _bad("sort", f"不能按 {key} 排序", f"cannot sort by {key!r}")
        query.sort.append((key, desc))
    query.limit = _whole(args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    query.page = _whole(args, "page", None, 1, MAX_PAGE)
    query.after = args.get("after") or None
    if query.after and query.page:
        raise _bad("after", "after 与 page 不能同时使用", "use either after (keyset) or page, not both")
    if args.get("fields"):
        query.fields = _keys(args, "fields")
        known = {f.key for f in ce.entity.fields if not f.hidden}
        unknown = [k for k in query.fields if k not in known and k not in SYSTEM_FILTERABLE]
        if unknown:
            raise _bad("fields", f"未知字段：{', '.join(unknown)}", f"unknown fields: {', '.join(unknown)}")
    return query


TEXTUAL = ("string", "text", "select")


def _convert(ce: CompiledEntity, key: str, kind: str, raw: Any, param: str) -> Any:
    f = ce.entity.by_key.get(key)
    if kind in TEXTUAL:
        text = str(raw)
        if UNSTORABLE.search(text):  # a NUL or a lone surrogate (a cursor is JSON) never matches a row
            raise _bad(param, "不能包含 NUL 字符或无效的 Unicode 代理字符", "may not contain NUL or lone surrogates")
        if kind == "select" and f is not None and text not in f.option_values:
            raise _bad(param, f"{text} 不是可选值；可选：{'、'.join(f.option_values)}",
                       f"{text} is not an option; choose from {', '.join(f.option_values)}")
        return text
    if f is not None and f.type == "computed":
        f = replace(f, type=f.value_type)  # filter values parse like the stored result
    proxy = f if f is not None else system_field(key, kind)
    try:
        return schema_field(proxy, {}, exact=False).deserialize(raw)
    except ma.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, list) else [exc.messages]
        raise ValidationFailed(errors={param: [translate(m) for m in messages]}) from None


#: The filter kind of a linked record's column, by its SQL type (the linked entity is not at hand here).
_COLUMN_KINDS = (("UTCDateTime", "datetime"), ("Money", "decimal"), ("Date", "date"), ("Boolean", "boolean"),
                 ("Integer", "integer"), ("JSON", "json"), ("String", "string"), ("Text", "string"))


def _linked_column(ce: CompiledEntity, key: str) -> sa.Column | None:
    """``link.field``: a stored column of the record a link field points at (``customer.grade=A``)."""
    link, _, column = key.partition(".")
    f = ce.entity.by_key.get(link)
    if f is None or f.type != "link" or "." in column:
        return None
    target = ce.table.metadata.tables.get(f"t_{f.to}")
    return target.c[column] if target is not None and column in target.c and column != "deleted_at" else None


def _column_kind(col: sa.Column) -> str:
    names = [cls.__name__ for cls in type(col.type).__mro__]
    return next((kind for name, kind in _COLUMN_KINDS if name in names), "string")


def build_filters(ce: CompiledEntity, query: ListQuery, *, dialect: str | None = None
                  ) -> list[sa.ColumnElement[bool]]:
    table = ce.table
    types = _field_types(ce)
    where: list[sa.ColumnElement[bool]] = []
    if not ce.entity.child:
        where.append(table.c.deleted_at.is_(None))
    for key, op, raw in query.filters:
        linked = _linked_column(ce, key) if "." in key else None
        col = linked if linked is not None else table.c[key]
        kind = _column_kind(linked) if linked is not None else types[key]
        param = key if op == "eq" else f"{key}__{op}"
        if op == "is_null":
            condition = col.is_(None) if FLAGS[str(raw).lower()] else col.is_not(None)
        elif op == "in":
            values = [_convert(ce, key, kind, v, param) for v in str(raw).split(",") if v != ""]
            condition = col.in_(values)
        elif op == "like":
            text = str(raw)
            pattern = text if ("%" in text or "_" in text) else f"%{text}%"
            # PostgreSQL has no ILIKE for numbers or dates: compare their text, as SQLite does
            condition = (col if kind in TEXTUAL else sa.cast(col, sa.String)).ilike(pattern)
        else:
            value = _convert(ce, key, kind, raw, param)
            condition = {"eq": col.__eq__, "ne": col.__ne__, "lt": col.__lt__, "le": col.__le__,
                         "gt": col.__gt__, "ge": col.__ge__}[op](value)
        if linked is not None:  # the records whose linked record matches
            condition = table.c[key.partition(".")[0]].in_(sa.select(linked.table.c.id).where(condition))
        where.append(condition)
    if query.search:
        # a trigram index serves a text of three characters or more; a shorter one reads the table anyway
        where.append(_search(ce, query.search, union=dialect == "postgresql" and len(query.search) >= 3))
    return where


def _search(ce: CompiledEntity, text: str, *, union: bool) -> sa.ColumnElement[bool]:
    """``q=``: the records any of whose search fields (own, or a linked record's) holds ``text``.

    Each field is one ILIKE that an index can serve (a trigram index on PostgreSQL, declared from
    the search fields). An OR of them, with a link's matches as a subquery, makes PostgreSQL read
    the whole table; so there (``union``) the matches are one UNION of per-field index scans — a
    linked record's through the link's own index — joined to the table by id. SQLite has no index
    for ``LIKE '%…%'`` and reads the table once with the OR."""
    terms = search_terms(text)
    return sa.and_(*(_search_term(ce, term, union=union and len(term) >= 3) for term in terms)) \
        if len(terms) > 1 else _search_term(ce, terms[0] if terms else text, union=union)


def search_terms(text: str) -> list[str]:
    """Words in any order: each word of ``q`` must match some search field. A run of four or more
    Chinese characters is taken two by two (宁波精工 finds 宁波市精工实业: 宁波 and 精工), since
    Chinese names are written without spaces and people leave out 市, 省, 有限公司."""
    terms: list[str] = []
    for word in text.split():
        if len(word) >= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in word):
            terms += [word[i:i + 2] for i in range(0, len(word), 2)]
        else:
            terms.append(word)
    return list(dict.fromkeys(terms))


def _search_term(ce: CompiledEntity, text: str, *, union: bool) -> sa.ColumnElement[bool]:
    table = ce.table
    keys = [k for k in ce.entity.search_fields if "." not in k] or \
        ([ce.entity.title_field] if ce.entity.title_field and not ce.search_links else [])
    keys = list(dict.fromkeys([*keys, *([] if ce.entity.child else ["name"])]))
    pattern = "%" + text.replace("%", r"\%").replace("_", r"\_") + "%"
    own = [_text(table.c[k]).ilike(pattern, escape="\\") for k in keys]
    linked = []
    for link, target, target_columns in ce.search_links:
        # the records whose linked record matches (a stock level by its product's SKU or name)
        hits = sa.select(target.c.id).where(target.c.deleted_at.is_(None), sa.or_(
            *(_text(target.c[k]).ilike(pattern, escape="\\") for k in target_columns)))
        linked.append(table.c[link].in_(hits))
    if not union:
        return sa.or_(*own, *linked)
    branches = [sa.select(table.c.id).where(condition) for condition in [*own, *linked]]
    return table.c.id.in_(sa.union(*branches))


def _text(column: sa.Column) -> sa.ColumnElement[Any]:
    """A column as the search reads it: text columns as they are (so a trigram index serves the
    ILIKE), others cast to text."""
    return column if isinstance(column.type, sa.String) else sa.cast(column, sa.String)


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([json_value(v) for v in values]).encode()).decode().rstrip("=")


def _decode_cursor(ce: CompiledEntity, cursor: str, keys: list[tuple[str, bool]]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(keys):
            raise ValueError
    except ValueError:
        raise _bad("after", "after 游标无效（排序改变后需从第一页重新开始）",
                   "the after cursor is not valid (start again from the first page after changing the sort)"
                   ) from None
    types = _field_types(ce)
    return [None if v is None else _convert(ce, k, types[k], v, "after") for (k, _), v in zip(keys, raw, strict=True)]


def _keyset(table: sa.Table, keys: list[tuple[str, bool]], values: list[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (NULL sorts as the largest value)."""
    clauses = []
    equal: list[sa.ColumnElement[bool]] = []
    for (key, desc), value in zip(keys, values, strict=True):
        col = table.c[key]
        if value is None:
            after = col.is_not(None) if desc else sa.false()
            same = col.is_(None)
        else:
            after = (col < value) if desc else sa.or_(col > value, col.is_(None))
            same = col == value
        clauses.append(sa.and_(*equal, after))
        equal.append(same)
    return sa.or_(*clauses)


def run_list(conn: sa.Connection, ce: CompiledEntity, query: ListQuery,
             scope: sa.ColumnElement[bool] | None = None) -> tuple[list[dict], dict[str, Any]]:
    """Return the page's rows and the paging facts (total, capped, next cursor).

    ``scope`` is the reader's row filter (their role's data scope and row rules), part of the
    same SQL: a restricted role's list costs what an admin's does."""
    table = ce.table
    where = build_filters(ce, query, dialect=conn.dialect.name) + ([scope] if scope is not None else [])
    keys = list(query.sort) + [("id", False)]
    order = []
    for key, desc in keys:
        col = table.c[key]
        order.append(col.desc().nulls_first() if desc else col.asc().nulls_last())
    stmt = sa.select(table).where(*where).order_by(*order).limit(query.limit + 1)
    if query.after:
        stmt = stmt.where(_keyset(table, keys, _decode_cursor(ce, query.after, keys)))
    elif query.page:
        stmt = stmt.offset((query.page - 1) * query.limit)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    capped = sa.select(table.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = conn.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one()
    info: dict[str, Any] = {"total": min(total, COUNT_CAP), "total_capped": total > COUNT_CAP,
                            "limit": query.limit}
    if query.page:
        info["page"] = query.page
    if more and rows:
        info["next"] = _encode_cursor([rows[-1][k] for k, _ in keys])
    return rows, info
