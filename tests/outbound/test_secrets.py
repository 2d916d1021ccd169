"""Secrets: encrypted at rest, set from the command line, never in documents or listings."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet

from sunmao import assembly
from sunmao.cli import main
from sunmao.jobs.secrets import MissingSecret, SecretKeyError, SecretStore, secret_store
from sunmao.jobs.tables import secret as secret_table
from sunmao.runtime import Runtime


@pytest.fixture
def sqlite_runtime(tmp_path: Path) -> Runtime:
    rt = assembly.runtime(f"sqlite:///{tmp_path / 'sunmao.db'}")
    rt.setup()
    return rt


def test_values_are_encrypted_at_rest_and_rotation_keeps_the_previous(sqlite_runtime: Runtime) -> None:
    store = secret_store(sqlite_runtime.db)
    store.set("wecom_sales_robot", "robot-key-plain")
    store.set("wecom_sales_robot", "robot-key-new")
    with sqlite_runtime.db.read() as conn:
        stored = conn.execute(sa.select(secret_table)).mappings().one()
    assert "robot-key" not in stored["current"] and "robot-key" not in (stored["previous"] or "")
    assert store.get("wecom_sales_robot") == "robot-key-new"
    assert store.previous("wecom_sales_robot") == "robot-key-plain"
    store.retire("wecom_sales_robot")
    assert store.previous("wecom_sales_robot") is None
    with pytest.raises(MissingSecret, match="sunmao secret set nope"):
        store.require("nope")


def test_a_different_key_cannot_read_them(sqlite_runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_store(sqlite_runtime.db).set("erp_hook", "value")
    monkeypatch.setenv("SUNMAO_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(SecretKeyError, match="not the key it was stored with"):
        SecretStore(sqlite_runtime.db).get("erp_hook")


def test_key_rotation_reads_old_values_with_the_new_key_first(sqlite_runtime: Runtime, secret_key: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    secret_store(sqlite_runtime.db).set("erp_hook", "value")
    monkeypatch.setenv("SUNMAO_SECRET_KEY", f"{Fernet.generate_key().decode()},{secret_key}")
    assert SecretStore(sqlite_runtime.db).get("erp_hook") == "value"


def test_key_file_is_generated_once_with_private_permissions(sqlite_runtime: Runtime, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUNMAO_SECRET_KEY")
    key_file = tmp_path / "instance" / "secret.key"
    monkeypatch.setenv("SUNMAO_SECRET_KEY_FILE", str(key_file))
    SecretStore(sqlite_runtime.db).set("erp_hook", "value")
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert SecretStore(sqlite_runtime.db).get("erp_hook") == "value"


def test_cli_sets_from_stdin_and_lists_names_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli = CliRunner()
    done = cli.invoke(main, ["secret", "set", "wecom_sales_robot"], input="the-robot-key\n")
    assert done.exit_code == 0, done.output
    generated = cli.invoke(main, ["secret", "set", "erp_hook", "--generate"])
    assert generated.exit_code == 0 and generated.output.startswith("whsec_")
    listed = cli.invoke(main, ["secret", "list"])
    assert listed.output.split() == ["erp_hook", "wecom_sales_robot"]
    bad = cli.invoke(main, ["secret", "set", "Bad-Name"], input="x")
    assert bad.exit_code != 0 and "lower-case" in bad.output
    rt = assembly.runtime(f"sqlite:///{tmp_path / 'cli.db'}")
    assert secret_store(rt.db).get("wecom_sales_robot") == "the-robot-key"
