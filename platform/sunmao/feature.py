"""The seam every engine feature plugs in through: one :class:`Feature` object per feature.

A feature (records, workflows, channels, webhooks, jobs, imports, dashboards, the designer...)
declares here what it adds to the engine, and :mod:`sunmao.assembly` — the one composition root
— lists the features and hands them to the runtime, the app factory, the CLI, the job layer
and ``create_system_tables``. Nothing is loaded by a string name: a feature's ``feature.py``
imports what it declares, so import-linter sees every dependency (``docs/engine.md``).

This module sits at the bottom of the layers: it imports nothing of the engine, and the
objects a feature declares are typed loosely (``Any``) so that declaring one never pulls the
layers above into a module below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

#: ``compile(snapshot) -> (name, value, problems)``: a feature's documents compiled into a snapshot,
#: available to every request of that version as ``snapshot.features[name]``.
Compiler = Callable[[Any], tuple[str, Any, list[Any]]]
#: ``check(snapshot, conn) -> [Text]``: what a publish will meet in the data (warnings, never refusals).
DataCheck = Callable[[Any, Any], Iterable[Any]]
#: ``openapi(snapshot | None) -> {path: operations}``: a blueprint's part of the OpenAPI document.
OpenAPIPart = Callable[[Any], dict[str, dict[str, Any]]]
#: ``home(roles) -> dict | None``: what the home page shows a user with these roles (a board), or None.
HomePart = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Mount:
    """A Flask blueprint of a feature, and how the app factory treats its requests."""

    blueprint: Any
    #: Token- or signature-authenticated (a cookie-authenticated write still needs its CSRF token).
    csrf_exempt: bool = False
    #: Nobody signs in here (webhooks): no session is opened and no user looked up.
    userless: bool = False

    @property
    def name(self) -> str:
        return str(self.blueprint.name)


@dataclass(frozen=True)
class Feature:
    """What one engine feature adds. Every field is optional but ``name``."""

    name: str
    #: Document kinds it owns; each has a meta-schema ``metadata/<kind>.schema.json``.
    kinds: tuple[str, ...] = ()
    #: Snapshot compilers, run in feature order after the entities are compiled.
    compilers: tuple[Compiler, ...] = ()
    #: Checks run against the data after a publish (warnings shown to whoever published).
    data_checks: tuple[DataCheck, ...] = ()
    #: Blueprints the app factory registers, in order.
    blueprints: tuple[Mount, ...] = ()
    #: Parts of the OpenAPI document (the ``/api`` routes of its blueprints).
    openapi: tuple[OpenAPIPart, ...] = ()
    #: Click commands and groups added to ``sunmao``.
    commands: tuple[Any, ...] = ()
    #: ``sqlalchemy.MetaData`` holding its platform tables (``sm_*``), created by ``sunmao db upgrade``.
    tables: tuple[Any, ...] = ()
    #: Job functions (``@job``), leased work queues (``WorkQueue``) and outbox subscribers (``@subscribe``).
    jobs: tuple[Any, ...] = ()
    #: What the home page shows (the first feature that answers wins).
    home: tuple[HomePart, ...] = ()


class FeatureConflict(ValueError):
    """Two features claim the same name, document kind, blueprint, command or job."""


def check_features(features: Iterable[Feature]) -> tuple[Feature, ...]:
    """The features, once it is sure that no two of them claim the same thing."""
    features = tuple(features)
    owners: dict[tuple[str, str], str] = {}

    def claim(what: str, key: str, feature: Feature) -> None:
        owner = owners.setdefault((what, key), feature.name)
        if owner != feature.name:
            raise FeatureConflict(f"{what} {key!r} is claimed by both the {owner!r} and the {feature.name!r} features")

    seen: set[str] = set()
    for feature in features:
        if feature.name in seen:
            raise FeatureConflict(f"the feature {feature.name!r} is listed twice")
        seen.add(feature.name)
        for kind in feature.kinds:
            claim("document kind", kind, feature)
        for mount in feature.blueprints:
            claim("blueprint", mount.name, feature)
        for command in feature.commands:
            claim("command", command.name, feature)
        for item in feature.jobs:
            claim("the", _job_name(item), feature)
    return features


def _job_name(item: Any) -> str:
    """A job's, work queue's or subscriber's name: ``@job`` functions carry their spec as ``.job``,
    ``@subscribe`` handlers theirs as ``.subscriber``; a work queue has a ``name``."""
    for kind in ("job", "subscriber"):
        spec = getattr(item, kind, None)
        if spec is not None:
            return f"{kind} {spec.name}"
    return f"queue {getattr(item, 'name', repr(item))}"
