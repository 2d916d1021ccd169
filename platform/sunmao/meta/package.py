"""App packages on disk: ``app.json`` plus one file per document.

Loading validates every file against its meta-schema and the package as a whole against the
static checks; export writes a revision back as the same files. The original text of each
file is kept with the revision, so an export of an unchanged document is byte-for-byte the
file that was installed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sunmao.meta.errors import MetadataError, Problem
from sunmao.meta.schemas import validate_document

MANIFEST = "app.json"
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class AppPackage:
    """One app's documents, by path relative to the package directory (``app.json`` included)."""

    key: str
    documents: dict[str, Any]
    texts: dict[str, str]

    @property
    def manifest(self) -> dict[str, Any]:
        return self.documents[MANIFEST]


def dump_document(doc: Any) -> str:
    """The canonical text of a document: UTF-8 JSON, two-space indent, trailing newline."""
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _read(path: Path, rel: str, problems: list[Problem]) -> tuple[Any, str] | None:
    if not path.is_file():
        problems.append(Problem(rel, "$", f"file not found at {path}; create it or remove it from app.json documents"))
        return None
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        problems.append(Problem(rel, "$", f"file is larger than {MAX_DOCUMENT_BYTES // 1024} KiB; split it"))
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, "$", f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"))
        return None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        problems.append(Problem(rel, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}"))
        return None


def load_package(directory: str | Path) -> AppPackage:
    """Read and validate an app package directory; raise MetadataError listing every problem."""
    root = Path(directory)
    problems: list[Problem] = []
    read = _read(root / MANIFEST, MANIFEST, problems)
    if read is None:
        raise MetadataError(problems)
    manifest, manifest_text = read
    problems += validate_document(manifest, MANIFEST, kind="app")
    if problems:
        raise MetadataError(problems)
    documents: dict[str, Any] = {MANIFEST: manifest}
    texts: dict[str, str] = {MANIFEST: manifest_text}
    for rel in manifest["documents"]:
        read = _read(root / rel, rel, problems)
        if read is None:
            continue
        doc, text = read
        found = validate_document(doc, rel)
        problems += found
        if not found:
            documents[rel], texts[rel] = doc, text
    if problems:
        raise MetadataError(problems)
    return AppPackage(manifest["key"], documents, texts)


def export_package(package: AppPackage, directory: str | Path) -> list[Path]:
    """Write a package's documents to a directory; unchanged documents keep their original bytes."""
    root = Path(directory)
    written = []
    for rel, doc in package.documents.items():
        original = package.texts.get(rel)
        text = original if original is not None and json.loads(original) == doc else dump_document(doc)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        written.append(target)
    return written
