"""A record's rows are read by an index: a child table carries one on (parent_id, idx) — a
million orders' lines were scanned whole for every order page before. An installation made
before the platform asked for it gets it at startup (``Runtime.setup``), with no publish."""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.runtime import Runtime
from sunmao.storage.tables import index_name
from tests.screens import demo


def _indexes(runtime: Runtime, table: str) -> dict[str, list[str]]:
    with runtime.db.read() as conn:
        return {ix["name"]: ix["column_names"] for ix in sa.inspect(conn).get_indexes(table)}


def test_a_child_table_is_indexed_by_its_parent_and_a_startup_adds_what_is_missing(runtime: Runtime) -> None:
    demo.install(runtime)
    name = index_name("t_order_line", ("parent_id", "idx"), False)
    assert _indexes(runtime, "t_order_line")[name] == ["parent_id", "idx"]
    with runtime.db.write() as conn:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    assert name not in _indexes(runtime, "t_order_line")
    runtime.setup()
    assert _indexes(runtime, "t_order_line")[name] == ["parent_id", "idx"]
    runtime.setup()  # nothing left to do: idempotent
    assert list(_indexes(runtime, "t_order_line")).count(name) == 1
