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


def publish_board(runtime: Runtime, doc: dict[str, Any]) -> None:
    """Publish the installed order app again with one more dashboard document."""
    apps, texts = runtime.current_apps()
    apps["order_management"][f"dashboards/{doc['key']}.json"] = doc
    runtime.publish(apps, texts=texts)


def board(key: str, widgets: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"kind": "dashboard", "key": key, "label": {"zh": "测试看板", "en": "Test board"}, "widgets": widgets,
            **extra}


def widget(wid: str, query: dict[str, Any], kind: str = "table", **extra: Any) -> dict[str, Any]:
    return {"id": wid, "type": kind, "title": {"zh": wid, "en": wid}, "query": query, **extra}


def rows_of(runtime: Runtime, key: str, wid: str, actor: Any = None, state: dict[str, Any] | None = None
            ) -> list[dict[str, Any]]:
    from sunmao.dashboards.service import DashboardService
    from sunmao.records import SYSTEM

    service = DashboardService(runtime.records())
    found = service.board(key, actor or SYSTEM)
    return service.data(found, found.widget(wid), actor or SYSTEM, state or service.state(found, {})).rows


from tests.outbound.conftest import robots  # noqa: E402, F401 - the fixture is used by name
