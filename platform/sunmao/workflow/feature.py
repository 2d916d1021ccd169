"""The workflow feature: approval flows, working calendars and capacity schedules, their API, tables and timer job."""

from __future__ import annotations

from sunmao.feature import Feature, Mount
from sunmao.workflow import jobs, tables, web
from sunmao.workflow.definition import compile_workflows
from sunmao.workflow.scheduling import compile_schedules

FEATURE = Feature(
    name="workflow",
    kinds=("workflow", "calendar", "schedule"),
    compilers=(compile_workflows, compile_schedules),
    # same rules as the record API: bearer tokens, or the session with X-CSRFToken
    blueprints=(Mount(web.blueprint, csrf_exempt=True),),
    openapi=(web.openapi,),
    tables=(tables.run, tables.task),
    jobs=(jobs.sla_tick, jobs.generate, jobs.schedule),
)
