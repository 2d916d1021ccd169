"""Hot statements run on the driver connection — private to ``sunmao.storage``.

Use it as ``from sunmao.storage import Prepared``; no module outside ``storage/`` imports this
one (``tests/storage/test_prepared.py`` checks that), so what it relies on can change in one place.

**Why.** ``Connection.execute`` spends 15–100 µs per statement around the database's own work
(execution context, cache key, generic parameter and result processing). On the paths that run
for every order — intake, record create and update, audit and outbox, stage history, naming —
that is more than SQLite itself needs for the statement (of the intake's 19 statements an
order, 14 run through here). Measured on the web-shop intake of ``bench/intake.py`` (in process,
SQLite, 2 shared cores, December 2026): with :meth:`Prepared.execute` and
:meth:`Prepared.execute_many` replaced by plain ``conn.execute(self.statement, params)``, an order
took about 9,100 Python calls instead of 6,100 and 4.5–5.9 ms of CPU instead of 2.5–3.3 ms —
about 1.7× the work of the whole intake. A :class:`Prepared` statement is compiled by SQLAlchemy
once per dialect and parameter shape, with the column types' own bind and result processors
looked up once; a call then converts the values, runs the SQL on the DBAPI connection under
the caller's (inside its transaction) and converts the result columns. The SQL, the types and the
transaction are SQLAlchemy's; only the per-call machinery is skipped. Driver errors are raised
as SQLAlchemy's (``sa.exc.IntegrityError`` …), so callers handle them as before.

**What it relies on** (SQLAlchemy 2.x; a change there shows in ``tests/storage``):
``statement.compile(dialect=, column_keys=)`` and the compiled object's ``bind_names``,
``insert_prefetch`` / ``update_prefetch`` (scalar column defaults) and
``construct_expanded_state(params)`` with its ``statement``, ``positiontup``, ``parameters`` and
``parameter_expansion`` (how expanding ``IN`` lists are rendered per length);
``TypeEngine.dialect_impl(dialect).bind_processor`` / ``result_processor``;
``Connection.connection.dbapi_connection`` and ``dialect.loaded_dbapi``; and
``DBAPIError.instance`` to translate driver errors.

**What it gives up** (statements that need these keep using ``Connection.execute``): callable
or SQL column defaults (refused with a TypeError at compile time); SQLAlchemy's ``echo``
logging and the ``before_cursor_execute`` / ``after_cursor_execute`` events — count statements
at the driver instead (``sqlite3.Connection.set_trace_callback``, ``bench/intake.py``); result
rows as SQLAlchemy ``Row`` objects (:class:`Rows` holds tuples with their keys); and ``IN``
lists longer than :data:`MAX_EXPANDED`, which fall back to ``Connection.execute``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

_REQUIRED = object()
#: An ``IN`` list longer than this runs through ``Connection.execute``: one compiled form per
#: length would pile up for bulk work, where the per-call saving no longer matters.
MAX_EXPANDED = 64
#: Compiled forms kept per statement (per engine's dialect, column set and list length).
MAX_FORMS = 256


class Rows:
    """The rows of one call: tuples with their column keys, and the usual ways to read them."""

    __slots__ = ("keys", "rows", "rowcount")

    def __init__(self, keys: Sequence[str], rows: list[tuple[Any, ...]], rowcount: int):
        self.keys = keys
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None

    def scalars(self) -> list[Any]:
        return [r[0] for r in self.rows]

    def mappings(self) -> list[dict[str, Any]]:
        keys = self.keys
        return [dict(zip(keys, r, strict=True)) for r in self.rows]

    def mapping(self) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        return dict(zip(self.keys, self.rows[0], strict=True)) if self.rows else None


class _Form:
    """A statement compiled for one dialect and parameter shape."""

    __slots__ = ("sql", "plan", "names", "required", "simple", "named", "keys", "result", "returns")

    def __init__(self, sql: str, plan: list[tuple[str, str, int | None, Any, Any]], named: bool,
                 keys: Sequence[str], returns: bool):
        self.sql = sql
        #: (rendered name, parameter key, index in an expanding list or None, default, bind processor)
        self.plan = plan
        self.names = [p[0] for p in plan]
        self.required = frozenset(key for _name, key, index, default, _proc in plan
                                  if index is None and default is _REQUIRED)
        #: Without expanding lists: (key, default, processor), the common case, in one comprehension.
        self.simple = (None if any(p[2] is not None for p in plan)
                       else [(key, default, proc) for _name, key, _index, default, proc in plan])
        self.named = named
        self.keys = keys
        self.returns = returns
        #: (position, processor) of the result columns that need converting, from the first cursor description
        self.result: list[tuple[int, Any]] | None = None

    def values(self, params: Mapping[str, Any]) -> Any:
        if not params.keys() >= self.required:
            missing = sorted(self.required - params.keys())
            raise sa.exc.ArgumentError(f"a value is required for bind parameter {missing[0]!r}")
        if self.simple is not None:
            get = params.get
            out = [get(key, default) if proc is None else proc(get(key, default)) for key, default, proc in self.simple]
        else:
            out = []
            for _name, key, index, default, proc in self.plan:
                value = params.get(key, default) if index is None else params[key][index]
                out.append(proc(value) if proc is not None else value)
        return dict(zip(self.names, out, strict=True)) if self.named else out


class Prepared:
    """One SQLAlchemy statement, run on the DBAPI connection; compiled forms cached per dialect,
    parameter keys (inserts and updates) and lengths of expanding ``IN`` lists."""

    __slots__ = ("statement", "_forms", "_dml", "_expanding")

    def __init__(self, statement: sa.Executable, *, by_keys: bool | None = None):
        """``by_keys``: the parameters' keys choose the columns written (an INSERT or UPDATE
        without its own ``values()``); the default says so for every INSERT and UPDATE."""
        self.statement = statement
        #: by dialect alone, or by (dialect, parameter keys, list lengths) when those shape the SQL
        self._forms: dict[Any, _Form] = {}
        self._dml = isinstance(statement, sa.Insert | sa.Update) if by_keys is None else by_keys
        self._expanding: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        return f"Prepared({self.statement})"

    # -- running ---------------------------------------------------------------------------

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Rows:
        params = params or {}
        if self._expanding and any(len(params[k]) > MAX_EXPANDED for k in self._expanding):
            result = conn.execute(self.statement, params)
            keys = list(result.keys()) if result.returns_rows else []
            return Rows(keys, [tuple(r) for r in result] if result.returns_rows else [], result.rowcount)
        form = self._form(conn.dialect, params)
        values = form.values(params)
        driver = _driver(conn)
        cursor = None
        try:
            cursor = driver.execute(form.sql, values)  # sqlite3 and psycopg both run SQL from the connection
            rows = cursor.fetchall() if form.returns else []
            if rows and form.result is None:
                form.result = _result_processors(self.statement, conn.dialect, cursor.description)
            rowcount = cursor.rowcount
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _translated(form.sql, values, exc, conn.dialect) from exc
        finally:
            if cursor is not None:
                cursor.close()
        procs = form.result
        if rows and procs:
            converted = []
            for row in rows:
                values = list(row)
                for i, proc in procs:
                    value = values[i]
                    if value is not None:  # NULL is None for every type: no call for the many empty columns
                        values[i] = proc(value)
                converted.append(tuple(values))
            rows = converted
        return Rows(form.keys, rows, rowcount)

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """The statement once per row (``executemany``); nothing is returned."""
        if not rows:
            return
        form = self._form(conn.dialect, rows[0])
        values = [form.values(r) for r in rows]
        cursor = _driver(conn).cursor()
        try:
            cursor.executemany(form.sql, values)
        except conn.dialect.loaded_dbapi.Error as exc:
            raise _translated(form.sql, values, exc, conn.dialect) from exc
        finally:
            cursor.close()

    # -- compiling -------------------------------------------------------------------------

    def _form(self, dialect: Dialect, params: Mapping[str, Any]) -> _Form:
        if not self._dml and not self._expanding:
            form = self._forms.get(dialect)  # one form per dialect: the common case, without a shape tuple
            if form is not None:
                return form
        shape: tuple[Any, ...] = (dialect, tuple(params) if self._dml else ())
        if self._expanding:
            shape += tuple(len(params[k]) for k in self._expanding)
        form = self._forms.get(shape)
        if form is None:
            form = self._compile(dialect, params)
            if self._expanding is None:  # learnt on the first compile; later shapes include the lengths
                self._expanding = tuple(k for k in _expanding_keys(self.statement))
                shape += tuple(len(params[k]) for k in self._expanding)
            if len(self._forms) >= MAX_FORMS:  # engines come and go (tests, tools): keep the cache bounded
                self._forms.clear()
            self._forms[shape if self._dml or self._expanding else dialect] = form
        return form

    def _compile(self, dialect: Dialect, params: Mapping[str, Any]) -> _Form:
        statement = self.statement
        compiled = statement.compile(dialect=dialect, column_keys=list(params) if self._dml else None)
        defaults: dict[str, Any] = {}
        for column in [*compiled.insert_prefetch, *compiled.update_prefetch]:
            default = column.onupdate if column in compiled.update_prefetch and column.onupdate else column.default
            if default is None or not default.is_scalar:
                raise TypeError(f"{column} has a default computed at execution; run this statement with "
                                "Connection.execute")
            defaults[column.key] = default.arg
        sample = dict(params)
        state = compiled.construct_expanded_state(sample)
        named = state.positiontup is None
        sources: dict[str, tuple[str, int | None, Any, Any]] = {}
        for bind, name in compiled.bind_names.items():
            proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.expanding:
                for index, expanded in enumerate(state.parameter_expansion.get(name, ())):
                    sources[expanded] = (bind.key, index, None, proc)
                continue
            if bind.key in defaults:
                default = defaults[bind.key]
            elif bind.required:
                default = _REQUIRED
            else:
                default = bind.effective_value
            sources[name] = (bind.key, None, default, proc)
        order = state.positiontup if not named else list(state.parameters)
        plan = [(name, *sources[name]) for name in order]
        returns = isinstance(statement, sa.Select) or len(_columns(statement)) > 0
        keys = list(_columns(statement).keys()) if returns else []
        return _Form(state.statement, plan, named, keys, returns)


def _columns(statement: sa.Executable) -> Any:
    if isinstance(statement, sa.Select):
        return statement.selected_columns
    return statement.exported_columns  # type: ignore[attr-defined]


def _expanding_keys(statement: sa.Executable) -> list[str]:
    from sqlalchemy.sql import visitors

    keys = []
    for element in visitors.iterate(statement):
        if isinstance(element, sa.BindParameter) and element.expanding and element.key not in keys:
            keys.append(element.key)
    return keys


def _result_processors(statement: sa.Executable, dialect: Dialect, description: Any) -> list[tuple[int, Any]]:
    """(column position, processor) for the result columns whose type converts the driver's value."""
    columns = list(_columns(statement))
    procs = [c.type.dialect_impl(dialect).result_processor(dialect, d[1])
             for c, d in zip(columns, description, strict=True)]
    return [(i, proc) for i, proc in enumerate(procs) if proc is not None]


def _driver(conn: Connection) -> Any:
    """The DBAPI connection under ``conn``, inside a transaction."""
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's autobegin would: the connection's context ends it
    return conn.connection.dbapi_connection


def _translated(sql: str, values: Any, exc: Exception, dialect: Dialect) -> sa.exc.DBAPIError:
    return sa.exc.DBAPIError.instance(sql, values, exc, dialect.loaded_dbapi.Error, dialect=dialect)
