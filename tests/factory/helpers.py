"""What the factory tests share."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sunmao.meta.errors import MetadataError
from sunmao.resources import app_path
from sunmao.runtime import Runtime


def refused_install(runtime: Runtime, tmp_path: Path, document: str, change: Callable[[dict[str, Any]], None]) -> str:
    """Install a copy of the order app with one document changed; the problems of the refusal."""
    copy = tmp_path / "om"
    shutil.copytree(app_path("order_management"), copy)
    path = copy / document
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False))
    with pytest.raises(MetadataError) as refused:
        runtime.install_app(copy)
    return str(refused.value)
