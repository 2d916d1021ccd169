"""Fixtures of the designer tests: drafts on the lab app, a designer user and API clients."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sunmao.designer.audit import Designer
from sunmao.designer.drafts import Drafts
from sunmao.runtime import Runtime

ANNA = Designer("anna", 1)
BEN = Designer("ben", 2)
WIDGET = "lab/entities/widget.json"


@pytest.fixture
def drafts(lab: Runtime) -> Drafts:
    return Drafts(lab)


def field(fid: str, key: str, type_: str = "string", zh: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": fid, "key": key, "type": type_, "label": {"zh": zh or key, "en": key}, **extra}


def edited(drafts: Drafts, draft_id: int, address: str, change: Any) -> dict[str, Any]:
    """The draft's document at ``address`` changed by ``change(doc)`` (a copy, not yet saved)."""
    doc = copy.deepcopy(drafts.document(draft_id, address))
    change(doc)
    return doc


def save(drafts: Drafts, draft_id: int, address: str, change: Any, who: Designer = ANNA) -> None:
    from sunmao.i18n import Text

    drafts.edit(draft_id, who, {address: edited(drafts, draft_id, address, change)}, summary=Text("改", "edit"))


@pytest.fixture
def order_app(runtime: Runtime) -> Runtime:
    """The bundled order app, installed (no records)."""
    from tests.screens import demo

    demo.install(runtime)
    return runtime
