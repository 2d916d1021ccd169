"""The record service: naming under concurrency, optimistic locking, audit diffs, atomic writes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from sunmao.errors import Conflict, PreconditionFailed, ValidationFailed
from sunmao.records import checks
from sunmao.runtime import Runtime
from sunmao.storage import system as sm


def _count(runtime: Runtime, table: sa.Table) -> int:
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_concurrent_creates_get_distinct_names(lab: Runtime) -> None:
    records = lab.records()
    barrier = threading.Barrier(8)

    def create(i: int) -> str:
        barrier.wait()
        return records.create("widget", {"title": f"并发{i}"})["name"]

    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(create, range(8)))
    bulk = [r["name"] for r in records.create_many("widget", [{"title": f"批量{i}"} for i in range(50)])]
    all_names = names + bulk
    assert len(set(all_names)) == 58
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in all_names)
    assert numbers[0] == 1 and numbers[-1] >= 58


def test_stale_version_is_a_conflict_not_an_overwrite(lab: Runtime) -> None:
    records = lab.records()
    created = records.create("widget", {"title": "原始"})
    records.update("widget", created["id"], {"title": "第一次修改"}, expected_version=1)
    with pytest.raises(PreconditionFailed) as info:
        records.update("widget", created["id"], {"title": "基于旧版本的修改"}, expected_version=1)
    assert info.value.status == 412
    assert info.value.extra["current_version"] == 2
    assert records.get("widget", created["id"])["title"] == "第一次修改"


def test_simultaneous_updates_one_wins(lab: Runtime) -> None:
    records = lab.records()
    created = records.create("widget", {"title": "抢"})
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def update(i: int) -> None:
        barrier.wait()
        try:
            records.update("widget", created["id"], {"qty": i + 10}, expected_version=1)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=update, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1 and outcomes.count("conflict") == 3
    assert records.get("widget", created["id"])["version"] == 2


def test_audit_entry_holds_the_field_diff_with_child_rows(lab: Runtime) -> None:
    records = lab.records()
    created = records.create("widget", {"title": "审计", "qty": 2,
                                        "parts": [{"part": "A", "qty": 1, "unit_price": "2.00"}]})
    part_id = created["parts"][0]["id"]
    records.update("widget", created["id"], {"qty": 3, "parts": [
        {"id": part_id, "qty": 2}, {"part": "B", "qty": 1, "unit_price": "1.00"}]})
    with lab.db.read() as conn:
        entries = conn.execute(sa.select(sm.audit).where(sm.audit.c.record_id == created["id"],
                                                         sm.audit.c.entity == "widget")
                               .order_by(sm.audit.c.id)).mappings().all()
    assert [e["action"] for e in entries] == ["created", "updated"]
    assert entries[0]["diff"]["title"] == [None, "审计"]
    diff = entries[1]["diff"]
    assert diff["qty"] == [2, 3]
    assert diff["total"] == ["2.00", "5.00"]
    assert "title" not in diff
    assert diff["parts"]["changed"] == [{"id": part_id, "changes": {"qty": ["1.00", "2.00"],
                                                                    "amount": ["2.00", "4.00"]}}]
    assert diff["parts"]["added"][0]["part"] == "B"


def test_unchanged_update_writes_nothing(lab: Runtime) -> None:
    records = lab.records()
    created = records.create("widget", {"title": "不变"})
    same = records.update("widget", created["id"], {"title": "不变"})
    assert same["version"] == 1
    assert _count(lab, sm.outbox) == 1


def test_every_write_emits_one_outbox_event(lab: Runtime) -> None:
    records = lab.records()
    created = records.create("widget", {"title": "事件", "price": "2.00"})
    records.update("widget", created["id"], {"qty": 5})
    records.delete("widget", created["id"])
    with lab.db.read() as conn:
        events = conn.execute(sa.select(sm.outbox).order_by(sm.outbox.c.id)).mappings().all()
    assert [e["topic"] for e in events] == ["widget.created", "widget.updated", "widget.deleted"]
    assert len({e["event_id"] for e in events}) == 3
    assert events[1]["payload"]["changed"] == ["qty", "stock_value"]
    assert events[1]["payload"]["record"]["qty"] == 5


def test_a_failed_write_leaves_neither_record_nor_event(lab: Runtime) -> None:
    records = lab.records()
    records.create("widget", {"title": "先占用", "code": "XY-001"})
    before = (_count(lab, lab.snapshot().tables["widget"]), _count(lab, sm.outbox), _count(lab, sm.audit))
    with pytest.raises(ValidationFailed):
        records.create_many("widget", [{"title": "好的"}, {"title": "重复", "code": "XY-001"}])
    with pytest.raises(ValidationFailed):
        records.create("widget", {"title": "坏的零件", "parts": [{"part": "x", "qty": "abc", "unit_price": 1}]})
    after = (_count(lab, lab.snapshot().tables["widget"]), _count(lab, sm.outbox), _count(lab, sm.audit))
    assert after == before
    assert _count(lab, lab.snapshot().tables["widget_part"]) == 0


def test_database_failure_mid_write_rolls_everything_back(lab: Runtime) -> None:
    """A constraint the service did not pre-check (a race on a unique value) still loses nothing."""
    records = lab.records()
    table = lab.snapshot().tables["widget"]
    records.create("widget", {"title": "a", "code": "RC-001"})
    with lab.db.write() as conn:  # simulate a concurrent writer that slipped in between check and insert
        conn.execute(table.update().values(code="RC-002"))
    events = _count(lab, sm.outbox)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "unique", lambda *a, **k: None)
        with pytest.raises(Conflict):
            records.create("widget", {"title": "b", "code": "RC-002", "parts": [
                {"part": "p", "qty": 1, "unit_price": 1}]})
    assert _count(lab, sm.outbox) == events
    assert _count(lab, lab.snapshot().tables["widget_part"]) == 0
