"""The Feature seam: every document kind has one owner, conflicts are refused, and a new feature —
a compiler, a table, a blueprint with its OpenAPI part, a command, a job — plugs in through its
Feature object alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Blueprint

from sunmao import accounts, assembly
from sunmao.feature import Feature, FeatureConflict, Mount, check_features
from sunmao.http.context import context
from sunmao.http.openapi import json_content, responses
from sunmao.http.requests import current_actor
from sunmao.jobs.registry import JobContext, get_job, job
from sunmao.meta.schemas import kinds
from sunmao.storage.system import system_metadata
from sunmao.web import create_wsgi
from tests.conftest import FIXTURES, Api


def test_every_document_kind_has_one_feature() -> None:
    owners: dict[str, list[str]] = {}
    for feature in assembly.FEATURES:
        for kind in feature.kinds:
            owners.setdefault(kind, []).append(feature.name)
    assert set(owners) == set(kinds())  # a meta-schema nobody compiles, or a kind without a schema, is a bug
    assert all(len(names) == 1 for names in owners.values())


def test_conflicting_features_are_refused() -> None:
    one = Feature(name="one", kinds=("entity",))
    with pytest.raises(FeatureConflict, match="document kind 'entity'.*'records' and the 'one'"):
        check_features((*assembly.FEATURES, one))
    with pytest.raises(FeatureConflict, match="listed twice"):
        check_features((one, one))
    twin = Feature(name="twin", blueprints=(Mount(Blueprint("api", __name__)),))
    with pytest.raises(FeatureConflict, match="blueprint 'api'"):
        check_features((*assembly.FEATURES, twin))


# -- a feature of the test's own ----------------------------------------------------------------

checked = sa.Table("sm_test_checked", system_metadata, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("entity", sa.String(40), nullable=False))
probe = Blueprint("probe", __name__, url_prefix="/api/v1")


def compile_probe(snapshot: Any) -> tuple[str, Any, list[Any]]:
    return "probe", tuple(sorted(snapshot.entities)), []


@probe.get("/_probe")
def probe_entities() -> dict[str, Any]:
    return {"caller": current_actor().username, "entities": list(context().snapshot.features["probe"])}


def probe_openapi(snapshot: Any) -> dict[str, dict[str, Any]]:
    return {"/api/v1/_probe": {"get": {"summary": "the entities", "operationId": "probe",
                                       "responses": responses({"200": {"description": "ok", "content":
                                                                       json_content({"type": "object"})}}, 401)}}}


@job("tests.probe")
def probe_job(ctx: JobContext) -> int:
    return len(ctx.runtime.snapshot().entities)


PROBE = Feature(name="probe", compilers=(compile_probe,), tables=(checked,), jobs=(probe_job,),
                blueprints=(Mount(probe, csrf_exempt=True),), openapi=(probe_openapi,))


def test_a_new_feature_plugs_in_through_its_feature_object(tmp_path: Path) -> None:
    runtime = assembly.runtime(f"sqlite:///{tmp_path / 'probe.db'}", features=(*assembly.FEATURES, PROBE),
                               check_interval=0)
    runtime.setup()
    with runtime.db.read() as conn:
        assert sa.inspect(conn).has_table("sm_test_checked")  # Feature.tables
    runtime.install_app(FIXTURES / "lab")
    entities = runtime.snapshot().features["probe"]  # Feature.compilers
    assert entities == tuple(sorted(runtime.snapshot().entities)) and entities

    accounts.create_user(runtime.db, "probe", "correct horse battery", ["admin"])
    api = Api(create_wsgi(runtime), accounts.create_token(runtime.db, "probe", "tests"))
    answer = api.get("/api/v1/_probe")  # Feature.blueprints
    assert answer.status_code == 200 and answer.json == {"caller": "probe", "entities": list(entities)}
    assert "/api/v1/_probe" in api.get("/api/v1/openapi.json").json["paths"]  # Feature.openapi
    assert get_job("tests.probe").fn(JobContext(runtime, None, 1)) == len(entities)  # Feature.jobs


def test_without_a_feature_its_parts_are_gone(tmp_path: Path) -> None:
    """The app is what the features say: a runtime without the portal serves no portal."""
    features = tuple(f for f in assembly.FEATURES if f.name != "portal")
    runtime = assembly.runtime(f"sqlite:///{tmp_path / 'bare.db'}", features=features, check_interval=0)
    runtime.setup()
    app = create_wsgi(runtime).current_app()
    assert "portal" not in app.blueprints and "screens" in app.blueprints
    with runtime.db.read() as conn:
        assert not sa.inspect(conn).has_table("sm_portal_attempt")


def test_the_features_commands_are_sunmao_commands(tmp_path: Path) -> None:
    from sunmao.cli import main

    names = {command.name for feature in assembly.FEATURES for command in feature.commands}
    assert names <= set(main.commands) and {"worker", "hooks", "webhooks", "secret", "import", "stages"} <= names
    done = CliRunner().invoke(main, ["webhooks", "list"], env={"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    assert done.exit_code == 0, done.output
