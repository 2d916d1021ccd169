"""Check a draft: everything a publish would find, before anything changes.

The documents against their meta-schemas, the cross-document and rule checks and the
snapshot compile (every ``Problem`` with its document, JSON path and fix), then the migration
plan of a dry-run publish in both languages — every change that would lose data listed with
the rows that stand in its way — and warnings for what is destructive or slow. A draft made
from an older version says what was published since and whether it merges cleanly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from sunmao.designer.history import DocumentDiff, diff_apps
from sunmao.designer.jsonpath import from_json, render
from sunmao.designer.merge import merge_apps
from sunmao.i18n import Text
from sunmao.meta.errors import MetadataError, Problem
from sunmao.runtime import PublishResult, Runtime
from sunmao.storage.migrate import MigrationRefused, Step

#: A step on a table with at least this many rows gets a "may take a while" warning.
SLOW_ROWS = 20_000
#: Seconds per 10,000 rows of a type change or index build, measured on SQLite and PostgreSQL
#: (bench/designer.py); the warning rounds up.
SECONDS_PER_10K_ROWS = 1.0


@dataclass
class CheckReport:
    base_version: int
    current_version: int | None
    problems: list[Problem] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    refused: list[MigrationRefused] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    #: What was published since the draft's base (when it moved on).
    since: list[DocumentDiff] = field(default_factory=list)
    #: Conflicts a merge with the published version would meet (when it moved on).
    merge_conflicts: list[dict[str, Any]] = field(default_factory=list)
    #: Conflicts of an earlier merge or upgrade that a person has still to decide.
    pending: list[dict[str, Any]] = field(default_factory=list)
    #: What the draft changes against its base.
    changes: list[DocumentDiff] = field(default_factory=list)

    @property
    def moved(self) -> bool:
        return self.current_version != self.base_version

    @property
    def ok(self) -> bool:
        return not (self.problems or self.refused or self.moved or self.pending)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "base_version": self.base_version, "current_version": self.current_version,
            "moved": self.moved,
            "problems": [problem_dict(p) for p in self.problems],
            "steps": [s.as_dict() for s in self.steps],
            "refused": [r.as_dict() for r in self.refused],
            "warnings": self.warnings,
            "since": [d.as_dict() for d in self.since],
            "merge_conflicts": self.merge_conflicts, "pending": self.pending,
            "changes": [d.as_dict() for d in self.changes],
        }


def problem_dict(p: Problem) -> dict[str, str]:
    """A problem as the designer shows it: the document, the path, the message (which says the fix)."""
    return {"document": p.file, "path": p.path, "message": p.message,
            "zh": f"文档 {p.file} 的 {p.path}：{p.message}", "en": f"{p.file} at {p.path}: {p.message}"}


def split_conflict(c: dict[str, Any]) -> dict[str, Any]:
    """An apps-level conflict (``$.app.path.…``) told per document: its address and inner path."""
    steps = from_json(c["steps"])
    return {**c, "id": c["path"], "document": f"{steps[0]}/{steps[1]}" if len(steps) > 1 else str(steps[0]),
            "path": render(steps[2:]) if len(steps) > 1 else "$"}


def check_documents(runtime: Runtime, apps: Mapping[str, Mapping[str, Any]], base_version: int, *,
                    pending: list[dict[str, Any]] | None = None) -> CheckReport:
    """Check a full set of documents made from ``base_version`` against the published state."""
    current = runtime.current_version(fresh=True)
    report = CheckReport(base_version, current, pending=list(pending or []))
    base_docs = runtime.revision_documents(base_version)
    report.changes = diff_apps(base_docs, apps)
    if current is not None and current != base_version:
        current_docs = runtime.revision_documents(current)
        report.since = diff_apps(base_docs, current_docs)
        merged = merge_apps(base_docs, apps, current_docs)
        report.merge_conflicts = [split_conflict(c.as_dict()) for c in merged.conflicts]
    try:
        result = runtime.publish(apps, dry_run=True)
    except MetadataError as exc:
        report.problems = exc.problems
        return report
    report.steps = list(result.steps)
    report.refused = list(result.refused)
    report.warnings = warnings(runtime, result)
    return report


def _row_counts(runtime: Runtime, tables: set[str]) -> dict[str, int]:
    counts = {}
    with runtime.db.read() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        for name in sorted(tables & existing):
            counts[name] = conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar() or 0
    return counts


def warnings(runtime: Runtime, result: PublishResult) -> list[dict[str, Any]]:
    """What a person should know before publishing: data that disappears from screens, names
    that external systems use, and steps that take long on big tables."""
    found: list[dict[str, Any]] = []
    counts = _row_counts(runtime, {f"t_{s.entity}" for s in result.steps})

    def warn(kind: str, step: Step, text: Text) -> None:
        found.append({"kind": kind, "entity": step.entity, "action": step.action, "zh": text.zh, "en": text.en})

    for step in result.steps:
        rows = counts.get(f"t_{step.entity}", 0)
        if step.action == "archive_column":
            warn("destructive", step, Text(
                f"{step.text.zh}。该字段将从表单、列表、接口和导出中消失；"
                f"有 {rows} 行数据归档保留，回滚或恢复字段即可找回",
                f"{step.text.en}. The field leaves forms, lists, the API and exports; the data of {rows} rows is "
                "archived and comes back with a rollback or a restore"))
        elif step.action == "keep_table":
            warn("destructive", step, Text(
                f"{step.text.zh}。该实体的页面、接口和 {rows} 行数据将不再可见（表保留）",
                f"{step.text.en}. Its pages, API and {rows} rows stop being visible (the table is kept)"))
        elif step.action == "rename_column":
            warn("api", step, Text(
                f"{step.text.zh}。外部系统（API 调用方、渠道映射、Webhook 接收方）若使用旧字段名，需要同步修改",
                f"{step.text.en}. External systems that use the old names (API clients, channel mappings, webhook "
                "receivers) must be changed too"))
        if step.action in ("change_type", "create_index", "restore_column") and rows >= SLOW_ROWS:
            seconds = max(1, round(rows / 10_000 * SECONDS_PER_10K_ROWS))
            warn("slow", step, Text(
                f"{step.text.zh}。表中有 {rows} 行，这一步约需 {seconds} 秒，期间该表的写入需等待",
                f"{step.text.en}. The table has {rows} rows: this takes about {seconds} s, and writes to it wait"))
    return found
