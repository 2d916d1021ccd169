"""The job layer's part in every web app: wake the pumps after a write; start the embedded runner.

Mounted by the jobs feature (``jobs/feature.py``); it has no routes of its own.

- After a successful write request, :func:`~sunmao.jobs.notify.notify_work` wakes this
  process's pump and (with Redis) the workers', so events leave at once. With Redis down it
  costs at most a fraction of a second once, then nothing for a few seconds.
- Without ``REDIS_URL``, the first request served by a real WSGI server (waitress for
  ``sunmao run``, gunicorn) starts the embedded runner in that process. The WSGI test client
  sets no ``SERVER_SOFTWARE`` and starts nothing, so tests keep control of their threads.
  ``SUNMAO_JOBS=off`` keeps web processes from starting it (run ``sunmao worker`` instead).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from sunmao.jobs.notify import notify_work
from sunmao.jobs.service import embedded_service, start_embedded
from sunmao.jobs.settings import JobSettings

log = logging.getLogger(__name__)
blueprint = Blueprint("sunmao_jobs", __name__)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_refused: list[str] = []


@blueprint.before_app_request
def _start_embedded_runner() -> None:
    if not request.environ.get("SERVER_SOFTWARE"):
        return
    runtime = current_app.extensions["sunmao"].runtime
    if embedded_service(runtime) is not None:
        return
    try:
        settings = JobSettings.from_env()
    except ValueError as exc:  # a mistyped SUNMAO_JOBS_* variable: say so (once), keep serving pages
        if not _refused:
            _refused.append(str(exc))
            log.error("the embedded job runner is not started: %s", exc)
        return
    if settings.redis_url is None and settings.embedded_enabled:
        start_embedded(runtime, settings)


@blueprint.after_app_request
def _wake_pumps(response: Response) -> Response:
    if request.method in WRITES and response.status_code < 400:
        notify_work()
    return response
