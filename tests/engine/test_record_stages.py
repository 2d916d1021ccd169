"""The record service in stages: small modules, keyword-only interfaces, one writer of the outbox."""

from __future__ import annotations

import ast
from pathlib import Path

import sunmao

ROOT = Path(sunmao.__file__).parent
RECORDS = ROOT / "records"
STAGES = ("context", "parse", "defaults", "checks", "persist", "journal", "lifecycle", "delete", "present",
          "service")


def _functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


def test_every_module_of_the_record_service_stays_small() -> None:
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in RECORDS.glob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 400} == {}


def test_stage_functions_take_at_most_four_positional_arguments() -> None:
    """The subject of a call (context, connection, entity, record) goes by position; everything
    else — flags, versions, the journal, what a check may skip — by name."""
    wide = []
    for name in STAGES:
        tree = ast.parse((RECORDS / f"{name}.py").read_text(encoding="utf-8"))
        for fn in _functions(tree):
            positional = [a.arg for a in fn.args.posonlyargs + fn.args.args if a.arg not in ("self", "cls")]
            if len(positional) > 4:
                wide.append(f"{name}.{fn.name}({', '.join(positional)})")
    assert wide == []


def test_only_the_journal_inserts_into_the_outbox() -> None:
    writers = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # sm.outbox.insert() / outbox.insert(): the insert of the sm_outbox table
            if (isinstance(node, ast.Attribute) and node.attr == "insert"
                    and isinstance(node.value, ast.Attribute | ast.Name)
                    and getattr(node.value, "attr", getattr(node.value, "id", None)) == "outbox"):
                writers.append(str(path.relative_to(ROOT)))
    assert sorted(set(writers)) == ["records/journal.py"]


def test_no_argument_skips_a_check_without_saying_so() -> None:
    """The old names are gone from every caller: ``known=`` (links not checked), ``internal=``
    (read-only fields written), ``links=`` (no link check)."""
    found = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "create", "create_many", "update", "validate"):
                found += [f"{path.relative_to(ROOT)}:{node.lineno} {kw.arg}=" for kw in node.keywords
                          if kw.arg in ("known", "internal", "links")]
    assert found == []
