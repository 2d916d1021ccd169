"""Who may open which screen: the route × role matrix follows the metadata permissions exactly."""

from __future__ import annotations

from typing import Any

import pytest

from sunmao.runtime import Runtime
from tests.screens import demo


def _expected(runtime: Runtime, role: str, entity: str, action: str) -> bool:
    return runtime.snapshot().entities[entity].allows(frozenset({role}), action)


def test_screens_need_a_session(browse: Any) -> None:
    anonymous = browse()
    response = anonymous.get("/app/order")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/app/order")
    assert anonymous.get("/app/order/new").status_code == 302
    assert anonymous.get("/assets/shell/shell.css").status_code == 200  # assets are public


@pytest.mark.parametrize("role", demo.ROLES)
def test_route_role_matrix(oms: tuple[Runtime, dict[str, Any]], browse: Any, role: str) -> None:
    runtime, data = oms
    user = browse(role)
    home = user.get("/app")
    assert home.status_code == 200
    ids = {"order": data["orders"][0]["id"], "customer": data["customers"][0]["id"],
           "product": data["products"][0]["id"], "channel": data["channels"][0]["id"]}
    for entity, record_id in ids.items():
        routes = {
            "read": [f"/app/{entity}", f"/app/{entity}/{record_id}", f"/app/{entity}/export.csv",
                     f"/app/{entity}/kanban", f"/app/{entity}/{record_id}/print"],
            "create": [f"/app/{entity}/new"],
            "update": [f"/app/{entity}/{record_id}/edit"],
        }
        for action, urls in routes.items():
            allowed = _expected(runtime, role, entity, action)
            for url in urls:
                status = user.get(url).status_code
                assert (status == 200) == allowed, (role, entity, action, url, status)
                if not allowed:
                    assert status == 403, (role, url, status)
        # The navigation offers exactly the entities the role may read.
        assert (f'href="/app/{entity}"' in home.text) == _expected(runtime, role, entity, "read")


@pytest.mark.parametrize("role", ["sales", "warehouse", "admin"])
def test_delete_follows_permissions(oms: tuple[Runtime, dict[str, Any]], browse: Any, role: str) -> None:
    runtime, _data = oms
    user = browse(role)
    contact = runtime.records().create("contact", {"customer": _data["customers"][0]["id"], "contact_name": "临时"})
    response = user.post_form(f"/app/contact/{contact['id']}/delete")
    allowed = _expected(runtime, role, "contact", "delete")
    assert response.status_code == (302 if allowed else 403)


def test_form_posts_need_the_csrf_token(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    sales = browse("sales")
    order = data["orders"][0]
    assert sales.post_form(f"/app/order/{order['id']}/comments", {"body": "无令牌"}, csrf=False).status_code == 400
    assert sales.post_json("/app/customer/new", {"values": {"company_name": "无令牌公司"}}, csrf=False
                           ).status_code == 400
    assert sales.post_form(f"/app/order/{order['id']}/comments", {"body": "有令牌"}).status_code == 302
    assert sales.post_json("/app/customer/new", {"values": {"company_name": "有令牌公司"}}).status_code == 201


def test_logout_and_language_cookie(browse: Any) -> None:
    sales = browse("sales")
    switched = sales.get("/lang/en?next=/app/order")
    assert switched.status_code == 302 and switched.headers["Location"] == "/app/order"
    assert "New" in sales.get("/app/order").text
    assert sales.get("/lang/zh?next=//evil.example").headers["Location"] == "/app"
    assert "新建" in sales.get("/app/order").text
    assert sales.post_form("/logout").status_code == 302
    assert sales.get("/app/order").status_code == 302


def test_back_office_is_for_admins(browse: Any) -> None:
    admin = browse("admin")
    for url in ("/admin/", "/admin/admin_users/", "/admin/admin_tokens/", "/admin/admin_audit/",
                "/admin/admin_revisions/", "/admin/admin_departments/", "/admin/admin_deliveries/",
                "/admin/admin_inbound/", "/admin/admin_jobs/"):
        assert admin.get(url).status_code == 200, url
    for url in ("/admin/admin_audit/new/", "/admin/admin_deliveries/new/", "/admin/admin_jobs/new/"):
        assert admin.get(url).status_code in (302, 403, 404), url  # read-only
    assert admin.get("/admin/admin_departments/new/").status_code == 200
    assert browse("sales").get("/admin/admin_deliveries/").status_code == 403
    assert browse("sales").get("/admin/admin_users/").status_code == 403
    assert browse().get("/admin/admin_users/").status_code == 302


def test_admin_creates_a_user_who_can_sign_in(browse: Any) -> None:
    admin = browse("admin")
    page = admin.get("/admin/admin_users/new/")
    token = admin.csrf(page.text)
    created = admin.client.post("/admin/admin_users/new/", data={
        "csrf_token": token, "username": "qc1", "display_name": "质检员", "role_list": ["production"],
        "new_password": "long enough password", "active": "y"})
    assert created.status_code == 302, created.text[:2000]
    newcomer = browse()
    newcomer.login("qc1", "long enough password")
    assert newcomer.get("/app/order").status_code == 200
