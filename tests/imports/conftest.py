"""Fixtures of the import tests: the order app with the small demo set, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from sunmao.runtime import Runtime
from tests.screens import demo


@pytest.fixture
def oms(runtime: Runtime) -> tuple[Runtime, dict[str, Any]]:
    demo.install(runtime)
    demo.users(runtime)
    return runtime, demo.seed(runtime, orders=2)


def workbook(build: Callable[[Any], None]) -> bytes:
    """An .xlsx made with openpyxl, as a sales office would save it."""
    from openpyxl import Workbook

    wb = Workbook()
    build(wb.active)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def count(runtime: Runtime, entity: str, **where: Any) -> int:
    table = runtime.snapshot().tables[entity]
    query = sa.select(sa.func.count()).select_from(table)
    if "deleted_at" in table.c:
        query = query.where(table.c.deleted_at.is_(None))
    for key, value in where.items():
        query = query.where(table.c[key] == value)
    with runtime.db.read() as conn:
        return conn.execute(query).scalar()
