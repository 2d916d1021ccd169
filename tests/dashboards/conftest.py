"""The order app with people in every role (tests/workflow) — what the dashboard tests run against."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sunmao.records.stages import stage
from sunmao.runtime import Runtime
from tests.workflow.conftest import OM, om  # noqa: F401 - the fixture is used by name


def stays(runtime: Runtime, record_id: int, entity: str = "order") -> list[dict[str, Any]]:
    """The stage rows of one record, oldest first."""
    with runtime.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(stage).where(stage.c.entity == entity,
                                                                     stage.c.record_id == record_id)
                                              .order_by(stage.c.id)).mappings()]


def walk(om: OM, order_id: int, *actions: tuple[str, str, dict[str, Any]]) -> None:  # noqa: F811
    for action, who, values in actions:
        om.act(order_id, action, who, values=values)
