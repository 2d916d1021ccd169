"""A match document that names what does not exist refuses the publish, naming file and path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sunmao.meta.errors import MetadataError
from sunmao.resources import app_path
from sunmao.runtime import Runtime


def test_a_wrong_match_document_refuses_the_publish(runtime: Runtime, tmp_path: Path) -> None:
    app = tmp_path / "order_management"
    shutil.copytree(app_path("order_management"), app)
    path = app / "matching" / "receipts_to_orders.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["target"]["open_amount"] = "balance"                 # no such field
    doc["allocation"]["source"] = "order"                    # a link, but to the wrong entity
    doc["criteria"][2]["target"] = ["customer.nickname"]     # the linked customer has no such field
    doc["review"] = 90                                       # above auto_apply
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(MetadataError) as refused:
        runtime.install_app(app)
    found = {(p.file, p.path) for p in refused.value.problems}
    file = "order_management/matching/receipts_to_orders.json"
    assert found == {(file, "$.target.open_amount"), (file, "$.allocation.source"),
                     (file, "$.criteria[2].target[0]"), (file, "$.review")}
