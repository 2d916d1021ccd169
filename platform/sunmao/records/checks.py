"""Stage 3 of a write — checks and guards: whether the record may be written as it stands.

Who may do what (:func:`authorize`, the fields a role may not read or set, the rows it may
see), required fields and validation rules (:func:`required`, :func:`judge`, run per record by
:func:`.defaults.complete`), links to live records (:func:`links`), free unique values
(:func:`unique`), and the guards of an edit: the optimistic version, the state field that only a
workflow action moves, the fields a state freezes. Every check adds to an
:class:`~.context.Errors` or raises; nothing is written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from sunmao import clock
from sunmao.errors import Forbidden, PreconditionFailed, RecordLocked
from sunmao.i18n import Text
from sunmao.meta.model import ADMIN_ROLE
from sunmao.records.compiled import Check, CompiledEntity
from sunmao.records.context import RECORD, Actor, Context, Errors, Links, chunks, empty, evaluate, join
from sunmao.records.messages import CATALOG
from sunmao.rules.coerce import truthy
from sunmao.storage import Prepared
from sunmao.storage import system as sm

FILES = "sm_file"
_FILE_IDS = Prepared(sa.select(sm.file.c.id).where(sm.file.c.id.in_(sa.bindparam("ids", expanding=True))))


# -- who may do what -------------------------------------------------------------------------

def authorize(actor: Actor, ce: CompiledEntity, action: str) -> None:
    if not actor.can(ce.entity, action):
        labels = {"read": ("查看", "read"), "create": ("新建", "create"), "update": ("修改", "change"),
                  "delete": ("删除", "delete")}[action]
        raise Forbidden(Text(f"你的角色不能{labels[0]}{ce.entity.label.zh}",
                             f"your role may not {labels[1]} {ce.entity.label.en} records"))


def _roles(ce: CompiledEntity, actor: Actor, action: str = "read") -> list[str] | None:
    """The actor's roles that grant ``action``; None when nothing restricts them (admin, system)."""
    if actor.system or ADMIN_ROLE in actor.roles:
        return None
    return [r for r in sorted(actor.roles) if action in ce.entity.permissions.get(r, ())]


def hidden(ce: CompiledEntity, actor: Actor) -> frozenset[str]:
    """Fields hidden from every role through which the actor reads the entity."""
    roles = _roles(ce, actor)
    if not roles:
        return frozenset()
    sets = [ce.entity.access[r].hidden if r in ce.entity.access else frozenset() for r in roles]
    return frozenset.intersection(*sets)


def locked(ce: CompiledEntity, actor: Actor, action: str) -> frozenset[str]:
    """Fields no role of the actor may change (read-only or hidden for each of them)."""
    roles = _roles(ce, actor, action)
    if not roles:
        return frozenset()
    sets = [(ce.entity.access[r].readonly | ce.entity.access[r].hidden) if r in ce.entity.access else frozenset()
            for r in roles]
    return frozenset.intersection(*sets)


def row_scope(conn: sa.Connection, ce: CompiledEntity, actor: Actor) -> sa.ColumnElement[bool] | None:
    """The SQL condition of the records the actor may see, or None for all of them.

    A role without a scope or row rule sees everything; otherwise the roles' conditions
    are OR'd (a person with two roles sees what either role sees)."""
    roles = _roles(ce, actor)
    if roles is None or ce.entity.child:
        return None
    clauses = []
    for role in roles:
        access = ce.entity.access.get(role)
        if access is None or not access.restricts_rows:
            return None
        parts = []
        if access.scope != "all":
            parts.append(_owner_clause(conn, ce, access.scope, actor))
        if role in ce.row_rules:
            parts.append(ce.row_rules[role](clock.today(), {"id": actor.id, "username": actor.username}))
        clauses.append(sa.and_(*parts))
    return sa.or_(*clauses) if clauses else sa.false()


def _owner_clause(conn: sa.Connection, ce: CompiledEntity, scope: str, actor: Actor) -> sa.ColumnElement[bool]:
    from sunmao import org  # the org model sits beside accounts, above storage

    if actor.id is None:
        return sa.false()
    ids = {actor.id}
    if scope == "department":
        ids |= set(org.department_members(conn, actor.id))
    elif scope == "subordinates":
        ids |= set(org.subordinates(conn, actor.id))
    column = ce.table.c[ce.entity.owner_field]
    owner = ce.entity.by_key.get(ce.entity.owner_field)
    if owner is not None and owner.value_type == "string":
        names = conn.execute(sa.select(sm.user.c.username).where(sm.user.c.id.in_(ids))).scalars().all()
        return column.in_(names)
    return column.in_(sorted(ids))


# -- the record's own values -----------------------------------------------------------------

