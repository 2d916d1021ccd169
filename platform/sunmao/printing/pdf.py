"""One record as a PDF (reportlab): title, head fields, the line table, totals, Code128 barcode.

Chinese text needs a CJK font: WenQuanYi Micro Hei is embedded when the system has it (the
PDF then shows the same glyphs in every viewer); otherwise reportlab's built-in CID font
STSong-Light is used, which needs no font file at all.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

from sunmao.fields import stored_type
from sunmao.meta.model import Entity, Field
from sunmao.printing.layout import PrintLayout, generic_layout

FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)
SYSTEM_LABELS = {"name": ("编号", "Number"), "created_at": ("创建时间", "Created")}


@cache
def cjk_font() -> str:
    """The name of a registered font that can draw Chinese (embedded TTF first, CID fallback)."""
    for path in FONT_FILES:
        if path.is_file():
            try:
                pdfmetrics.registerFont(TTFont("SunmaoCJK", str(path), subfontIndex=0))
                return "SunmaoCJK"
            except Exception:  # noqa: BLE001,S112 - a broken font file: try the next, then the CID font
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _label(entity: Entity, key: str, lang: str) -> str:
    f = entity.by_key.get(key)
    if f is not None:
        return f.label.get(lang)
    zh, en = SYSTEM_LABELS.get(key, (key, key))
    return en if lang == "en" else zh


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    """Record text goes into reportlab's mini-markup: escape it, keep line breaks."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _column_widths(fields: list[Field], texts: list[list[str]], numeric: list[bool], width: float, font: str,
                   lang: str) -> list[float]:
    """Numbers get the width their longest value needs (an amount never wraps); the text columns
    share what is left by weight (links and names wider)."""
    pad = 7  # the cell's padding on both sides, and a little air
    columns = list(zip(*texts, strict=True)) if texts else [()] * len(fields)
    need = []
    for f, is_number, column in zip(fields, numeric, columns, strict=True):
        widest = max([stringWidth(t, font, 9.5) for t in column] + [stringWidth(f.label.get(lang), font, 8.5)])
        need.append(widest + pad if is_number else 0.0)
    weights = [0.0 if is_number else 3.0 if f.type == "link" or f.value_type in ("string", "text") else 1.0
               for f, is_number in zip(fields, numeric, strict=True)]
    left = width - sum(need)
    if not any(weights) or left < 20 * mm * sum(1 for w in weights if w):
        weights = [3.0 if f.type == "link" or f.value_type in ("string", "text") else 1.4 for f in fields]
        return [width * w / sum(weights) for w in weights]
    return [n if is_number else left * w / sum(weights) for n, w, is_number in zip(need, weights, numeric,
                                                                                   strict=True)]


#: ``display(field, value, lang, titles, record) -> str``: one value as a person reads it.
Display = Callable[[Field, Any, str, dict[tuple[str, Any], str], Mapping[str, Any]], str]


def render_pdf(snapshot: Any, entity: Entity, record: Mapping[str, Any], layout: PrintLayout | None, lang: str,
               titles: Mapping[tuple[str, Any], str], *, display: Display) -> bytes:
    """The record as a PDF; values are shown by ``display``, the same function the screens show them
    with (the caller passes it: printing sits below the screens)."""
    return render_pdfs(snapshot, entity, [record], layout, lang, titles, display=display)


