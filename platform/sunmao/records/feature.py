"""The records feature: entities (and the app manifest and settings), and the tables the write path keeps."""

from __future__ import annotations

from sunmao import org
from sunmao.feature import Feature
from sunmao.records import stages, versions

FEATURE = Feature(
    name="records",
    # entities are compiled by the snapshot itself, below every feature; settings are put into the
    # rules there too (meta/settings.py), before any feature compiles one
    kinds=("app", "entity", "settings"),
    tables=(stages.stage, versions.data_version, org.department, org.membership, org.delegation),
)
