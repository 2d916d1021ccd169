"""A publish made by one process reaches every other process without a restart."""

from __future__ import annotations

import json
from pathlib import Path

from sunmao import accounts, assembly
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.conftest import Api


def test_publish_in_one_runtime_reaches_another(lab: Runtime, lab_dir: Path) -> None:
    other = assembly.runtime(str(lab.db.url.render_as_string(hide_password=False)), check_interval=0)
    accounts.create_user(lab.db, "ops", "correct horse battery", ["admin"])
    token = accounts.create_token(lab.db, "ops", "t")
    api = Api(create_wsgi(other), token)
    assert api.post("/api/v1/supplier", json={"title": "A", "city": "宁波"}).status_code == 422
    path = lab_dir / "entities" / "supplier.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["fields"].append({"id": "f_city", "key": "city", "type": "string", "label": {"zh": "城市", "en": "City"}})
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lab.install_app(lab_dir)  # published by the first "process"
    response = api.post("/api/v1/supplier", json={"title": "A", "city": "宁波"})
    assert response.status_code == 201, response.json
    assert response.json["city"] == "宁波"
    other.db.dispose()


def test_healthz_reports_the_version(admin_api: Api, lab: Runtime) -> None:
    body = admin_api.get("/healthz").json
    assert body["status"] == "ok" and body["version"] == lab.current_version()
