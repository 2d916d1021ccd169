"""Stage history: every state a record enters and leaves, on every path, and back-filled from the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from sunmao.records import SYSTEM
from sunmao.records.stages import backfill, stage
from tests.dashboards.conftest import stays
from tests.workflow.conftest import OM


def test_create_and_transitions_write_stays_with_who_and_working_clock(om: OM) -> None:
    order = om.order()
    om.act(order["id"], "submit", "sales1")  # no review applies: submitted, then approved by the system
    om.act(order["id"], "schedule", "prod1")
    rows = stays(om.runtime, order["id"])
    assert [r["state"] for r in rows] == ["draft", "submitted", "approved", "scheduled"]
    assert [r["action"] for r in rows] == [None, "submit", "approve", "schedule"]
    assert all(r["left_at"] is not None for r in rows[:-1]) and rows[-1]["left_at"] is None
    for before, after in zip(rows, rows[1:], strict=False):
        assert before["left_at"] == after["entered_at"] and before["left_work"] == after["entered_work"]
    assert rows[1]["entered_by"] == om.actors["sales1"].id and rows[0]["left_by"] == om.actors["sales1"].id
    assert rows[3]["entered_by"] == om.actors["prod1"].id
    assert all(isinstance(r["entered_work"], int) for r in rows)


def test_history_import_starts_in_its_state_and_backfill_is_idempotent(om: OM) -> None:
    records = om.runtime.records()
    [imported] = records.create_many("order", [{
        "customer": om.customers["B"], "due_date": "2030-01-01", "status": "in_production",
        "lines": [{"product": om.products["plain"], "qty": "1", "unit_price": "1.00"}]}], actor=SYSTEM, history=True)
    assert [r["state"] for r in stays(om.runtime, imported["id"])] == ["in_production"]
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    with om.runtime.db.write() as conn:
        conn.execute(stage.delete())  # as if the records were written before stage history existed
    snapshot = om.runtime.snapshot()
    first = backfill(om.runtime.db, snapshot)
    assert first["order"] == 4  # imported: 1; the other: draft, submitted, approved
    assert [r["state"] for r in stays(om.runtime, order["id"])] == ["draft", "submitted", "approved"]
    assert backfill(om.runtime.db, snapshot) == {"order": 0, "qc_inspection": 0}  # every workflow entity
    rebuilt = backfill(om.runtime.db, snapshot, rebuild=True)
    assert rebuilt["order"] == 4
    with om.runtime.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(stage)).scalar() == 4


def test_a_record_without_audit_gets_its_current_state(om: OM) -> None:
    """A row written before the audit existed (a legacy import by SQL): the audit is append-only, so the
    record is copied by SQL under a new id rather than its audit deleted."""
    order = om.order()
    table = om.runtime.snapshot().tables["order"]
    with om.runtime.db.write() as conn:
        conn.execute(stage.delete())
        row = dict(conn.execute(sa.select(table).where(table.c.id == order["id"])).mappings().one())
        row.update(id=order["id"] + 1000, name=f"{row['name']}-legacy")
        conn.execute(sa.insert(table).values(**row))
    backfill(om.runtime.db, om.runtime.snapshot())
    [row] = stays(om.runtime, order["id"] + 1000)
    assert row["state"] == "draft" and row["left_at"] is None
    assert row["entered_at"] <= datetime.now(UTC)


def test_the_backfill_command(om: OM, monkeypatch: object, db_url: str) -> None:
    from click.testing import CliRunner

    from sunmao.cli import main

    om.order()
    with om.runtime.db.write() as conn:
        conn.execute(stage.delete())
    monkeypatch.setenv("DATABASE_URL", db_url)  # type: ignore[attr-defined]
    result = CliRunner().invoke(main, ["stages", "backfill"])
    assert result.exit_code == 0, result.output
    assert "order: 1 stage rows written" in result.output
    assert "order: 0 stage rows written" in CliRunner().invoke(main, ["stages", "backfill"]).output
