"""The home page ``/app``: the user's to-do counts, the menu, the tools (with the inbox's count),
and a feature's home board."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import g
from werkzeug.wrappers import Response

from sunmao.errors import SunmaoError
from sunmao.http.context import context, language
from sunmao.http.i18n import _
from sunmao.records.query import ListQuery
from sunmao.web.screens import inbox, shell
from sunmao.web.screens.routes import blueprint
from sunmao.web.screens.shell import nav, render, tools


@dataclass
class Todo:
    """One count on the home page, and the list or inbox it opens."""

    key: str
    label: str
    count: int
    url: str
    urgent: bool = False


@blueprint.get("/app")
@blueprint.get("/app/")
def home() -> Response | tuple[str, int]:
    items = nav()
    tool_items = tools()
    todos = _todos()
    for tool in tool_items:
        if tool.key == "inbox":
            tool.badge = next((t.count for t in todos if t.key == "tasks"), None)
    board = _home_board()
    return render("screens/home.html", title=_("Home"), items=items, tool_items=tool_items, todos=todos,
                  widgets=["dashboard"] if board else [], **board)


def _todos() -> list[Todo]:
    """What waits for the signed-in user: approvals, the overdue ones among them, and, per entity
    with a workflow the user creates records of, the user's own records still in its first state."""
    out: list[Todo] = []
    try:
        if shell.workflows():
            out.append(Todo("tasks", _("Tasks waiting for me"), len(inbox.waiting()), "/app/inbox"))
            late = len(inbox.waiting("overdue"))
            out.append(Todo("overdue", _("Overdue tasks"), late, "/app/inbox?box=overdue", urgent=late > 0))
    except SunmaoError:
        pass
    actor = shell.actor()
    lang = language()
    for key, flow in shell.workflows().items():
        entity = shell.snapshot().entities.get(key)
        if entity is None or entity.child or not actor.can(entity, "create") or actor.id is None:
            continue
        filters = [(flow.state_field, "eq", flow.initial), ("created_by", "eq", actor.id)]
        try:
            total = shell.records().list(key, ListQuery(filters=filters, limit=1), actor=actor)["total"]
        except SunmaoError:
            continue
        state = flow.states.get(flow.initial)
        out.append(Todo(f"drafts-{key}", _("My %(state)s: %(entity)s", state=state.label.get(lang) if state else
                                          flow.initial, entity=entity.label.get(lang)), int(total or 0),
                        f"/app/{key}?" + urlencode({flow.state_field: flow.initial, "created_by": actor.id})))
    return out


def _home_board() -> dict:
    """What a feature shows the user's roles on their home page (``Feature.home``: the dashboards
    feature's board for those roles, metadata ``home_for``); the first feature that answers wins."""
    for feature in context().runtime.features:
        for part in feature.home:
            board = part(g.user.roles)
            if board:
                return board
    return {}
