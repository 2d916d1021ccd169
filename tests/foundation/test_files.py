"""Stored files are served so that none runs in our origin: downloads with an RFC 6266/5987 name,
``nosniff`` and a sandboxing CSP; only PNG/JPEG/GIF/WebP images whose bytes agree are inline."""

from __future__ import annotations

import io
from typing import Any

from tests.conftest import Api, make_api
from tests.screens.conftest import browse, oms  # noqa: F401 - the order app with a small demo set

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<html><script>alert(document.cookie)</script></html>"


def _upload(api: Api, data: bytes, name: str, content_type: str) -> str:
    response = api.client.post("/api/v1/files", data={"file": (io.BytesIO(data), name, content_type)},
                               headers=api._headers())
    assert response.status_code == 201, response.data
    return response.json["id"]


def _served(api: Api, file_id: str) -> Any:
    response = api.get(f"/api/v1/files/{file_id}")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    return response


def test_an_uploaded_html_page_is_a_download_never_a_page(admin_api: Api) -> None:
    served = _served(admin_api, _upload(admin_api, HTML, "报价单.html", "text/html"))
    assert served.data == HTML
    assert served.headers["Content-Disposition"] == \
        "attachment; filename=\"___.html\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.html"


def test_only_allowed_images_whose_bytes_agree_are_inline(admin_api: Api) -> None:
    png = _served(admin_api, _upload(admin_api, PNG, "drawing.png", "image/png"))
    assert png.headers["Content-Disposition"] == 'inline; filename="drawing.png"'
    assert png.headers["Content-Type"] == "image/png"
    svg = _served(admin_api, _upload(admin_api, b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                                     "logo.svg", "image/svg+xml"))
    assert svg.headers["Content-Disposition"].startswith("attachment;")
    disguised = _served(admin_api, _upload(admin_api, HTML, "photo.png", "image/png"))
    assert disguised.headers["Content-Disposition"].startswith("attachment;")


def test_names_are_kept_without_paths_and_control_characters(admin_api: Api) -> None:
    response = admin_api.client.post("/api/v1/files", data={"file": (io.BytesIO(b"x"), "../docs/报价\x07单.pdf",
                                                                     "application/pdf")}, headers=admin_api._headers())
    assert response.json["name"] == "报价单.pdf"
    served = _served(admin_api, response.json["id"])
    assert served.headers["Content-Disposition"] == \
        "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"


def test_a_shipping_label_is_served_as_a_download_too(oms: Any, browse: Any) -> None:  # noqa: F811
    """The scan screen serves a shipment's label file: whatever file a user put there is a download."""
    runtime, data = oms
    api = make_api(runtime, "label_maker", ["warehouse"])
    label = _upload(api, HTML, "面单.html", "text/html")
    shipment = api.post("/api/v1/shipment", json={"order": data["orders"][0]["id"], "courier": "sf",
                                                  "label": label})
    assert shipment.status_code == 201, shipment.json
    served = browse("warehouse").get(f"/app/scan/scan_ship/label/{shipment.json['id']}")
    assert served.status_code == 200 and served.data == HTML
    assert served.headers["Content-Disposition"] == \
        "attachment; filename=\"__.html\"; filename*=UTF-8''%E9%9D%A2%E5%8D%95.html"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
