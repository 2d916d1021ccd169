"""The database's own state — a full disk, a connection the server cut — answered 503 with a reason and
Retry-After, never a 500; nothing half-written, and the resend taken once the database is back."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from tests.inbound.conftest import Shop
from tests.inbound.payloads import woo_order


@pytest.fixture
def db_url(tmp_path) -> str:  # noqa: ANN001
    return f"sqlite:///{tmp_path / 'sunmao.db'}"


def test_a_full_disk_refuses_orders_whole_and_takes_them_again_when_there_is_room(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's file cannot grow (``max_page_count`` stands in for a full disk): an order that does not
    fit is answered 503 with a reason and Retry-After, and leaves nothing behind; once there is room,
    the shop's resend is taken."""
    runtime = shop.runtime
    if not runtime.db.is_sqlite:
        pytest.skip("a full disk of a SQLite installation")
    engine = runtime.db.engine
    limit = {"pages": 0}

    @sa.event.listens_for(engine, "connect")
    def _cap(dbapi_conn: object, _record: object) -> None:  # new connections
        if limit["pages"]:
            dbapi_conn.execute(f"PRAGMA max_page_count = {limit['pages']}")  # type: ignore[attr-defined]

    with runtime.db.read() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
    limit["pages"] = pages + 2
    engine.dispose()  # every connection from now on has the cap
    before = shop.counts()
    answers = [shop.web_shop(woo_order(70000 + i, lines=[("BLT-M8-30", 500 + i * 37, 0.35)] * 40))
               for i in range(30)]
    statuses = Counter(a.status_code for a in answers)
    refused = [a for a in answers if a.status_code == 503]
    assert refused, statuses
    assert set(statuses) <= {200, 201, 202, 503}, statuses  # never a 500
    assert refused[0].headers.get("Retry-After") and "full" in refused[0].json["detail"].lower()
    taken = len(answers) - len(refused)
    after = shop.counts()
    assert after["order"] - before["order"] == taken  # no half-written order
    limit["pages"] = 0
    engine.dispose()
    with runtime.db.read() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 1073741823")
    again = shop.web_shop(woo_order(70000 + answers.index(refused[0]),
                                    lines=[("BLT-M8-30", 500 + answers.index(refused[0]) * 37, 0.35)] * 40))
    assert again.status_code in (200, 201), again.json


def test_a_connection_cut_by_the_server_is_a_503_to_retry(pg_schema_url: str) -> None:
    from sunmao.errors import Unavailable
    from sunmao.storage.db import Database
    from sunmao.storage.faults import GONE, unavailable
    from tests.conftest import PG_URL

    db = Database(pg_schema_url)
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with pytest.raises(sa.exc.DBAPIError) as info, db.write() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.execute(sa.text("SELECT 1"))
        error = unavailable(info.value)
        assert isinstance(error, Unavailable) and error.status == 503 and error.detail == GONE
        assert unavailable(sa.exc.DBAPIError("SELECT 1", {}, ValueError("a bug"))) is None
    finally:
        admin.dispose()
        db.dispose()
