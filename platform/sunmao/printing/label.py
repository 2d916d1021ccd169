"""A shipping label (100 × 150 mm, the usual thermal e-waybill size) drawn with reportlab.

Waybill number as a large Code128 barcode, the record's number as a small one, the consignee and
address, packages, weight and the date. Chinese text uses the same CJK font as the print
templates (``pdf.cjk_font``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from sunmao.printing.pdf import cjk_font

LABEL_SIZE = (100 * mm, 150 * mm)
WORDS = {
    "title": ("发货面单", "Shipping label"), "waybill": ("运单号", "Waybill"), "number": ("单号", "No."),
    "to": ("收货方", "Ship to"), "address": ("地址", "Address"), "phone": ("电话", "Phone"),
    "packages": ("件数", "Packages"), "weight": ("重量", "Weight"), "date": ("发货日期", "Shipped"),
    "courier": ("承运", "Courier"),
}


def _word(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return f"{zh} {en}" if lang == "both" else en if lang == "en" else zh


def _para(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def render_label(label: Mapping[str, Any], lang: str = "zh") -> bytes:
    """``label``: waybill_no, record_no, courier, to, address, phone, packages, weight, shipped_on."""
    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=base, fontSize=7, leading=9, textColor=colors.HexColor("#444444"))
    big = ParagraphStyle("big", parent=base, fontSize=13, leading=17)
    head = ParagraphStyle("head", parent=base, fontSize=11, leading=14)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=LABEL_SIZE, leftMargin=5 * mm, rightMargin=5 * mm, topMargin=5 * mm,
                            bottomMargin=5 * mm, title=f"{_word('title', lang)} {label.get('waybill_no') or ''}",
                            author="Sunmao")
    width = LABEL_SIZE[0] - 10 * mm
    waybill = str(label.get("waybill_no") or "")
    record_no = str(label.get("record_no") or "")
    story: list[Any] = [
        Table([[_para(_word("title", lang), head), _para(label.get("courier"), base)]],
              colWidths=[width * 0.5, width * 0.5],
              style=[("ALIGN", (1, 0), (1, 0), "RIGHT"), ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black)]),
        Spacer(1, 3 * mm),
        createBarcodeDrawing("Code128", value=waybill, barHeight=20 * mm, barWidth=0.42 * mm, humanReadable=True,
                             fontName="Helvetica-Bold", fontSize=11),
        Spacer(1, 3 * mm),
    ]

    def row(key: str, value: Any, style: ParagraphStyle = base) -> list[Any]:
        return [_para(_word(key, lang), small), _para(value, style)]

    rows = [row("to", label.get("to"), big), row("address", label.get("address")),
            row("phone", label.get("phone")),
            row("packages", label.get("packages"), big), row("weight", f"{label.get('weight') or '—'} kg"),
            row("date", label.get("shipped_on")), row("number", record_no)]
    story.append(Table(rows, colWidths=[18 * mm, width - 18 * mm], style=[
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#333333")),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    if record_no:
        story += [Spacer(1, 3 * mm),
                  createBarcodeDrawing("Code128", value=record_no, barHeight=9 * mm, barWidth=0.3 * mm,
                                       humanReadable=True, fontName="Helvetica", fontSize=7)]
    doc.build(story)
    return buffer.getvalue()
