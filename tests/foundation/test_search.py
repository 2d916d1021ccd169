"""The list search (``q=``): any substring of a search field, Chinese included, through links too; on
PostgreSQL each searched text column has a trigram index that the search's query can use."""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.records.query import ListQuery, build_filters
from sunmao.runtime import Runtime

TITLES = ["宁波市精工实业", "宁波精工", "苏州恒通精密机械", "Hex bolt M8", "50%_off 特价"]


def _found(lab: Runtime, text: str) -> list[str]:
    rows = lab.records().list("widget", ListQuery(search=text, sort=[("id", False)], limit=50))["items"]
    return [r["title"] for r in rows]


def test_any_substring_is_found_case_blind_and_literally(lab: Runtime) -> None:
    records = lab.records()
    for title in TITLES:
        records.create("widget", {"title": title})
    assert _found(lab, "精工") == ["宁波市精工实业", "宁波精工"]  # two characters
    assert _found(lab, "市精工实") == ["宁波市精工实业"]
    assert _found(lab, "HEX BOLT") == ["Hex bolt M8"]
    assert _found(lab, "%_") == ["50%_off 特价"]  # % and _ are letters here, not wildcards
    assert _found(lab, "不存在") == []
    made = records.create("widget", {"title": "名字之外"})
    assert _found(lab, made["name"][2:]) == ["名字之外"]  # the record's number is searched too


def test_postgres_declares_trigram_indexes_the_search_uses(lab: Runtime) -> None:
    if lab.db.is_sqlite:
        return  # SQLite: LIKE '%…%' has no index; the search reads the table once
    ce = lab.snapshot().compiled["widget"]
    with lab.db.read() as conn:
        indexes = dict(conn.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 't_widget' "
            "AND indexname LIKE '%\\_trgm'")
        ).all())
        assert len(indexes) == 3 and all("gin_trgm_ops" in d for d in indexes.values())  # title, code, name
        conn.exec_driver_sql("SET enable_seqscan = off")  # a handful of rows: make the planner show what it can use
        where = build_filters(ce, ListQuery(search="精工实业"), dialect="postgresql")
        plan = "\n".join(conn.execute(sa.text("EXPLAIN " + str(
            sa.select(ce.table.c.id).where(*where).compile(conn, compile_kwargs={"literal_binds": True}))))
            .scalars())
    assert "_trgm" in plan, plan