def required(ce: CompiledEntity, record: Mapping[str, Any], *, errors: Errors, prefix: str) -> None:
    for f in ce.required:
        if empty(record.get(f.key)):
            errors.add(join(prefix, f.key), CATALOG["required"])


def judge(checks: Iterable[Check], record: Mapping[str, Any], *, data: Any, errors: Errors, prefix: str) -> None:
    """Run validation rules; a failed one puts its message on its target fields (a field rule
    over an empty field is skipped: ``required`` speaks for that)."""
    for check in checks:
        if check.field_key is not None and empty(record.get(check.field_key)):
            continue
        where = join(prefix, check.targets[0]) if check.targets else (prefix or RECORD)
        ok, result = evaluate(check.fn, data, errors=errors, path=where, rule_name=check.rule_id)
        if not ok or truthy(result):
            continue
        for target in check.targets or (RECORD,):
            errors.add(join(prefix, target) if target != RECORD else (prefix or RECORD), check.message)


# -- against the database --------------------------------------------------------------------

def _walk(ctx: Context, ce: CompiledEntity, records: Sequence[Mapping[str, Any]], *, prefixes: Sequence[str],
          before: Mapping[str, Any] | None) -> Iterator[tuple[CompiledEntity, Mapping[str, Any], Any, str]]:
    """Each record and each of its child rows, with its stored version (an update) and its path."""
    def walk(c: CompiledEntity, rec: Mapping[str, Any], old: Mapping[str, Any] | None,
             prefix: str) -> Iterator[tuple[CompiledEntity, Mapping[str, Any], Any, str]]:
        yield c, rec, old, prefix
        for tf in c.entity.table_fields:
            stored = {r["id"]: r for r in (old or {}).get(tf.key) or ()}
            for i, row in enumerate(rec.get(tf.key) or ()):
                yield from walk(ctx.child(tf), row, stored.get(row.get("id")), f"{join(prefix, tf.key)}[{i}]")

    for rec, prefix in zip(records, prefixes, strict=True):
        yield from walk(ce, rec, before, prefix)


def links(ctx: Context, ce: CompiledEntity, records: Sequence[Mapping[str, Any]], *, conn: sa.Connection,
          errors: Errors, prefixes: Sequence[str], cache: Links | None = None,
          before: Mapping[str, Any] | None = None) -> None:
    """Every link must point at a live record of its target entity. Rows read for the rules
    already answer for their ids; with ``before`` (an update) only changed links are checked."""
    wanted: dict[str, set[int]] = {}
    places: list[tuple[str, str, int]] = []

    for c, rec, old, prefix in _walk(ctx, ce, records, prefixes=prefixes, before=before):
        for f in c.links + c.attachments:
            value = rec.get(f.key)
            if value is None or (old is not None and old.get(f.key) == value):
                continue
            target = f.to or "" if f.type == "link" else FILES
            places.append((join(prefix, f.key), target, value))
            if cache is None or (target, value) not in cache.rows:
                wanted.setdefault(target, set()).add(value)
    found: set[tuple[str, int]] = set(cache.live) if cache is not None else set()
    for target, ids in wanted.items():
        query = _FILE_IDS if target == FILES else ctx.snapshot.compiled[target].statements.live_ids
        for chunk in chunks(ids):
            found |= {(target, i) for i in query.execute(conn, {"ids": chunk}).scalars()}
    for path, target, value in places:
        if (target, value) in found:
            continue
        if target == FILES:
            errors.add(path, Text(f"文件 {value} 不存在，请先上传", f"file {value} does not exist; upload it first"))
        else:
            label = ctx.snapshot.entities[target].label
            errors.add(path, Text(f"{label.zh} #{value} 不存在或已删除", f"{label.en} #{value} does not exist"))
    link_filters(ctx, ce, records, conn=conn, errors=errors, prefixes=prefixes, before=before)


