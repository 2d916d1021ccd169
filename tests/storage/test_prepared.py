"""Prepared statements (``storage/_prepared.py``): the same values, errors and transactions as
``Connection.execute``, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sunmao.runtime import Runtime
from sunmao.storage import Database, Prepared
from sunmao.storage._prepared import MAX_EXPANDED
from sunmao.storage.types import JSONType, Money, UTCDateTime

metadata = sa.MetaData()
things = sa.Table(
    "prep_thing", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(20), nullable=False, unique=True),
    sa.Column("day", sa.Date),
    sa.Column("at", UTCDateTime),
    sa.Column("amount", Money(14, 2)),
    sa.Column("data", JSONType),
    sa.Column("flag", sa.Boolean),
    sa.Column("tries", sa.Integer, nullable=False, default=3),
)
parts = sa.Table(
    "prep_part", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("label", sa.String(20)),
)
INSERT = Prepared(things.insert().returning(things.c.id))
BY_CODES = Prepared(sa.select(things).where(things.c.code.in_(sa.bindparam("codes", expanding=True)))
                    .order_by(things.c.id))
RENAME = Prepared(things.update().where(things.c.code == sa.bindparam("old")))
AT = datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Database:
    database = Database(db_url)
    metadata.create_all(database.engine)
    yield database
    database.dispose()


def test_values_round_trip_like_sqlalchemy(db: Database) -> None:
    row = {"code": "A-1", "day": date(2026, 2, 28), "at": AT, "amount": Decimal("1234.50"),
           "data": {"名称": "螺栓", "sizes": [6, 8], "ok": True}, "flag": True}
    with db.write() as conn:
        new_id = INSERT.execute(conn, row).scalar()
        INSERT.execute(conn, {**row, "code": "A-2", "data": None, "day": None, "flag": False})
    with db.read() as conn:
        ours = BY_CODES.execute(conn, {"codes": ["A-1", "A-2"]}).mappings()
        theirs = [dict(r) for r in conn.execute(BY_CODES.statement, {"codes": ["A-1", "A-2"]}).mappings()]
    assert ours == theirs
    assert ours[0] == {"id": new_id, **row, "tries": 3}  # the column's scalar default filled in
    assert ours[1]["data"] is None and ours[1]["day"] is None and ours[1]["flag"] is False


def test_update_counts_rows_and_changes_only_given_columns(db: Database) -> None:
    with db.write() as conn:
        INSERT.execute(conn, {"code": "B-1", "amount": Decimal("5"), "flag": False})
        assert RENAME.execute(conn, {"old": "B-1", "code": "B-2"}).rowcount == 1
        assert RENAME.execute(conn, {"old": "nope", "code": "B-3"}).rowcount == 0
    with db.read() as conn:
        (row,) = BY_CODES.execute(conn, {"codes": ["B-2"]}).mappings()
    assert row["amount"] == Decimal("5.00") and row["flag"] is False


def test_long_in_lists_give_the_same_rows(db: Database) -> None:
    codes = [f"C-{i}" for i in range(MAX_EXPANDED + 10)]
    with db.write() as conn:
        INSERT.execute_many(conn, [{"code": c, "amount": i} for i, c in enumerate(codes)])
    with db.read() as conn:
        short = BY_CODES.execute(conn, {"codes": codes[:3]}).mappings()
        long = BY_CODES.execute(conn, {"codes": codes}).mappings()
    assert [r["code"] for r in short] == codes[:3]
    assert [r["code"] for r in long] == codes and long[-1]["amount"] == Decimal(len(codes) - 1)


def test_driver_errors_are_sqlalchemy_errors_and_roll_back(db: Database) -> None:
    with db.write() as conn:
        INSERT.execute(conn, {"code": "D-1"})
    with pytest.raises(sa.exc.IntegrityError), db.write() as conn:
        INSERT.execute(conn, {"code": "D-2"})
        INSERT.execute(conn, {"code": "D-1"})
    with db.read() as conn:
        assert [r["code"] for r in BY_CODES.execute(conn, {"codes": ["D-1", "D-2"]}).mappings()] == ["D-1"]


def test_a_read_connection_begins_as_sqlalchemy_would(db: Database) -> None:
    with db.read() as conn:
        assert BY_CODES.execute(conn, {"codes": ["x"]}).rows == []
        assert conn.in_transaction()


def test_child_rows_get_their_own_ids_back(runtime) -> None:  # type: ignore[no-untyped-def]
    from sunmao.records.compiled import Statements

    metadata.create_all(runtime.db.engine)
    statements = Statements(parts)
    rows = [{"parent_id": p, "idx": i, "label": f"{p}/{i}"} for p in (7, 8) for i in range(3)]
    with runtime.db.write() as conn:
        ids = statements.insert_rows(conn, rows)
    with runtime.db.read() as conn:
        stored = {r.id: (r.parent_id, r.idx, r.label) for r in conn.execute(sa.select(parts))}
    assert [stored[i] for i in ids] == [(r["parent_id"], r["idx"], r["label"]) for r in rows]


BY_IDS = Prepared(sa.select(things.c.id, things.c.code, things.c.amount)
                  .where(things.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(things.c.id))
BY_DAY = Prepared(sa.select(things.c.code).where(things.c.day == sa.bindparam("day")).order_by(things.c.code))
ALL = sa.select(things).order_by(things.c.id)


def test_nulls_and_every_type_read_as_connection_execute_reads_them(db: Database) -> None:
    rows = [{"code": "N-1"},  # every nullable column left out: NULL
            {"code": "N-2", "day": None, "at": None, "amount": None, "data": None, "flag": None},
            {"code": "N-3", "day": date(2024, 2, 29), "at": AT, "amount": Decimal("-0.05"),
             "data": [1, "二", None, {"k": 1.5}], "flag": False, "tries": 0}]
    with db.write() as conn:
        INSERT.execute_many(conn, rows[:2])
        INSERT.execute(conn, rows[2])
    with db.read() as conn:
        theirs = [dict(r) for r in conn.execute(ALL).mappings()]
        ours = Prepared(ALL).execute(conn).mappings()
        assert BY_DAY.execute(conn, {"day": None}).scalars() == conn.execute(BY_DAY.statement, {"day": None}
                                                                             ).scalars().all() == []
        assert BY_DAY.execute(conn, {"day": date(2024, 2, 29)}).scalars() == ["N-3"]
    assert ours == theirs
    assert [r["code"] for r in ours] == ["N-1", "N-2", "N-3"]
    assert ours[0]["day"] is None and ours[0]["amount"] is None and ours[0]["data"] is None
    assert ours[0]["flag"] is None and ours[0]["tries"] == 3
    assert ours[2]["amount"] == Decimal("-0.05") and ours[2]["at"] == AT and ours[2]["data"][3] == {"k": 1.5}
    assert type(ours[2]["day"]) is date and ours[2]["flag"] is False and ours[2]["tries"] == 0


@pytest.mark.parametrize("wanted", [[], [1], [3, 1, 3], list(range(1, 40)), list(range(MAX_EXPANDED + 5))])
def test_expanding_in_lists_of_every_length_match_connection_execute(db: Database, wanted: list[int]) -> None:
    with db.write() as conn:
        INSERT.execute_many(conn, [{"code": f"E-{i}", "amount": Decimal(i) / 4} for i in range(30)])
    with db.read() as conn:
        ours = BY_IDS.execute(conn, {"ids": wanted}).mappings()
        theirs = [dict(r) for r in conn.execute(BY_IDS.statement, {"ids": wanted}).mappings()]
        again = BY_IDS.execute(conn, {"ids": wanted}).rows  # the cached form of that length
    assert ours == theirs
    assert [tuple(r.values()) for r in ours] == again
    assert {r["id"] for r in ours} == {i for i in wanted if 1 <= i <= 30}


def test_statements_of_the_record_service_give_what_connection_execute_gives(lab: Runtime) -> None:
    """The compiled statements of an entity (by ids, live by id, rows of parents) against the
    plain SQLAlchemy reading of the same statement, on real entity tables."""
    records = lab.records()
    made = [records.create("widget", {"title": f"W{i}", "parts": [{"part": f"p{i}", "qty": i + 1,
                                                                   "unit_price": "1.25"}]}) for i in range(3)]
    ids = [w["id"] for w in made]
    ce = lab.snapshot().compiled["widget"]
    child = lab.snapshot().compiled[ce.entity.by_key["parts"].of]
    with lab.db.read() as conn:
        for prepared, params in ((ce.statements.by_ids, {"ids": ids + [10**9]}),
                                 (ce.statements.live_ids, {"ids": ids}),
                                 (ce.statements.live_by_id, {"id": ids[1]}),
                                 (child.statements.rows_of, {"ids": ids})):
            theirs = [dict(r) for r in conn.execute(prepared.statement, params).mappings()]
            assert prepared.execute(conn, params).mappings() == theirs, prepared


def test_only_storage_imports_the_private_module() -> None:
    """``storage/_prepared.py`` is reached through ``sunmao.storage.Prepared`` only."""
    import ast
    from pathlib import Path

    import sunmao

    root = Path(sunmao.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.parent == root / "storage":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) else [])
            if any(n.startswith("sunmao.storage._prepared") or n == "sunmao.storage.prepared" for n in names):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []
