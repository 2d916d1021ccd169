"""The composition root: the one place that lists the engine's features and puts them together.

Every process is assembled here — the web server (:func:`application`, ``sunmao.wsgi``), the
``sunmao`` command (its subcommands are the features' ``Feature.commands``), job workers (the
features' jobs are installed with the runtime). Below this module nothing names a feature it does
not import for its own work, and nothing is loaded by a string name; import-linter keeps it so
(``[tool.importlinter]`` in pyproject.toml; ``docs/engine.md`` shows how to add a feature).
"""

from __future__ import annotations

from collections.abc import Sequence

from sunmao.admin.feature import FEATURE as ADMIN
from sunmao.dashboards.feature import FEATURE as DASHBOARDS
from sunmao.designer.feature import FEATURE as DESIGNER
from sunmao.feature import Feature, check_features
from sunmao.hooks.inbound.feature import FEATURE as CHANNELS
from sunmao.hooks.outbound.feature import FEATURE as WEBHOOKS
from sunmao.imports.feature import FEATURE as IMPORTS
from sunmao.jobs import registry
from sunmao.jobs.feature import FEATURE as JOBS
from sunmao.matching.feature import FEATURE as MATCHING
from sunmao.notices.feature import FEATURE as NOTICES
from sunmao.portal.feature import FEATURE as PORTAL
from sunmao.printing.feature import FEATURE as PRINTING
from sunmao.records.feature import FEATURE as RECORDS
from sunmao.runtime import Runtime
from sunmao.storage import Database
from sunmao.web import VersionDispatcher, create_wsgi
from sunmao.web.feature import FEATURE as WEB
from sunmao.workflow.feature import FEATURE as WORKFLOW

#: Every engine feature, in the order their compilers run and their blueprints register.
FEATURES: tuple[Feature, ...] = check_features((
    RECORDS, WEB, WORKFLOW, PRINTING, CHANNELS, JOBS, WEBHOOKS, NOTICES, IMPORTS, PORTAL, ADMIN, DASHBOARDS,
    DESIGNER, MATCHING,
))


def runtime(db: Database | str | None = None, *, features: Sequence[Feature] = FEATURES,
            check_interval: float = 0.5) -> Runtime:
    """A runtime on ``db`` (``DATABASE_URL`` when None) with the features; their jobs, work queues
    and subscribers are installed in this process."""
    registry.install(item for feature in features for item in feature.jobs)
    return Runtime(db, features=features, check_interval=check_interval)


def application(db: Database | str | Runtime | None = None) -> VersionDispatcher:
    """The WSGI application of a database: one Flask app per published version, every feature's
    blueprints registered in each."""
    return create_wsgi(db if isinstance(db, Runtime) else runtime(db))


def commands() -> list[object]:
    """The click commands the features add to ``sunmao``."""
    return [command for feature in FEATURES for command in feature.commands]
