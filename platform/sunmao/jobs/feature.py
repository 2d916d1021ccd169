"""The jobs feature: scheduled and queued jobs, the workers, the secret store, the platform's own jobs."""

from __future__ import annotations

from sunmao.feature import Feature, Mount
from sunmao.jobs import builtin, runs, secrets_cli, tables, web, worker
from sunmao.jobs.schedule import compile_jobs

FEATURE = Feature(
    name="jobs",
    kinds=("job",),
    compilers=(compile_jobs,),
    blueprints=(Mount(web.blueprint),),  # starts the embedded runner and wakes pumps after writes
    commands=(worker.command, secrets_cli.command),
    tables=(tables.job_run, tables.secret),
    jobs=(runs.RUNS, builtin.prune, builtin.recompute),
)
