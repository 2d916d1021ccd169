"""Live schema changes from a metadata diff, run with alembic operations.

There are no migration files for app metadata: the old and the new snapshot are compared
by field *id* (so a renamed key is a rename, not a drop and an add), and the difference is
applied inside the publishing transaction. Nothing is ever dropped: a removed field's column
is renamed ``_arch_<field id>`` and restored when a field with that id comes back; a removed
entity keeps its table. A type change converts every stored value first and is refused,
listing the rows, when any value would not convert.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from sunmao.fields import TYPES, stored_type
from sunmao.i18n import Text
from sunmao.meta.model import Entity, Field, build_field
from sunmao.storage import system
from sunmao.storage.convert import ConversionError, convert
from sunmao.storage.tables import (
    IndexSpec,
    build_table,
    column_type,
    entity_indexes,
    field_column,
    trigram_opclass,
)

MAX_LISTED_ROWS = 20

def type_word(value_type: str) -> Text:
    """How a person calls a stored value type, for the plan's sentences."""
    return TYPES[value_type].words if value_type in TYPES else Text(value_type, value_type)


def _named(f: Field) -> Text:
    """A field as a sentence names it: its label, with the key in brackets."""
    return Text(f"{f.label.zh}（{f.key}）", f"{f.label.en} ({f.key})")


@dataclass
class Step:
    """One schema change; ``text`` says in both languages what it does to the data."""

    entity: str
    action: str
    text: Text
    run: Callable[[Operations, sa.Connection], None] = field(repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "action": self.action, "zh": self.text.zh, "en": self.text.en}


class MigrationRefused(Exception):
    """The change would lose or corrupt data; nothing was changed."""

    def __init__(self, entity: str, field_key: str, text: Text, rows: list[dict[str, Any]] | None = None):
        self.entity, self.field_key, self.text, self.rows = entity, field_key, text, rows or []
        super().__init__(f"{entity}.{field_key}: {text.en}")

    def as_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "field": self.field_key, "zh": self.text.zh, "en": self.text.en,
                "rows": self.rows}


def archived_column(field_id: str) -> str:
    return f"_arch_{field_id}"


def _storage_signature(f: Field) -> tuple:
    return stored_type(f).storage_signature(f)


def _is_widening(old: Field, new: Field) -> bool:
    return stored_type(new).widens(old, new)


