"""The home page ``/app``: the menu, the tools (with the inbox's count), and a feature's home board."""

from __future__ import annotations

from flask import g
from werkzeug.wrappers import Response

from sunmao.errors import SunmaoError
from sunmao.http.context import context
from sunmao.http.i18n import _
from sunmao.web.screens import inbox
from sunmao.web.screens.routes import blueprint
from sunmao.web.screens.shell import nav, render, tools


@blueprint.get("/app")
@blueprint.get("/app/")
def home() -> Response | tuple[str, int]:
    items = nav()
    tool_items = tools()
    for tool in tool_items:
        if tool.key == "inbox":
            tool.badge = _waiting()
    board = _home_board()
    return render("screens/home.html", title=_("Home"), items=items, tool_items=tool_items,
                  widgets=["dashboard"] if board else [], **board)


def _home_board() -> dict:
    """What a feature shows the user's roles on their home page (``Feature.home``: the dashboards
    feature's board for those roles, metadata ``home_for``); the first feature that answers wins."""
    for feature in context().runtime.features:
        for part in feature.home:
            board = part(g.user.roles)
            if board:
                return board
    return {}


def _waiting() -> int | None:
    """How many approvals wait for the signed-in user (shown on the inbox tile)."""
    try:
        return len(inbox.waiting())
    except SunmaoError:
        return None

