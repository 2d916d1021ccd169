"""Import screens: upload → match the columns → check (a preview of every row) → import; and Excel out.

Each step is a plain form post; the upload, its plan and its outcome live in ``sm_import``
(``imports/jobs.py``), so a file too long for a request runs as a job with the same plan and
the page follows its progress. Words of these pages are bilingual ``Text`` values (``WORDS``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, redirect, request

from sunmao.errors import ValidationFailed
from sunmao.i18n import Text
from sunmao.imports import jobs
from sunmao.imports.export import record_workbook
from sunmao.imports.layout import column_letter
from sunmao.imports.plan import UnknownTemplate, plan_json, prepare, prepare_stored
from sunmao.imports.reader import SheetError
from sunmao.imports.template import Column, Template, save, templates_of
from sunmao.web.app import context, language
from sunmao.web.screens import shell
from sunmao.web.screens.fields import titles_for
from sunmao.web.screens.routes import blueprint

PREVIEW_ROWS = 300
WORDS = {k: Text(*v) for k, v in {
    "import": ("导入 Excel", "Import from Excel"),
    "intro": ("上传 Excel（.xlsx、.xls）或 CSV。标题行、空行、合计行和表格下方的说明会自动跳过；"
              "关键列（如单号）相同的多行合成一条记录。确认预览之前不会保存任何内容。",
              "Upload an Excel (.xlsx, .xls) or CSV file. Title rows, blank rows, totals and notes below the table "
              "are skipped; rows sharing a key column (such as a document number) become one record. Nothing is "
              "saved before you confirm the preview."),
    "into": ("导入到", "Import into"), "file": ("文件", "File"), "template": ("导入模板", "Import template"),
    "auto": ("（按表头自动识别）", "(recognised by the headers)"),
    "upload": ("上传并匹配列", "Upload and match columns"),
    "match": ("导入：匹配列", "Import: match the columns"), "column": ("列", "Column"),
    "header": ("表头", "Header"), "examples": ("示例", "Examples"), "field": ("导入到字段", "Field"),
    "skip": ("（不导入此列）", "(skip this column)"), "key": ("按此列合并与更新", "Group and update by"),
    "key_help": ("同一值的多行合成一条记录；再次导入时按此值更新已有记录，不会重复新建。",
                 "Rows with the same value become one record; a later import updates that record instead of "
                 "adding another."),
    "none": ("（每行一条新记录）", "(each row a new record)"), "missing": ("找不到时", "When not found"),
    "refuse": ("拒绝该行", "refuse the row"), "create": ("新建", "create it"),
    "save_as": ("保存为导入模板（名称）", "Save as an import template (name)"),
    "save_hint": ("下次上传表头相同的文件时自动套用", "used again for a file with the same headers"),
    "check": ("检查（不保存）", "Check (nothing is saved)"),
    "preview": ("导入：检查并确认", "Import: check and confirm"),
    "sheet": ("工作表", "Sheet"), "header_row": ("表头在第 {n} 行", "header in row {n}"),
    "summary": ("{rows} 行数据 → {records} 条{entity}（{lines} 行明细）",
                "{rows} data rows → {records} {entity} records ({lines} child rows)"),
    "all_good": ("全部行都没有问题。尚未保存任何内容。", "Every row is fine. Nothing has been saved yet."),
    "bad": ("{n} 行有问题，已在下方标出；默认全部不导入。", "{n} rows have problems, marked below; by default nothing "
            "is imported."),
    "import_all": ("导入全部 {n} 条", "Import all {n}"),
    "import_good": ("只导入没有问题的 {n} 条", "Import only the {n} good records"),
    "remap": ("修改列匹配", "Change the column matching"), "another": ("上传其他文件", "Upload another file"),
    "done": ("已导入：新建 {created} 条，更新 {updated} 条，未变 {unchanged} 条。",
             "Imported: {created} added, {updated} updated, {unchanged} unchanged."),
    "linked": ("同时新建了 {n} 条{entity}。", "{n} {entity} records were created too."),
    "linked_preview": ("将同时新建 {n} 条{entity}。", "{n} {entity} records will be created too."),
    "failed": ("没有导入任何内容：请按下方提示改正文件后重新上传。",
               "Nothing was imported: correct the file as shown below and upload it again."),
    "open_list": ("打开列表", "Open the list"), "skipped": ("已跳过的行", "Rows skipped"),
    "problems": ("问题", "Problems"), "row": ("行", "Row"), "state": ("状态", "State"),
    "good": ("可导入", "good"), "sibling": ("同一单据的其他行有问题", "another row of this record has a problem"),
    "would_create": ("新建", "new"), "would_update": ("更新", "update"), "unchanged": ("未变", "unchanged"),
    "queued": ("排队中…", "Waiting for its turn…"), "running": ("正在处理：已完成 {done} / {total} 条",
                                                               "Working: {done} of {total} records done"),
    "progress": ("导入：进行中", "Import: in progress"),
    "more": ("另有 {n} 个问题未列出", "{n} more problems not listed"),
    "export": ("导出 Excel", "Export to Excel"), "record_col": ("单据", "Record"),
}.items()}


def w(key: str, **values: Any) -> str:
    return WORDS[key].get(language()).format(**values)


def _entities() -> list[tuple[str, str]]:
    lang = language()
    return [(e.key, e.label.get(lang)) for e in shell.snapshot().top_entities if shell.actor().can(e, "create")]


def _render(page: str, **values: Any) -> tuple[str, int]:
    return shell.render(page, w=w, column_letter=column_letter, **values)


@blueprint.get("/app/import")
def import_start() -> tuple[str, int]:
    entities = _entities()
    chosen = request.args.get("entity") or (entities[0][0] if entities else "")
    templates: list[Template] = []
    if chosen in shell.snapshot().entities:
        templates = templates_of(context().runtime.db, shell.snapshot(), chosen)
    return _render("screens/import_start.html", title=w("import"), entities=entities, chosen=chosen,
                   templates=templates)


@blueprint.post("/app/import")
def import_upload() -> Response:
    entity = request.form.get("entity") or ""
    ce = shell.compiled(entity)
    shell.require(ce.entity, "create")
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ValidationFailed(errors={"file": [Text("请选择要导入的文件", "choose a file to import")]})
    data = file.read()
    try:
        prepared = prepare(shell.records(), entity, data, file.filename, template=request.form.get("template") or None)
    except SheetError as exc:
        raise ValidationFailed(errors={"file": [exc.text]}) from None
    except UnknownTemplate:
        raise ValidationFailed(errors={"template": [Text("没有这个导入模板", "no such import template")]}) from None
    upload_id = jobs.store(context().runtime.db, shell.actor().id, prepared, data, file.filename)
    return redirect(f"/app/import/{upload_id}")


def _options(prepared: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The targets for the column selects, grouped: the record, its child table, linked records."""
    lang = language()
    groups: dict[str, list[tuple[str, str]]] = {}
    for t in prepared.targets.values():
        head = t.label.get(lang).split(" · ")[0] if (t.table or t.sub) else prepared.entity.label.get(lang)
        groups.setdefault(head, []).append((t.path, t.label.get(lang) + (" *" if t.field.required else "")))
    return list(groups.items())


