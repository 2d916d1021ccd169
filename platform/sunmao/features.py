"""The engine features that compile their own kinds of documents into each snapshot.

This is the one place that knows every feature: the snapshot compiles entities and then
asks each feature here to compile its documents (workflows, channels, webhooks, jobs,
dashboards...). A feature module sits above the record service; listing it here keeps the
snapshot itself free of upward imports.
"""

from __future__ import annotations

import importlib
from typing import Any

from sunmao.snapshot import FeatureCompiler

#: "module:function" of every feature compiler, in the order they run.
FEATURES: tuple[str, ...] = (
    "sunmao.workflow.definition:compile_workflows",
    "sunmao.web.screens.layouts:compile_forms", "sunmao.web.screens.layouts:compile_views",
    "sunmao.printing:compile_prints",
    "sunmao.hooks.inbound.compiler:compile_channels",
    "sunmao.jobs.schedule:compile_jobs", "sunmao.hooks.outbound.model:compile_webhooks",
    "sunmao.dashboards.model:compile_dashboards",
    "sunmao.imports.template:compile_imports",
)


#: "module:function" of checks run after a publish against the data: ``check(snapshot, conn)``
#: returns warnings (``Text``) that do not refuse the publish but are shown to whoever made it.
DATA_CHECKS: tuple[str, ...] = (
    "sunmao.hooks.inbound.checks:lookup_warnings",
)


def _load(specs: tuple[str, ...]) -> list[Any]:
    found = []
    for spec in specs:
        module, _, name = spec.partition(":")
        found.append(getattr(importlib.import_module(module), name))
    return found


def default_features() -> list[FeatureCompiler]:
    return _load(FEATURES)


def data_checks() -> list[Any]:
    return _load(DATA_CHECKS)
