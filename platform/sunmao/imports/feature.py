"""The imports feature: workbooks and CSV files into records, with templates, previews and a job."""

from __future__ import annotations

from sunmao.feature import Feature, Mount
from sunmao.imports import cli, jobs, tables, web
from sunmao.imports.template import compile_imports

FEATURE = Feature(
    name="imports",
    kinds=("import",),
    compilers=(compile_imports,),
    blueprints=(Mount(web.blueprint, csrf_exempt=True),),  # bearer tokens, or the session with X-CSRFToken
    openapi=(web.openapi,),
    commands=(cli.command,),
    tables=(tables.upload, tables.template),
    jobs=(jobs.run_upload,),
)