class Migrator:
    """Plans and applies the difference between two sets of entities on one connection."""

    def __init__(self, conn: sa.Connection, revision: int):
        self.conn = conn
        self.revision = revision
        self.sqlite = conn.dialect.name == "sqlite"
        self._new: Mapping[str, Entity] = {}
        self._refused: list[MigrationRefused] | None = None
        self.ops = Operations(MigrationContext.configure(connection=conn, opts={"render_as_batch": self.sqlite}))
        self._trigram_ops: str | None | bool = False  # not looked up yet

    @property
    def trigram_ops(self) -> str | None:
        """``schema.gin_trgm_ops`` where pg_trgm is (or could be made) available, else None."""
        if self._trigram_ops is False:
            self._trigram_ops = None if self.sqlite else trigram_opclass(self.conn)
        return self._trigram_ops  # type: ignore[return-value]

    def _indexes(self, entity: Entity) -> list[IndexSpec]:
        return entity_indexes(entity, trigram=self.trigram_ops is not None)

    # -- planning ---------------------------------------------------------------------------

    def plan(self, old: Mapping[str, Entity], new: Mapping[str, Entity],
             refused: list[MigrationRefused] | None = None) -> list[Step]:
        """The steps from ``old`` to ``new``. A change that would lose data raises
        ``MigrationRefused`` — or, given a ``refused`` list, is added to it and left out, so a
        check can report every refusal at once."""
        self._new = new
        self._refused = refused
        steps: list[Step] = []
        inspector = sa.inspect(self.conn)
        existing = set(inspector.get_table_names())
        for key, entity in new.items():
            if key not in old:
                steps += self._plan_new_entity(entity, existing)
            else:
                steps += self._plan_entity(old[key], entity)
        for key in old:
            if key not in new:
                steps.append(Step(key, "keep_table", Text(
                    f"实体 {key} 已移除：数据表 {old[key].table_name} 原样保留，可随时恢复",
                    f"entity {key} removed: table {old[key].table_name} is kept as it is and can be restored"),
                    lambda ops, conn: None))
        return steps

    def _archived(self, entity: str) -> dict[str, dict]:
        rows = self.conn.execute(
            sa.select(system.archived_field).where(system.archived_field.c.entity == entity)
        ).mappings()
        return {r["field_id"]: dict(r) for r in rows}

    def _plan_new_entity(self, entity: Entity, existing: set[str]) -> list[Step]:
        if entity.table_name not in existing:
            def create(ops: Operations, conn: sa.Connection) -> None:
                build_table(entity, sa.MetaData()).create(conn)
            return [Step(entity.key, "create_table", Text(f"新建数据表 {entity.table_name}",
                                                         f"create table {entity.table_name}"), create)]
        # The table survived an earlier removal of the entity: adopt it and add what is missing.
        columns = {c["name"] for c in sa.inspect(self.conn).get_columns(entity.table_name)}
        archived = self._archived(entity.key)
        steps = []
        for f in entity.stored_fields:
            if f.key in columns:
                continue
            steps.append(self._restore_step(entity, f, archived[f.id]) if f.id in archived
                         else self._add_step(entity, f))
        return steps + self._index_steps(None, entity)

    def _refuse(self, exc: MigrationRefused) -> None:
        if self._refused is None:
            raise exc
        self._refused.append(exc)

    def _plan_entity(self, old: Entity, new: Entity) -> list[Step]:
        steps: list[Step] = []
        archived = self._archived(new.key)
        old_stored = {f.id: f for f in old.stored_fields}
        new_stored = {f.id: f for f in new.stored_fields}
        for fid, f in old_stored.items():
            if fid not in new_stored:
                steps.append(self._archive_step(new, f))
        renames = [(old_stored[fid], f) for fid, f in new_stored.items() if fid in old_stored
                   and old_stored[fid].key != f.key]
        if renames:
            steps += self._rename_steps(new, renames)
        for fid, f in new_stored.items():
            if fid in old_stored:
                before = old_stored[fid]
                if _storage_signature(before) != _storage_signature(f):
                    try:
                        steps.append(self._change_step(new, before, f))
                    except MigrationRefused as exc:
                        self._refuse(exc)
            elif fid in archived:
                steps.append(self._restore_step(new, f, archived[fid]))
            else:
                steps.append(self._add_step(new, f))
        return steps + self._index_steps(old, new)

    # -- steps ------------------------------------------------------------------------------

    def _add_step(self, entity: Entity, f: Field) -> Step:
        def run(ops: Operations, conn: sa.Connection) -> None:
            ops.add_column(entity.table_name, field_column(f))
        name = _named(f)
        return Step(entity.key, "add_column", Text(f"新增字段 {name.zh}", f"add field {name.en}"), run)

    def _archive_step(self, entity: Entity, f: Field) -> Step:
        column = archived_column(f.id)

        def run(ops: Operations, conn: sa.Connection) -> None:
            self._drop_field_indexes(entity, f.key)
            self._rename(entity.table_name, f.key, column)
            conn.execute(sa.delete(system.archived_field).where(
                system.archived_field.c.entity == entity.key, system.archived_field.c.field_id == f.id))
            conn.execute(sa.insert(system.archived_field).values(
                entity=entity.key, field_id=f.id, column=column, definition=_field_doc(f),
                archived_at=datetime.now(UTC), revision=self.revision))
        name = _named(f)
        return Step(entity.key, "archive_column", Text(
            f"移除字段 {name.zh}：数据归档到列 {column}，可恢复", f"remove field {name.en}: data archived in column "
            f"{column}, restorable"), run)

    def _restore_step(self, entity: Entity, f: Field, archived: dict) -> Step:
        column = archived["column"]
        before = _field_from_doc(archived["definition"])

        def run(ops: Operations, conn: sa.Connection) -> None:
            self._rename(entity.table_name, column, f.key)
            conn.execute(sa.delete(system.archived_field).where(
                system.archived_field.c.entity == entity.key, system.archived_field.c.field_id == f.id))
            if _storage_signature(before) != _storage_signature(f):
                self._change_type(entity, before, f)
        name = _named(f)
        return Step(entity.key, "restore_column", Text(f"恢复字段 {name.zh}（含原有数据）",
                                                       f"restore field {name.en} with its data"), run)

    def _rename_steps(self, entity: Entity, renames: list[tuple[Field, Field]]) -> list[Step]:
        def run(ops: Operations, conn: sa.Connection) -> None:
            for before, _after in renames:
                self._drop_field_indexes(entity, before.key)
            # Two phases, so that swapping two keys never collides.
            for before, after in renames:
                self._rename(entity.table_name, before.key, f"_ren_{after.id}")
            for _before, after in renames:
                self._rename(entity.table_name, f"_ren_{after.id}", after.key)
        names = ", ".join(f"{a.key} → {b.key}" for a, b in renames)
        return [Step(entity.key, "rename_column", Text(f"字段改名：{names}（数据不变）",
                                                       f"rename fields: {names} (data unchanged)"), run)]

    def _change_step(self, entity: Entity, before: Field, after: Field) -> Step:
        # Check now, so that a refused change is reported before anything runs.
        if not _is_widening(before, after):
            self._check_conversion(entity, before, after)

        def run(ops: Operations, conn: sa.Connection) -> None:
            if _is_widening(before, after):
                if not self.sqlite and column_type(before).compile(conn.dialect) != column_type(after).compile(
                        conn.dialect):
                    ops.alter_column(entity.table_name, after.key, type_=column_type(after))
            else:
                self._change_type(entity, before, after)
        name, a, b = _named(after), type_word(before.value_type), type_word(after.value_type)
        if a == b:
            return Step(entity.key, "change_type", Text(
                f"调整字段 {name.zh} 的存储（{a.zh}），全部数据已检查可转换",
                f"change how field {name.en} is stored ({a.en}); every value converts"), run)
        return Step(entity.key, "change_type", Text(
            f"将把字段 {name.zh}从{a.zh}转为{b.zh}，全部数据已检查可转换",
            f"change field {name.en} from {a.en} to {b.en}; every value converts"), run)

    def _index_steps(self, old: Entity | None, new: Entity) -> list[Step]:
        want = {ix.name: ix for ix in self._indexes(new)}
        existing = {ix["name"] for ix in sa.inspect(self.conn).get_indexes(new.table_name)} if old else set()
        steps = []
        for name, ix in want.items():
            if name in existing:
                continue
            if ix.unique and old is not None:
                try:
                    self._check_unique(new, ix.columns)
                except MigrationRefused as exc:
                    self._refuse(exc)
                    continue
            kind = Text("唯一", "unique ") if ix.unique else Text("全文检索", "search ") if ix.trigram else Text("", "")
            steps.append(Step(new.key, "create_index", Text(
                f"建立{kind.zh}索引 ({', '.join(ix.columns)})",
                f"create {kind.en}index on ({', '.join(ix.columns)})"), _indexes_synced_later))
        for name in existing - set(want):
            if name.startswith(("ix_t_", "uq_t_")):
                steps.append(Step(new.key, "drop_index", Text(f"删除索引 {name}", f"drop index {name}"),
                                  _indexes_synced_later))
        return steps

    def _sync_indexes(self, entity: Entity) -> None:
        """Make the table's indexes exactly what the entity asks for (after renames and type changes)."""
        want = {ix.name: ix for ix in self._indexes(entity)}
        have = {ix["name"] for ix in sa.inspect(self.conn).get_indexes(entity.table_name)}
        for name in have - set(want):
            if name.startswith(("ix_t_", "uq_t_")):
                self.ops.drop_index(name, table_name=entity.table_name)
        for name, ix in want.items():
            if name not in have:
                self._create_index(entity, ix)

    def _create_index(self, entity: Entity, ix: IndexSpec) -> None:
        if ix.trigram:
            self.ops.create_index(ix.name, entity.table_name, list(ix.columns), postgresql_using="gin",
                                  postgresql_ops={ix.columns[0]: self.trigram_ops})
        else:
            self.ops.create_index(ix.name, entity.table_name, list(ix.columns), unique=ix.unique, **ix.where())

    def add_missing_indexes(self, entities: Iterable[Entity]) -> list[str]:
        """The plain indexes the published entities ask for that their tables lack — when a new
        release of the platform asks for more (run at startup; unique ones wait for a publish,
        which checks the data first)."""
        made = []
        inspector = sa.inspect(self.conn)
        tables = set(inspector.get_table_names())
        for entity in entities:
            if entity.table_name not in tables:
                continue
            have = {ix["name"] for ix in inspector.get_indexes(entity.table_name)}
            for ix in self._indexes(entity):
                if ix.name not in have and not ix.unique:
                    self._create_index(entity, ix)
                    made.append(ix.name)
        return made

    # -- helpers ----------------------------------------------------------------------------

    def _rename(self, table: str, old: str, new: str) -> None:
        # SQLite has had ALTER TABLE RENAME COLUMN since 3.25; no table rebuild needed.
        self.ops.alter_column(table, old, new_column_name=new)

    def _drop_field_indexes(self, entity: Entity, key: str) -> None:
        for ix in sa.inspect(self.conn).get_indexes(entity.table_name):
            if key in ix["column_names"] and ix["name"].startswith(("ix_t_", "uq_t_")):
                self.ops.drop_index(ix["name"], table_name=entity.table_name)

    def _check_unique(self, entity: Entity, cols: tuple[str, ...]) -> None:
        table = sa.table(entity.table_name, *(sa.column(c) for c in cols))
        group = [table.c[c] for c in cols]
        nonnull = sa.and_(*(c.is_not(None) for c in group))
        dupes = self.conn.execute(
            sa.select(*group, sa.func.count().label("n")).where(nonnull).group_by(*group)
            .having(sa.func.count() > 1).limit(MAX_LISTED_ROWS)
        ).mappings().all()
        if dupes:
            rows = [{k: _jsonable(v) for k, v in d.items()} for d in dupes]
            raise MigrationRefused(entity.key, ",".join(cols), Text(
                f"不能设为唯一：已有 {len(rows)} 组重复值，请先清理",
                f"cannot make unique: {len(rows)} groups of duplicate values exist; clean them up first"), rows)

    def _read_values(self, entity: Entity, key: str) -> list[tuple[int, Any]]:
        table = sa.table(entity.table_name, sa.column("id"), sa.column(key))
        return [(r[0], r[1]) for r in self.conn.execute(sa.select(table.c.id, table.c[key]).order_by(table.c.id))]

    def _typed_values(self, entity: Entity, before: Field) -> list[tuple[int, Any, str | None]]:
        """Every row's id, value and record number (child rows have none), in id order."""
        columns = [sa.Column("id", sa.BigInteger), sa.Column(before.key, column_type(before))]
        if not entity.child:
            columns.append(sa.Column("name", sa.String))
        typed = sa.Table(entity.table_name, sa.MetaData(), *columns)
        query = sa.select(*typed.c).order_by(typed.c.id)
        return [(r[0], r[1], r[2] if len(r) > 2 else None) for r in self.conn.execute(query)]

    def _check_conversion(self, entity: Entity, before: Field, after: Field) -> list[tuple[int, Any]]:
        failures, converted = [], []
        for record_id, value, number in self._typed_values(entity, before):
            try:
                converted.append((record_id, convert(value, after)))
            except ConversionError as exc:
                failures.append({"id": record_id, "name": number, "value": _jsonable(value), "reason": str(exc)})
        if failures:
            name, a, b = _named(after), type_word(before.value_type), type_word(after.value_type)
            ids = "、".join(str(f["id"]) for f in failures[:MAX_LISTED_ROWS])
            ids_en = ", ".join(str(f["id"]) for f in failures[:MAX_LISTED_ROWS])
            more = len(failures) > MAX_LISTED_ROWS
            raise MigrationRefused(entity.key, after.key, Text(
                f"将把字段 {name.zh}从{a.zh}转为{b.zh}：{len(failures)} 行无法转换（第 {ids}{' 等' if more else ''} 号"
                f"{entity.label.zh}），已拒绝修改；请先修正这些行，或归档该字段",
                f"change field {name.en} from {a.en} to {b.en}: {len(failures)} rows do not convert ({entity.label.en} "
                f"no. {ids_en}{' and more' if more else ''}); the change is refused — fix those rows first or archive "
                "the field"), failures[:MAX_LISTED_ROWS])
        return converted

    def _change_type(self, entity: Entity, before: Field, after: Field) -> None:
        converted = self._check_conversion(entity, before, after)
        temp = f"_new_{after.id}"
        self._drop_field_indexes(entity, after.key)
        self.ops.add_column(entity.table_name, sa.Column(temp, column_type(after), nullable=True))
        target = sa.Table(entity.table_name, sa.MetaData(), sa.Column("id", sa.BigInteger, key="rid"),
                          sa.Column(temp, column_type(after), key="value"))
        pending = [{"b_id": rid, "b_value": v} for rid, v in converted if v is not None]
        if pending:
            self.conn.execute(target.update().where(target.c.rid == sa.bindparam("b_id"))
                              .values(value=sa.bindparam("b_value")), pending)
        if self.sqlite:
            # SQLite 3.35+ drops a column in place; no table rebuild, so the transaction stays simple.
            self.conn.exec_driver_sql(f'ALTER TABLE "{entity.table_name}" DROP COLUMN "{after.key}"')
        else:
            self.ops.drop_column(entity.table_name, after.key)
        self._rename(entity.table_name, temp, after.key)

    def apply(self, steps: list[Step]) -> None:
        for step in steps:
            step.run(self.ops, self.conn)
        for key in sorted({step.entity for step in steps}):
            if key in self._new:
                self._sync_indexes(self._new[key])


def _indexes_synced_later(ops: Operations, conn: sa.Connection) -> None:
    """Index steps are carried out together by ``Migrator._sync_indexes`` once columns are final."""


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def _field_doc(f: Field) -> dict[str, Any]:
    return json.loads(json.dumps(dict(f.doc)))


def _field_from_doc(doc: dict[str, Any]) -> Field:
    return build_field(doc)
