"""deploy/: the systemd units, the compose file, nginx and the environment example say what the code
does — the web unit's own command line serves /healthz here, with the security headers."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from sunmao.cli import main as cli
from sunmao.web.app import MAX_UPLOAD_BYTES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / name, encoding="utf-8")
    return unit


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_web_units_command_line_serves_healthz(tmp_path: Path) -> None:
    unit = _unit("sunmao-web.service")
    command = shlex.split(unit["Service"]["ExecStart"])
    assert Path(command[0]).name == "gunicorn" and "gthread" in command
    port = _port()
    command[0] = str(VENV_BIN / "gunicorn")
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'sunmao.db'}", "PYTHONUNBUFFERED": "1"}
    env.update(dict(line.split("=", 1) for line in [unit["Service"]["Environment"]]))
    assert subprocess.run([str(VENV_BIN / "sunmao"), "db", "upgrade"], env=env, cwd=tmp_path, check=False,
                          capture_output=True, timeout=120).returncode == 0
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                    body, headers = response.read(), response.headers
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stdout.read().decode()[-3000:]) from None
                time.sleep(0.2)
        assert b'"status":"ok"' in body.replace(b" ", b"")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors" in headers["Content-Security-Policy"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_the_worker_unit_and_the_compose_file_name_commands_that_exist() -> None:
    worker = shlex.split(_unit("sunmao-worker.service")["Service"]["ExecStart"])
    assert Path(worker[0]).name == "sunmao" and worker[1] in cli.commands
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker"} <= set(services)
    assert services["worker"]["command"][:2] == ["sunmao", "worker"]
    assert services["setup"]["command"][1] in cli.commands
    web_target = services["web"]["command"][-1]
    unit_target = shlex.split(_unit("sunmao-web.service")["Service"]["ExecStart"])[-1]
    assert web_target == unit_target  # one WSGI entry point in every deployment
    module, _, name = web_target.partition(":")
    assert module.startswith("sunmao.") and (ROOT / "platform" / (module.replace(".", "/") + ".py")).is_file()
    assert services["web"]["environment"]["SUNMAO_JOBS"] == "off"  # the worker does the jobs


def test_every_setting_in_the_environment_example_is_one_the_platform_reads() -> None:
    names = [line.split("=", 1)[0] for line in (DEPLOY / "sunmao.env.example").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "platform" / "sunmao").rglob("*.py"))
    for name in names:
        assert re.search(rf"[\"']{name}[\"']", source), f"{name} is in the example but the platform never reads it"
    assert "SECRET_KEY" in names and "SUNMAO_SECRET_KEY" in names and "DATABASE_URL" in names


def test_nginx_lets_through_exactly_the_largest_upload() -> None:
    config = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    size = re.search(r"client_max_body_size (\d+)m;", config)
    assert size and int(size.group(1)) * 1024 * 1024 == MAX_UPLOAD_BYTES
    assert "X-Forwarded-Proto" in config


def test_the_image_installs_the_package_with_its_server() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "[postgres]" in dockerfile and "gunicorn" in dockerfile and "USER sunmao" in dockerfile
