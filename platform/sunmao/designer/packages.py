"""App packages in and out: canonical, byte-stable export; import and upgrade by three-way merge.

Export writes an app in the ``apps/`` layout. A document unchanged since it was installed is
written as the very bytes it was installed from; a changed one in the canonical form (keys in
the order of the original, then of the meta-schema; two-space JSON) — so the same app always
exports the same bytes, and a diff in git shows only real changes. The zip has sorted names and
fixed times, so it is byte-stable too.

Installing over an installed app is an upgrade: base = the package as last installed (the
revision keeps its original texts), ours = the plant's published documents, theirs = the new
package. What does not conflict is taken; each conflict is shown for a person to decide. The
CLI (``sunmao app install/export``) and the designer call the functions here.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sunmao.designer.audit import CLI, Designer
from sunmao.designer.canonical import canonical_text
from sunmao.designer.checks import split_conflict
from sunmao.designer.drafts import DraftInfo, Drafts
from sunmao.designer.jsonpath import from_json
from sunmao.designer.merge import Conflict, merge_apps, resolve
from sunmao.errors import NotFound, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.package import MANIFEST, AppPackage, load_package
from sunmao.runtime import PublishResult, Runtime

ZIP_TIME = (2020, 1, 1, 0, 0, 0)
MAX_FILES = 500
MAX_UNPACKED = 64 * 1024 * 1024


def _original(text: str | None) -> Any:
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None


def export_files(documents: Mapping[str, Any], texts: Mapping[str, str]) -> dict[str, bytes]:
    """Each file of an app package as bytes, in the manifest's order."""
    manifest = documents.get(MANIFEST) or {}
    order = [MANIFEST, *[p for p in manifest.get("documents", []) if p in documents]]
    order += sorted(p for p in documents if p not in order)
    out = {}
    for rel in order:
        doc = documents[rel]
        original = texts.get(rel)
        like = _original(original)
        if original is not None and like == doc:
            text = original
        else:
            text = canonical_text(doc, "app" if rel == MANIFEST else None, like=like)
        out[rel] = text.encode("utf-8")
    return out


def installed(runtime: Runtime, key: str) -> tuple[dict[str, Any], dict[str, str]]:
    apps, texts = runtime.current_apps()
    if key not in apps:
        names = ", ".join(apps) or "—"
        raise NotFound(Text(f"没有安装应用 {key}；已安装：{names}",
                            f"app {key!r} is not installed; installed: {names}"))
    return apps[key], texts.get(key, {})


def export_dir(runtime: Runtime, key: str, path: str | Path) -> list[Path]:
    root = Path(path)
    written = []
    for rel, data in export_files(*installed(runtime, key)).items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


