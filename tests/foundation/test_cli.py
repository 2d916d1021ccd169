"""The `sunmao` command as `make run` uses it: setup, then a real server on 127.0.0.1."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SUNMAO = [sys.executable, "-m", "sunmao.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env["PORT"] = str(_free_port())
    return env


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def test_every_command_has_help() -> None:
    for args in ([], ["run"], ["app", "install"], ["app", "export"], ["user", "create"], ["token", "create"],
                 ["demo"], ["db", "upgrade"], ["setup"]):
        result = subprocess.run([*SUNMAO, *args, "--help"], capture_output=True, text=True, check=False)
        assert result.returncode == 0 and "Usage:" in result.stdout, (args, result.stderr)


def test_setup_run_serves_login_and_openapi(workdir: Path) -> None:
    env = _env(workdir)
    setup = subprocess.run([*SUNMAO, "setup"], cwd=workdir, env=env, capture_output=True, text=True,
                           timeout=600, check=False)
    assert setup.returncode == 0, setup.stderr
    match = re.search(r"Sign in as admin / (\S+)", setup.stdout)
    assert match, setup.stdout
    assert (workdir / "instance" / "sunmao.db").exists()
    again = subprocess.run([*SUNMAO, "setup"], cwd=workdir, env=env, capture_output=True, text=True,
                           timeout=120, check=False)
    assert again.returncode == 0 and "Seeding" not in again.stdout
    assert match.group(1) not in again.stdout  # shown once, at creation; `make run` starts with setup each time
    assert "instance/admin-password.txt" in again.stdout
    server = subprocess.Popen([*SUNMAO, "run"], cwd=workdir, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"{base}/login")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and "登录".encode() in body
        status, body = _get(f"{base}/api/v1/openapi.json")
        assert status == 200 and b'"/api/v1/order"' in body
        token = subprocess.run([*SUNMAO, "token", "create", "admin"], cwd=workdir, env=env, capture_output=True,
                               text=True, check=True).stdout.strip()
        request = urllib.request.Request(  # noqa: S310 - loopback only
            f"{base}/api/v1/order?limit=1", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            assert b'"total"' in response.read()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_install_of_a_broken_package_exits_with_the_problems(workdir: Path, lab_dir: Path) -> None:
    (lab_dir / "entities" / "supplier.json").write_text("{", encoding="utf-8")
    result = subprocess.run([*SUNMAO, "app", "install", str(lab_dir)], cwd=workdir, env=_env(workdir),
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "entities/supplier.json: line 1 column 2: invalid JSON" in result.stderr