@blueprint.get("/app/import/<upload_id>")
def import_mapping(upload_id: str) -> tuple[str, int]:
    db = context().runtime.db
    row = jobs.load(db, upload_id, shell.actor().id)
    prepared = prepare_stored(shell.records(), row["entity"], jobs.file_of(db, row), row["filename"], row["mapping"])
    table = prepared.table
    samples = [[_cell(r.cells[i]) for r in table.rows[:3] if i < len(r.cells) and r.cells[i] not in (None, "")]
               for i in range(len(table.headers))]
    lang = language()
    link_labels = {t.path: t.label.get(lang) for t in prepared.targets.values() if t.field.type == "link"}
    keys = [(t.path, t.label.get(lang)) for t in prepared.targets.values()
            if not t.table and not t.link and (t.path == "name" or t.field.value_type in ("string", "integer"))]
    return _render("screens/import_mapping.html", title=w("match"), upload=row, entity=prepared.entity,
                   table=table, samples=samples, options=_options(prepared), plan=prepared.plan,
                   links=[(p, link_labels.get(p, p), r.if_missing) for p, r in prepared.plan.links.items()], keys=keys,
                   tpl=prepared.template, rows=len(table.rows))


def _chosen(row: dict[str, Any]) -> dict[str, Any]:
    """The plan as the mapping form sends it."""
    stored = dict(row["mapping"] or {})
    headers = row["headers"]
    if any(f"map_{i}" in request.form for i in range(len(headers))):
        stored["columns"] = {str(i): request.form[f"map_{i}"] for i in range(len(headers))
                             if request.form.get(f"map_{i}")}
        stored["key_field"] = request.form.get("key_field") or None
        stored["if_missing"] = {k[8:]: v for k, v in request.form.items() if k.startswith("missing_")}
    return stored


