"""The engine's layers hold: import-linter keeps the contracts of pyproject.toml, every package of
the engine is in a layer, and a lower layer importing a higher one is caught."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import sunmao

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(*args: str, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)} if pythonpath else dict(os.environ)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_engine_keeps_its_layers() -> None:
    done = lint_imports(str(ROOT / "pyproject.toml"), cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_every_engine_package_is_in_a_layer() -> None:
    """A new top-level module of ``sunmao`` joins a layer: otherwise the contract says nothing about it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    placed = {name.strip() for line in layers for name in line.split("|")}
    modules = {f"sunmao.{m.name}" for m in pkgutil.iter_modules(sunmao.__path__)}
    assert modules - placed == set()
    assert placed - modules == set()  # and no layer names a module that is gone


def test_a_lower_layer_importing_a_higher_one_is_caught(tmp_path: Path) -> None:
    """The contract is not decoration: a throwaway package whose bottom layer imports its top fails it."""
    package = tmp_path / "toy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "high.py").write_text("from toy import low\n")
    (package / "low.py").write_text("def helper() -> None:\n    from toy import high  # hidden in a function\n")
    config = tmp_path / "contracts.ini"
    config.write_text(textwrap.dedent("""\
        [importlinter]
        root_package = toy

        [importlinter:contract:layers]
        name = toy layers
        type = layers
        layers =
            toy.high
            toy.low
        """))
    done = lint_imports(str(config), cwd=tmp_path, pythonpath=tmp_path)
    assert done.returncode != 0
    assert "toy layers BROKEN" in done.stdout
    assert "toy.low -> toy.high" in done.stdout


def test_nothing_is_loaded_by_a_string_name() -> None:
    """Features are imported by the composition root like any module, where import-linter sees them;
    only an app's declared extension (user code in a file, ``extensions.py``) is loaded by its path."""
    engine = ROOT / "platform" / "sunmao"
    loaders = ("import_module(", "__import__(", "spec_from_file_location(")
    users = sorted(str(p.relative_to(engine)) for p in engine.rglob("*.py")
                   if any(loader in p.read_text(encoding="utf-8") for loader in loaders))
    assert users == ["extensions.py"]