def render_pdfs(snapshot: Any, entity: Entity, records: list[Mapping[str, Any]], layout: PrintLayout | None,
                lang: str, titles: Mapping[tuple[str, Any], str], *, display: Display) -> bytes:
    """Several records in one PDF, each starting on a new page (a list's ticked rows printed at once)."""
    layout = layout or generic_layout(entity)
    font = cjk_font()
    first = records[0] if records else {}
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=f"{layout.label.get(lang)} {first.get('name') or ''}",
                            author="Sunmao")
    story: list[Any] = []
    for index, record in enumerate(records):
        if index:
            story.append(PageBreak())
        story += _record_story(snapshot, entity, record, layout, lang, titles, display, font)

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#888888"))
        number = (first.get("name") or "") if len(records) == 1 else ""
        canvas.drawString(15 * mm, 9 * mm, f"{entity.label.get(lang)} {number}")
        canvas.drawRightString(195 * mm, 9 * mm, f"{document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _record_story(snapshot: Any, entity: Entity, record: Mapping[str, Any], layout: PrintLayout, lang: str,
                  titles: Mapping[tuple[str, Any], str], display: Display, font: str) -> list[Any]:
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#555555"))
    title = ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=1)
    right = ParagraphStyle("right", parent=base, alignment=2)

    def show(f: Field | None, key: str, rec: Mapping[str, Any]) -> str:
        if f is None:
            return str(rec.get(key) or "")
        return display(f, rec.get(key), lang, dict(titles), record)

    story: list[Any] = []
    head_cells: list[Any] = [_para(layout.label.get(lang), title)]
    code_value = str(record.get(layout.barcode) or "") if layout.barcode else ""
    if code_value:
        drawing = createBarcodeDrawing("Code128", value=code_value, barHeight=12 * mm, barWidth=0.33 * mm,
                                       humanReadable=True, fontName="Helvetica", fontSize=8)
        story.append(Table([[head_cells[0], drawing]], colWidths=[110 * mm, 70 * mm],
                           style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    else:
        story.append(head_cells[0])
    story.append(Spacer(1, 4 * mm))
    pairs = [("name", record.get("name"))] if "name" not in layout.fields else []
    cells = []
    for key in [k for k, _v in pairs] + list(layout.fields):
        f = entity.by_key.get(key)
        cells.append([_para(_label(entity, key, lang), small), _para(show(f, key, record), base)])
    rows = [cells[i] + (cells[i + 1] if i + 1 < len(cells) else ["", ""]) for i in range(0, len(cells), 2)]
    if rows:
        story.append(Table(rows, colWidths=[24 * mm, 66 * mm, 24 * mm, 66 * mm], style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd"))]))
        story.append(Spacer(1, 5 * mm))
    if layout.table and entity.by_key.get(layout.table):
        child = snapshot.entities[entity.by_key[layout.table].of]
        keys = list(layout.columns) or [f.key for f in child.fields if not f.hidden and f.type not in
                                        ("table", "json", "attachment", "multiselect")]
        fields = [child.by_key[k] for k in keys]
        header = [_para("#", small)] + [_para(f.label.get(lang), small) for f in fields]
        body = [header]
        texts = [[show(f, f.key, row) for f in fields] for row in record.get(layout.table) or []]
        numeric = [stored_type(f).numeric for f in fields]
        for i, cells_of_row in enumerate(texts, start=1):
            body.append([_para(str(i), base)] + [_para(text, right if is_number else base)
                                                 for text, is_number in zip(cells_of_row, numeric, strict=True)])
        col_widths = [8 * mm] + _column_widths(fields, texts, numeric, 180 * mm - 8 * mm, font, lang)
        story.append(Table(body, colWidths=col_widths, repeatRows=1, style=[
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1ebe5")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bbbbbb")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story.append(Spacer(1, 3 * mm))
    if layout.totals:
        totals = [[_para(_label(entity, k, lang), right), _para(show(entity.by_key.get(k), k, record), right)]
                  for k in layout.totals]
        story.append(Table(totals, colWidths=[140 * mm, 40 * mm]))
        story.append(Spacer(1, 5 * mm))
    if layout.notes:
        story.append(_para(layout.notes.get(lang), small))
        story.append(Spacer(1, 8 * mm))
    if layout.signatures:
        sig = [[_para(s.get(lang) + "：", base) for s in layout.signatures]]
        story.append(Spacer(1, 6 * mm))
        story.append(Table(sig, colWidths=[180 * mm / len(layout.signatures)] * len(layout.signatures),
                           rowHeights=[16 * mm], style=[("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return story