@blueprint.post("/app/import/<upload_id>")
def import_run(upload_id: str) -> tuple[str, int]:
    """Check (preview) or import, depending on the button pressed."""
    db = context().runtime.db
    row = jobs.load(db, upload_id, shell.actor().id)
    ce = shell.compiled(row["entity"])
    shell.require(ce.entity, "create")
    mode = request.form.get("step", "preview")
    mode = mode if mode in jobs.MODES else "preview"
    stored = _chosen(row)
    prepared = prepare_stored(shell.records(), row["entity"], jobs.file_of(db, row), row["filename"], stored)
    name = (request.form.get("template_name") or "").strip()
    if name:
        template = Template("saved", Text(name, name), ce.key, prepared.plan.key_field,
                            tuple(_columns(prepared)), prepared.plan.links, prepared.table.header_row)
        try:
            saved = save(db, shell.snapshot(), template, shell.actor().id)
        except ValueError as exc:
            raise ValidationFailed(errors={"template_name": [Text(str(exc), str(exc))]}) from None
        stored["template"] = saved.key
    jobs.set_plan(db, upload_id, {**plan_json(prepared), "template": stored.get("template")})
    row = jobs.load(db, upload_id)
    if len(prepared.table.rows) > jobs.BACKGROUND_ROWS:
        jobs.queue(db, upload_id, mode)
        return import_status(upload_id)
    jobs.execute(shell.records(), shell.actor(), row, mode)
    return _result(upload_id)


def _columns(prepared: Any) -> list[Column]:
    out = []
    for i, path in sorted(prepared.plan.columns.items()):
        old = prepared.template.column_for(path) if prepared.template else None
        out.append(Column(path, prepared.table.headers[i], old.synonyms if old else (),
                          prepared.plan.cleans.get(i)))
    return out


def _result(upload_id: str) -> tuple[str, int]:
    db = context().runtime.db
    row = jobs.load(db, upload_id, shell.actor().id)
    lang = language()
    result = (row["result"] or {}).get(lang) or {}
    ce = shell.compiled(row["entity"])
    if "error" in result or not result:
        return import_status(upload_id)
    prepared = prepare_stored(shell.records(), row["entity"], jobs.file_of(db, row), row["filename"], row["mapping"])
    table = prepared.table
    by_row: dict[int, list[str]] = {}
    for p in result["problems"]:
        if p["row"] is not None:
            by_row.setdefault(p["row"], []).append(((p["column"] + " · ") if p["column"] else "") + p["message"])
    state: dict[int, tuple[str, str]] = {}
    for g in result["groups"]:
        for n in g["rows"]:
            if n in by_row:
                state[n] = ("bad", "")
            elif g["action"] == "bad":
                state[n] = ("sibling", w("sibling"))
            else:
                label = {"create": "would_create", "update": "would_update", "unchanged": "unchanged"}[g["action"]]
                state[n] = ("good", (g["name"] or "") + " " + w(label) if result["committed"] else w(label))
    columns = sorted(prepared.plan.columns)
    labels = [prepared.targets[prepared.plan.columns[i]].label.get(lang) for i in columns]
    preview = [{"n": r.number, "cells": [_cell(r.cells[i]) if i < len(r.cells) else "" for i in columns],
                "state": state.get(r.number, ("good", "")), "problems": by_row.get(r.number, [])}
               for r in table.rows[:PREVIEW_ROWS]]
    general = [p for p in result["problems"] if p["row"] is None]
    linked = [(n, shell.snapshot().entities[k].label.get(lang)) for k, n in result["linked_created"].items()]
    return _render("screens/import_preview.html", title=w("preview"), upload=row, entity=ce.entity, result=result,
                   preview=preview, columns=[(column_letter(i), h) for i, h in zip(columns, labels, strict=True)],
                   general=general, linked=linked, mode=(row["result"] or {}).get("mode"),
                   hidden_rows=max(0, len(table.rows) - PREVIEW_ROWS))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@blueprint.get("/app/import/<upload_id>/status")
def import_status(upload_id: str) -> tuple[str, int]:
    """A queued run's progress; the page refreshes itself until the job is done, then shows the outcome."""
    db = context().runtime.db
    row = jobs.load(db, upload_id, shell.actor().id)
    if row["status"] in ("done", "failed", "previewed") and "error" not in (row["result"] or {}):
        return _result(upload_id)
    done, total = jobs.progress_of(db, upload_id)
    error = (row["result"] or {}).get("error")
    if error and language() == "zh":
        error = ((row["result"] or {}).get("zh") or {}).get("error", error)
    return _render("screens/import_status.html", title=w("progress"), upload=row,
                   entity=shell.compiled(row["entity"]).entity, state=row["status"], done=done, total=total,
                   error=error)


@blueprint.get("/app/<entity>/<int:record_id>/export.xlsx")
def record_export(entity: str, record_id: int) -> Response:
    """One record with its child rows as a workbook that imports back as it is."""
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    service = shell.records()
    record = service.get(entity, record_id, actor=shell.actor())
    titles = titles_for(service, shell.actor(), ce.entity, [record])
    readable = set(service.readable_fields(entity, shell.actor())) | {"name"}
    data = record_workbook(service.snapshot, ce.entity, [record], language(), titles, readable)
    filename = f'{record.get("name") or entity}-{datetime.now(UTC):%Y%m%d}.xlsx'
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})

