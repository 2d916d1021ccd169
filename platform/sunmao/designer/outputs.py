"""The print template and scheduled job editors' server side: a draft's print layout printed for a
chosen record by the code that prints (``printing.render_pdf``, the values shown by the screens'
``display``), and a draft's job checked and its next runs listed.

Both compile the one document being edited with its feature's own compiler against the published
snapshot (its entities, the registered jobs): cheap enough to run on every saved change. Jobs have
no dry run in the engine (a registered job is a Python function that writes), so the job preview
says what would run, with which arguments, and when — nothing runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sunmao.designer.drafts import split
from sunmao.errors import NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.schemas import validate_document

NEXT_RUNS = 5

#: The designer API's operations of this module (see ``designer/openapi.py``).
OPERATIONS: tuple[tuple[str, str, str, str, Any, Any], ...] = (
    ("post", "/drafts/{draft_id}/jobs/preview", "design_job_preview",
     "A draft's scheduled job checked: its problems, the job and arguments it runs, its next run times",
     {"type": "object", "required": ["address"], "additionalProperties": False,
      "properties": {"address": {"type": "string", "minLength": 1}, "document": {"type": "object"},
                     "count": {"type": "integer", "minimum": 1, "maximum": 20}}},
     {"type": "object", "properties": {"problems": {"type": "array"}, "next": {"type": "array"}}}),
)


class _One:
    """Just enough of a snapshot for a feature compiler: one document over the published entities."""

    def __init__(self, kind: str, address: str, doc: Mapping[str, Any], published: Any) -> None:
        self.kind, self.address, self.doc = kind, address, doc
        self.entities = published.entities

    def documents(self, kind: str) -> list[tuple[str, Mapping[str, Any]]]:
        return [(self.address, self.doc)] if kind == self.kind else []


def _document(apps: Mapping[str, Mapping[str, Any]], address: str, kind: str,
              edited: Mapping[str, Any] | None = None) -> dict[str, Any]:
    app, path = split(address)
    doc = edited if edited is not None else apps.get(app, {}).get(path)
    if not isinstance(doc, dict) or doc.get("kind") != kind:
        raise NotFound(Text(f"草稿中没有 {kind} 文档 {address}", f"the draft has no {kind} document {address}"))
    return dict(doc)


def _problems(problems: Any) -> list[dict[str, Any]]:
    return [{"document": p.file, "path": p.path, "message": p.message} for p in problems]


def print_preview(runtime: Any, apps: Mapping[str, Mapping[str, Any]], address: str, record_id: Any,
                  user: Any, lang: str) -> tuple[bytes, str]:
    """The draft's print layout at ``address`` printed for record ``record_id``: the PDF and its file name."""
    from sunmao.printing import compile_prints, render_pdf
    from sunmao.web.screens.fields import display, titles_for

    doc = _document(apps, address, "print")
    published = runtime.snapshot()
    problems = validate_document(doc, address)
    if not problems:
        _name, layouts, problems = compile_prints(_One("print", address, doc, published))
    if problems:
        raise ValidationFailed(Text(f"打印模板有 {len(problems)} 个问题：{problems[0]}",
                                    f"the print template has {len(problems)} problems: {problems[0]}"),
                               errors={p.path.removeprefix("$.") or "document": [Text(p.message, p.message)]
                                       for p in problems})
    layout = layouts[doc["key"]]
    try:
        rid = int(record_id)
    except (TypeError, ValueError):
        raise ValidationFailed(Text("请选择一条记录（编号）", "pick a record (its id)"),
                               errors={"record": [Text("应为记录编号（整数）", "a record id (an integer)")]}) from None
    records = runtime.records()
    try:
        record = records.get(layout.entity, rid, actor=user.actor)
    except NotFound:
        raise ValidationFailed(Text(f"没有 {layout.entity} #{rid}", f"there is no {layout.entity} #{rid}"),
                               errors={"record": [Text("不存在", "does not exist")]}) from None
    entity = published.entities[layout.entity]
    titles = titles_for(records, user.actor, entity, [record])
    pdf = render_pdf(published, entity, record, layout, lang, titles, display=display)
    return pdf, f"{record.get('name') or rid}-{layout.key}-preview.pdf"


def job_preview(apps: Mapping[str, Mapping[str, Any]], published: Any, address: str,
                edited: Mapping[str, Any] | None, count: int = NEXT_RUNS, now: datetime | None = None
                ) -> dict[str, Any]:
    """The job at ``address`` (``edited``, or the draft's) checked, and its next ``count`` runs."""
    from sunmao.jobs.registry import registered_jobs
    from sunmao.jobs.schedule import compile_jobs

    doc = _document(apps, address, "job", edited)
    known = registered_jobs()
    out: dict[str, Any] = {"jobs": [{"name": n, "doc": (s.doc or "").strip().split("\n")[0]}
                                    for n, s in sorted(known.items())], "next": [], "runs": None}
    problems = validate_document(doc, address)
    if not problems:
        _name, jobs, problems = compile_jobs(_One("job", address, doc, published))
    out["problems"] = _problems(problems)
    if problems:
        return out
    job = jobs[0]
    now = now or datetime.now(UTC)
    tick, zone = now, job.timezone
    for _ in range(count):
        tick = job.next_tick(tick)
        out["next"].append({"utc": tick.isoformat(), "local": tick.astimezone(_zone(zone)).isoformat()})
    spec = known[job.job]
    out["runs"] = {"job": job.job, "args": dict(job.args), "enabled": job.enabled, "timezone": zone,
                   "doc": (spec.doc or "").strip(), "max_attempts": job.max_attempts or spec.max_attempts}
    return out


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
