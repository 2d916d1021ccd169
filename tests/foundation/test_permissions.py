"""Authentication (401) and role permissions (403), enforced on every API call."""

from __future__ import annotations

import pytest

from sunmao.runtime import Runtime
from tests.conftest import Api, make_api

# What the lab app's metadata grants: (role, entity) -> allowed actions.
GRANTS = {
    ("clerk", "widget"): {"read", "create", "update"},
    ("viewer", "widget"): {"read"},
    ("clerk", "supplier"): {"read", "create", "update"},
    ("viewer", "supplier"): {"read"},
    ("outsider", "widget"): set(),
    ("outsider", "supplier"): set(),
}


def _call(api: Api, action: str, entity: str, record_id: int):  # type: ignore[no-untyped-def]
    if action == "read":
        return api.get(f"/api/v1/{entity}")
    if action == "create":
        return api.post(f"/api/v1/{entity}", json={"title": "权限测试"})
    if action == "update":
        return api.patch(f"/api/v1/{entity}/{record_id}", json={"title": "改"})
    return api.delete(f"/api/v1/{entity}/{record_id}")


@pytest.mark.parametrize("role", ["clerk", "viewer", "outsider"])
def test_route_role_matrix(lab: Runtime, role: str) -> None:
    api = make_api(lab, f"user_{role}", [role])
    for entity in ("widget", "supplier"):
        for action in ("read", "create", "update", "delete"):
            record = lab.records().create(entity, {"title": "样本"})
            response = _call(api, action, entity, record["id"])
            allowed = action in GRANTS[(role, entity)]
            assert (response.status_code < 400) == allowed, (role, entity, action, response.status_code)
            if not allowed:
                assert response.status_code == 403
                assert response.headers["Content-Type"] == "application/problem+json"


def test_missing_or_bad_token_is_401(lab: Runtime) -> None:
    anonymous = make_api(lab, "someone", ["clerk"])
    anonymous.token = None
    response = anonymous.get("/api/v1/widget")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    anonymous.token = "smt_not-a-real-token"  # noqa: S105
    response = anonymous.get("/api/v1/widget")
    assert response.status_code == 401
    assert response.json["detail"] == "the API token is not valid or was revoked"


def test_admin_may_do_everything(admin_api: Api) -> None:
    created = admin_api.post("/api/v1/widget", json={"title": "管理员"}).json
    assert admin_api.delete(f"/api/v1/widget/{created['id']}").status_code == 204


def test_session_login_and_csrf(lab: Runtime) -> None:
    api = make_api(lab, "clerk1", ["clerk"])
    client = api.client
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text
    assert client.post("/login", data={"username": "clerk1", "password": "wrong"}).status_code == 400
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post("/login", data={"username": "clerk1", "password": "wrong password", "csrf_token": token})
    assert bad.status_code == 401 and "用户名或密码不正确" in bad.text
    ok = client.post("/login", data={"username": "clerk1", "password": "correct horse battery", "csrf_token": token})
    assert ok.status_code == 302
    assert client.get("/api/v1/widget").status_code == 200
    # Signing in starts a new session (no fixation), so a page after sign-in carries a fresh token.
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    # A cookie-authenticated write without the CSRF token is refused; with it, it passes.
    assert client.post("/api/v1/widget", json={"title": "x"}).status_code == 400
    assert client.post("/api/v1/widget", json={"title": "x"}, headers={"X-CSRFToken": token}).status_code == 201


def test_repeated_failures_lock_the_account(lab: Runtime) -> None:
    from sunmao import accounts

    accounts.create_user(lab.db, "victim", "correct horse battery", ["clerk"])
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(lab.db, "victim", "guess")
    with pytest.raises(accounts.LoginFailed) as info:
        accounts.authenticate(lab.db, "victim", "correct horse battery")
    assert info.value.locked_until is not None
