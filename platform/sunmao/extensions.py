"""Declared Python extensions of an app package (``app.json`` → ``extensions``).

The engine knows no app; an app may still carry a small module for what no generic feature
expresses, such as its demo data generator. Only modules the manifest names are loaded.
"""

from __future__ import annotations

import importlib.util
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from sunmao.records import SYSTEM, RecordService
from sunmao.records.stages import replace_history


def load_extension(package_dir: str | Path, name: str) -> ModuleType:
    """Import the extension module ``name`` declared in the package's manifest."""
    root = Path(package_dir)
    manifest = json.loads((root / "app.json").read_text(encoding="utf-8"))
    filename = manifest.get("extensions", {}).get(name)
    if not filename:
        raise LookupError(f"app {manifest['key']!r} declares no {name!r} extension")
    path = (root / filename).resolve()
    if root.resolve() not in path.parents:
        raise LookupError(f"extension {filename!r} lies outside the package")
    spec = importlib.util.spec_from_file_location(f"sunmao_ext_{manifest['key']}_{name}", path)
    if spec is None or spec.loader is None:
        raise LookupError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class DemoContext:
    """What a demo generator gets: a seeded random source, a fixed today, and bulk creation."""

    records: RecordService
    random: random.Random
    today: date
    log: Callable[[str], None] = print
    counts: dict[str, int] = field(default_factory=dict)

    def stage_history(self, entity_key: str, histories: list[tuple[int, list[tuple[str, Any, str | None]]]]) -> None:
        """The stage history of history-imported records: ``(record id, [(state, entered at, action)])``
        each, in order (they were created in their last state; this says how they got there)."""
        with self.records.db.write() as conn:
            for record_id, stays in histories:
                replace_history(conn, self.records.snapshot, entity_key, record_id,
                                [(state, at, action, None) for state, at, action in stays])

    def bulk_create(self, entity_key: str, rows: list[dict[str, Any]], *, history: bool = False) -> list[int]:
        """Create records through the record service; ``history`` keeps their given workflow state."""
        created = self.records.create_many(entity_key, rows, actor=SYSTEM, history=history)
        self.counts[entity_key] = self.counts.get(entity_key, 0) + len(created)
        return [r["id"] for r in created]
