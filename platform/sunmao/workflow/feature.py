"""The workflow feature: approval flows and working calendars, their API, tables and timer job."""

from __future__ import annotations

from sunmao.feature import Feature, Mount
from sunmao.workflow import jobs, tables, web
from sunmao.workflow.definition import compile_workflows

FEATURE = Feature(
    name="workflow",
    kinds=("workflow", "calendar"),
    compilers=(compile_workflows,),
    # same rules as the record API: bearer tokens, or the session with X-CSRFToken
    blueprints=(Mount(web.blueprint, csrf_exempt=True),),
    openapi=(web.openapi,),
    tables=(tables.run, tables.task),
    jobs=(jobs.sla_tick, jobs.generate),
)
