"""The WSGI dispatcher: hand each request to the Flask app of the published version.

Flask refuses new blueprints after its first request, and generated routes, schemas and
admin views are bound at construction; so instead of mutating a running app, every
published version gets an app of its own. The dispatcher reads the current version (one
cheap query, at most every ``check_interval``), builds the app for a new version under a lock
and keeps the last two, so requests in flight on the old version finish on it. A publish in
one process therefore reaches every worker of every process without a restart.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from sunmao.cache import LastVersions
from sunmao.runtime import Runtime
from sunmao.web.app import create_app

KEEP_APPS = 2
#: Seconds after a new version's app is built before the collector is tidied (see ``_build``).
SETTLE_AFTER = 5.0


class VersionDispatcher:
    def __init__(self, runtime: Runtime, factory: Callable[[Runtime, int | None], Flask]):
        self.runtime = runtime
        self.factory = factory
        self._apps: LastVersions[int | None, Flask] = LastVersions(KEEP_APPS)

    def app_for(self, version: int | None) -> Flask:
        return self._apps.get(version, self._build)

    def _build(self, version: int | None) -> Flask:
        """The app of a version. Its long-lived objects (snapshot, compiled rules, routes) are then
        moved out of the garbage collector's way — every full collection would otherwise walk them
        again while requests wait — but a few seconds later, off the request that found the new
        version: the full collection that frees the replaced version's cycles takes longer than
        building the app, and the first request on a new version should not wait for it."""
        app = self.factory(self.runtime, version)
        settle = threading.Timer(SETTLE_AFTER, _settle)
        settle.daemon = True
        settle.start()
        return app

    def current_app(self) -> Flask:
        return self.app_for(self.runtime.current_version())

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return self.current_app()(environ, start_response)


_settling = threading.Lock()


def _settle() -> None:
    """Collect what replaced versions left, then freeze what lives on (once per publish)."""
    with _settling:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def create_wsgi(runtime: Runtime) -> VersionDispatcher:
    """The dispatcher over the apps ``create_app`` builds for the runtime's versions."""
    return VersionDispatcher(runtime, create_app)
