"""The SQLite write path of one process: writers queue for the write lock instead of sleeping in
SQLite's busy handler (or failing when it gives up)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from sunmao.storage import Database


def test_threads_of_one_process_take_turns_to_write(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")

    @event.listens_for(db.engine, "connect")
    def _no_patience(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA busy_timeout=0")  # SQLite alone would refuse a second writer

    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE hits (thread INTEGER, n INTEGER)")
    errors: list[BaseException] = []

    def writer(thread: int) -> None:
        try:
            for n in range(25):
                with db.write() as conn:
                    conn.execute(sa.text("INSERT INTO hits VALUES (:t, :n)"), {"t": thread, "n": n})
                    time.sleep(0.001)  # hold the lock while another thread wants it
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM hits").scalar() == 100
    db.dispose()


def test_json_columns_keep_what_the_standard_library_kept(tmp_path: Path) -> None:
    """orjson writes the JSON columns; values come back as before, including what orjson itself
    refuses (integers beyond 64 bits) and with the same refusal for what JSON cannot hold."""
    import json
    from datetime import UTC, date, datetime
    from decimal import Decimal

    import pytest

    from sunmao.storage.db import _json_default, json_serializer

    value = {"名称": "螺栓", 7: "int key", "price": Decimal("12.50"), "qty": Decimal("3"), "big": 2**80,
             "when": datetime(2026, 11, 25, 8, 30, tzinfo=UTC), "day": date(2026, 11, 25), "rows": [(1, 2.5, None)]}
    stored = json.loads(json_serializer(value))
    assert stored == json.loads(json.dumps(value, ensure_ascii=False, default=_json_default))
    assert stored["名称"] == "螺栓" and stored["7"] == "int key" and stored["big"] == 2**80
    with pytest.raises(TypeError, match="set cannot be stored in a JSON column"):
        json_serializer({"tags": {"a"}})
