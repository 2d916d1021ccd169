"""The dashboards feature: boards of KPIs and charts, their pages, reports and the home board."""

from __future__ import annotations

from sunmao.dashboards import cli, report, web
from sunmao.dashboards.model import compile_dashboards
from sunmao.feature import Feature, Mount

FEATURE = Feature(
    name="dashboards",
    kinds=("dashboard",),
    compilers=(compile_dashboards,),
    blueprints=(Mount(web.blueprint),),
    commands=(cli.command,),
    jobs=(report.report,),
    home=(web.home_board,),
)
