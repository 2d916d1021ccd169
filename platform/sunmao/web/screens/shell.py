"""What every screen shares: who is signed in, the navigation, and rendering inside the shell.

The navigation is built from the snapshot for the signed-in user's roles — an entity the
user may not read is not offered — so a role sees the same app the record service lets it use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g, render_template, request

from sunmao import notices
from sunmao.errors import Forbidden, NotFound
from sunmao.i18n import Text
from sunmao.meta.model import Entity
from sunmao.records import Actor, RecordService
from sunmao.records.compiled import CompiledEntity
from sunmao.snapshot import Snapshot
from sunmao.web.app import context, language
from sunmao.web.i18n import _
from sunmao.web.screens.layouts import scan_views, views_of
from sunmao.web.screens.widgets import assets

BASE_WIDGETS = ("shell",)


@dataclass
class NavItem:
    label: str
    url: str
    key: str
    children: list[NavItem] = field(default_factory=list)
    hint: str = ""
    new_url: str | None = None
    badge: int | None = None


def actor() -> Actor:
    return g.user.actor


def snapshot() -> Snapshot:
    snap = context().snapshot
    if snap is None:
        raise NotFound(Text("尚未安装任何应用：请运行 sunmao setup", "no app is installed yet: run `sunmao setup`"))
    return snap


def records() -> RecordService:
    snapshot()
    return context().records  # type: ignore[return-value]


def compiled(entity_key: str) -> CompiledEntity:
    """The entity of a screen URL; a child entity or an unknown key is a 404."""
    return records().compiled(entity_key)


def require(entity: Entity, action: str) -> None:
    """Refuse early with the service's own words, before a page is half-built."""
    if not actor().can(entity, action):
        verbs = {"read": ("查看", "read"), "create": ("新建", "create"), "update": ("修改", "change"),
                 "delete": ("删除", "delete")}[action]
        raise Forbidden(Text(f"你的角色不能{verbs[0]}{entity.label.zh}",
                             f"your role may not {verbs[1]} {entity.label.en} records"))


def workflows() -> dict[str, Any]:
    """The compiled workflows (entity key → workflow) once the workflow feature is installed."""
    snap = context().snapshot
    return dict(snap.features.get("workflows") or {}) if snap is not None else {}


def nav() -> list[NavItem]:
    snap = context().snapshot
    if snap is None or g.user is None:
        return []
    lang = language()
    who = g.user.actor
    items = []
    for entity in snap.top_entities:
        if not who.can(entity, "read"):
            continue
        item = NavItem(entity.label.get(lang), f"/app/{entity.key}", entity.key,
                       hint=entity.description.get(lang) if entity.description else "",
                       new_url=f"/app/{entity.key}/new" if who.can(entity, "create") else None)
        for view in views_of(snap, entity.key):
            item.children.append(NavItem(view.label.get(lang), f"/app/views/{view.key}", view.key))
        items.append(item)
    return items


def tools() -> list[NavItem]:
    """Pages that are not one entity: the inbox, the scan page, import and the recycle bin."""
    out = []
    if workflows():
        out.append(NavItem(_("Review inbox"), "/app/inbox", "inbox"))
    snap = context().snapshot
    boards = snap.features.get("dashboards") if snap is not None else None
    user = g.get("user")
    if boards is not None and user is not None and any(b.open_to(user.roles) for b in boards.boards.values()):
        out.append(NavItem("看板" if language() == "zh" else "Dashboards", "/dashboards", "dashboards"))
    lang = language()
    who = g.get("user")
    scans = [v for v in scan_views(snap) if who is not None and who.actor.can(snap.entities[v.entity], "read")] \
        if snap is not None else []
    out += [NavItem(v.label.get(lang), f"/app/views/{v.key}", v.key) for v in scans] or \
        [NavItem(_("Scan"), "/app/scan", "scan")]
    out.append(NavItem(_("Import"), "/app/import", "import"))
    out.append(NavItem(_("Recycle bin"), "/app/trash", "trash"))
    if g.get("user") is not None and {"designer", "admin"} & set(g.user.roles):
        out.append(NavItem(Text("设计器", "Designer").get(language()), "/designer", "designer"))
    return out


def unread_notices() -> int:
    """How many notices the signed-in user has not read (the bell in the top bar)."""
    user = actor()
    return notices.unread_count(context().runtime.db, user.id) if user.id is not None else 0


def render(template: str, *, title: str, widgets: list[str] | set[str] = (), status: int = 200,
           **values: Any) -> tuple[str, int]:
    """Render a page inside the shell with the scripts and styles of the widgets it uses."""
    scripts, styles = assets(set(BASE_WIDGETS) | set(widgets))
    page = render_template(template, title=title, lang=language(), user=g.get("user"), nav=nav(), tools=tools(),
                           scripts=scripts, styles=styles, path=request.path,
                           unread_notices=unread_notices() if g.get("user") else 0, **values)
    return page, status