def link_filters(ctx: Context, ce: CompiledEntity, records: Sequence[Mapping[str, Any]], *, conn: sa.Connection,
                 errors: Errors, prefixes: Sequence[str], before: Mapping[str, Any] | None = None) -> None:
    """A link with a ``link_filter`` must point at a record whose fields equal this record's (an
    order's contact belongs to the order's customer). Judged when the link or a field it is
    compared with changed; a compared field of this record left empty does not restrict."""
    places: list[tuple[str, CompiledEntity, Any, int, dict[str, Any]]] = []  # path, owner, field, id, wanted

    for c, rec, old, prefix in _walk(ctx, ce, records, prefixes=prefixes, before=before):
        for f in c.links:
            value = rec.get(f.key)
            if not f.link_filter or value is None:
                continue
            wanted = {theirs: rec.get(ours) for theirs, ours in f.link_filter.items() if not empty(rec.get(ours))}
            if not wanted:
                continue
            if old is not None and old.get(f.key) == value and all(
                    old.get(ours) == rec.get(ours) for ours in f.link_filter.values()):
                continue
            places.append((join(prefix, f.key), c, f, value, wanted))
    found: dict[tuple[str, int], Mapping[str, Any]] = {}
    by_target: dict[str, set[int]] = {}
    for _, _, f, value, _ in places:
        by_target.setdefault(f.to or "", set()).add(value)
    for target, ids in by_target.items():
        table = ctx.snapshot.compiled[target].table
        for chunk in chunks(ids):
            for row in conn.execute(sa.select(table).where(table.c.id.in_(chunk))).mappings():
                found[(target, row["id"])] = row
    for path, owner, f, value, wanted in places:
        row = found.get((f.to or "", value))
        if row is None:
            continue  # a missing record is reported by the live check
        for theirs, expected in wanted.items():
            if row.get(theirs) != expected:
                errors.add(path, _outside_filter(ctx, owner, f, theirs=theirs, value=value))
                break


def _outside_filter(ctx: Context, owner: CompiledEntity, f: Any, *, theirs: str, value: int) -> Text:
    target = ctx.snapshot.entities[f.to]
    ours = owner.entity.by_key[f.link_filter[theirs]].label
    their = target.by_key[theirs].label
    return Text(f"{f.label.zh}：所选{target.label.zh} #{value} 的{their.zh}不是本记录的{ours.zh}，"
                f"请选择属于该{ours.zh}的{target.label.zh}",
                f"{f.label.en}: the chosen {target.label.en} #{value} has another {their.en} than this "
                f"record's {ours.en}; choose a {target.label.en} of that {ours.en}")


def unique(ce: CompiledEntity, records: Sequence[Mapping[str, Any]], *, conn: sa.Connection, errors: Errors,
           prefixes: Sequence[str], exclude_id: int | None = None, before: Mapping[str, Any] | None = None) -> None:
    """Unique fields must be free; with ``before`` (an update) only changed values are looked up."""
    table = ce.table
    for f in ce.uniques:
        if before is not None and all(rec.get(f.key) == before.get(f.key) for rec in records):
            continue
        values: dict[Any, str] = {}
        for rec, prefix in zip(records, prefixes, strict=True):
            v = rec.get(f.key)
            if v is None:
                continue
            if v in values:
                errors.add(join(prefix, f.key), Text(f"与 {values[v] or '另一行'} 重复：{v}",
                                                     f"duplicates {values[v] or 'another row'}: {v}"))
            values.setdefault(v, prefix)
        if not values:
            continue
        query = sa.select(table.c[f.key]).where(table.c[f.key].in_(list(values)))
        if exclude_id is not None:
            query = query.where(table.c.id != exclude_id)
        for taken in conn.execute(query).scalars():
            errors.add(join(values[taken], f.key), Text(f"{f.label.zh}“{taken}”已被使用",
                                                        f"{f.label.en} {taken!r} is already taken"))


# -- the guards of an edit -------------------------------------------------------------------

def fresh(current: Mapping[str, Any], expected_version: int | None) -> None:
    """A stale ``expected_version`` is a conflict, never an overwrite."""
    if expected_version is not None and current["version"] != expected_version:
        raise PreconditionFailed(Text(
            f"版本 {expected_version} 已过期，当前为 {current['version']}；请刷新后重试",
            f"version {expected_version} is stale, the record is at version {current['version']}; "
            "reload and try again"), current_version=current["version"])


def state_untouched(workflow: Any, changes: Mapping[str, Any], transition: str | None, *, errors: Errors) -> None:
    """The state field of an entity with a workflow changes only through a workflow action."""
    if workflow is not None and workflow.state_field in changes and transition is None:
        errors.add(workflow.state_field, Text("状态只能通过流程操作改变",
                                              "the state changes only through a workflow action"))


def may_change(*, locked_fields: frozenset[str], changes: Mapping[str, Any], diff: Mapping[str, Any],
               errors: Errors) -> None:
    """A field the actor's roles may not change may still come back unchanged (a record exported
    and imported again, a form that sends what it shows): only a change is refused."""
    for key in sorted(locked_fields & changes.keys() & diff.keys()):
        errors.add(key, CATALOG["role_read_only"])


def not_frozen(workflow: Any, current: Mapping[str, Any], diff: Mapping[str, Any]) -> None:
    """An edit (not an action) of fields the record's state freezes: refused, saying why."""
    refused = workflow.refused_edits(current.get(workflow.state_field), set(diff))
    if refused:
        raise RecordLocked(next(iter(refused.values())), errors={key: [message] for key, message in refused.items()})