def zip_files(key: str, files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for rel in sorted(files):
            info = zipfile.ZipInfo(f"{key}/{rel}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, files[rel], compresslevel=9)
    return buffer.getvalue()


def export_zip(runtime: Runtime, key: str) -> tuple[bytes, str]:
    documents, texts = installed(runtime, key)
    version = (documents.get(MANIFEST) or {}).get("version", "0")
    return zip_files(key, export_files(documents, texts)), f"{key}-{version}.zip"


def read_zip(data: bytes) -> AppPackage:
    """A package from a zip (one top folder, or the files at the top), validated like a directory."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValidationFailed(Text("不是有效的 zip 文件", "not a valid zip file")) from None
    names = [n for n in archive.namelist() if not n.endswith("/")]
    if len(names) > MAX_FILES or sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED:
        raise ValidationFailed(Text("安装包文件过多或过大", "the package has too many or too large files"))
    manifests = [n for n in names if PurePosixPath(n).name == MANIFEST]
    if not manifests:
        raise ValidationFailed(Text("安装包中没有 app.json", "the package has no app.json"))
    prefix = str(PurePosixPath(min(manifests, key=len)).parent)
    prefix = "" if prefix == "." else prefix + "/"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in names:
            if not name.startswith(prefix):
                continue
            rel = PurePosixPath(name[len(prefix):])
            if rel.is_absolute() or ".." in rel.parts:
                raise ValidationFailed(Text(f"安装包中的路径无效：{name}", f"invalid path in the package: {name}"))
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
        return load_package(root)


@dataclass
class Upgrade:
    """An app package over what is installed: the merged documents and what needs a person."""

    key: str
    documents: dict[str, dict[str, Any]]
    texts: dict[str, dict[str, str]]
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    #: None for a first install; else the version string of the package installed before.
    previous: str | None = None
    customised: bool = False


def plan_upgrade(runtime: Runtime, package: AppPackage) -> Upgrade:
    apps, texts = runtime.current_apps()
    new_texts = {**texts, package.key: dict(package.texts)}
    if package.key not in apps:
        return Upgrade(package.key, {**apps, package.key: package.documents}, new_texts)
    ours = apps[package.key]
    shipped = {rel: _original(text) for rel, text in texts.get(package.key, {}).items()}
    base = {rel: doc for rel, doc in shipped.items() if doc is not None}
    previous = (base.get(MANIFEST) or {}).get("version")
    if not base:  # installed without its texts: the published documents are all we know
        base = ours
    result = merge_apps({package.key: base}, {package.key: ours}, {package.key: package.documents})
    merged = {**apps, package.key: result.merged[package.key]}
    conflicts = [split_conflict(c.as_dict()) for c in result.conflicts]
    return Upgrade(package.key, merged, new_texts, conflicts, previous, customised=ours != base)


class UpgradeConflicts(SunmaoError):
    status = 409
    kind = "upgrade-conflicts"
    title = Text("升级与本厂的修改冲突", "The upgrade conflicts with this plant's changes")


def install(runtime: Runtime, path: str | Path, *, who: Designer = CLI, take: str | None = None) -> PublishResult:
    """Install or upgrade the package at ``path`` and publish it (what ``sunmao app install`` does).

    An upgrade keeps the plant's customizations; a conflict refuses the install (nothing
    changes) unless ``take`` says which side wins every conflict (``ours``: the plant's,
    ``theirs``: the package's). Open it in the designer to decide one by one."""
    package = load_package(path)
    upgrade = plan_upgrade(runtime, package)
    documents = upgrade.documents
    if upgrade.conflicts:
        if take not in ("ours", "theirs"):
            raise UpgradeConflicts(Text(f"有 {len(upgrade.conflicts)} 处冲突：请在设计器中逐一决定，"
                                        "或指定 --take ours|theirs",
                                        f"{len(upgrade.conflicts)} conflicts: decide them in the designer, or pass "
                                        "--take ours|theirs"), conflicts=upgrade.conflicts)
        documents = _take(runtime, package, upgrade, take)
    version = package.manifest.get("version")
    note = f"install {package.key} {version}" if upgrade.previous is None else \
        f"upgrade {package.key} {upgrade.previous} → {version}"
    return runtime.publish(documents, by=who.username, note=note, texts=upgrade.texts)


def _take(runtime: Runtime, package: AppPackage, upgrade: Upgrade, take: str) -> dict[str, dict[str, Any]]:
    conflicts = [Conflict(from_json(c["steps"]), c["base"], c["ours"], c["theirs"], c["kind"])
                 for c in upgrade.conflicts]
    return resolve(upgrade.documents, conflicts, {c.where: take for c in conflicts})


def import_as_draft(runtime: Runtime, drafts: Drafts, who: Designer, package: AppPackage) -> DraftInfo:
    upgrade = plan_upgrade(runtime, package)
    version = package.manifest.get("version")
    title = f"安装 {package.key} {version} / install {package.key} {version}" if upgrade.previous is None else \
        f"升级 {package.key} {upgrade.previous} → {version} / upgrade {package.key} {upgrade.previous} → {version}"
    return drafts.create(who, title=title, documents=upgrade.documents, texts=upgrade.texts,
                         origin={"kind": "package", "app": package.key, "version": version,
                                 "previous": upgrade.previous, "customised": upgrade.customised},
                         conflicts=upgrade.conflicts)
