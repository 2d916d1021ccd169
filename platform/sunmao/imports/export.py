"""Excel out: workbooks people can read, and that the importer reads back as they are.

Columns carry the users' labels (a child's as ``订单明细 · 数量``); numbers and dates are real
numbers and dates, not text; option fields show their labels and links their titles — the
very forms the importer accepts. The header row is frozen and bold, and each column is as
wide as its longest value with Chinese characters counted double. Text is always written
as text: a customer called ``=HYPERLINK(...)`` never becomes a formula.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sunmao.fields import stored_type
from sunmao.imports.layout import column_letter
from sunmao.imports.targets import NAME
from sunmao.meta.model import Entity, Field
from sunmao.snapshot import Snapshot

Titles = Mapping[tuple[str, Any], str]
WIDTH_SAMPLE = 500


def text_width(value: Any) -> int:
    """Columns a value needs: a Chinese character takes two."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = format(value, ",f") if isinstance(value, Decimal) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def cell_value(f: Field, value: Any, lang: str, titles: Titles) -> Any:
    """A field's API value as a spreadsheet cell: numbers and dates stay numbers and dates."""
    if value is None or value == "" or value == []:
        return None
    return stored_type(f).export_cell(f, value, lang, titles)


def write_workbook(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                   formats: Sequence[str | None] = ()) -> bytes:
    """An .xlsx of one sheet: bold frozen header, fitted widths, typed cells, text never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    rows = iter(rows)
    head: list[Sequence[Any]] = []
    for row in rows:  # the first rows decide the widths; the rest stream
        head.append(row)
        if len(head) >= WIDTH_SAMPLE:
            break
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=(title[:31] or "export").translate(str.maketrans("[]:*?/\\", "（）：＊？／＼")))
    ws.freeze_panes = "A2"
    for i, label in enumerate(header):
        widest = max([text_width(label)] + [text_width(r[i]) for r in head if i < len(r) and r[i] is not None])
        ws.column_dimensions[column_letter(i)].width = min(max(widest + 2, 8), 60)
    bold = Font(bold=True)
    cells = []
    for label in header:
        c = WriteOnlyCell(ws, value=label)
        c.font = bold
        cells.append(c)
    ws.append(cells)

    def all_rows() -> Iterator[Sequence[Any]]:
        yield from head
        yield from rows

    for row in all_rows():
        out = []
        for i, value in enumerate(row):
            c = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                c.data_type = "s"  # text is text: a leading "=" never becomes a formula
            elif isinstance(value, datetime):
                c.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                c.number_format = "yyyy-mm-dd"
            elif i < len(formats) and formats[i]:
                c.number_format = formats[i]
            out.append(c)
        ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def number_format(f: Field) -> str | None:
    return stored_type(f).number_format(f)


def export_fields(entity: Entity) -> list[Field]:
    """What an export shows: the record number, then every visible field (tables apart)."""
    return [NAME] + [f for f in entity.fields if not f.hidden and f.type != "table"]


def record_rows(snapshot: Snapshot, entity: Entity, records: Iterable[Mapping[str, Any]], lang: str,
                titles: Titles, readable: set[str] | None = None
                ) -> tuple[list[str], list[str | None], Iterator[list[Any]]]:
    """Header, number formats and rows of records with their child rows: one row per child row,
    the record's own values repeated on each (so the importer groups them back by number)."""
    own = [f for f in export_fields(entity) if readable is None or f.key in readable]
    tables = [(t, [f for f in export_fields(snapshot.entities[t.of or ""])[1:]]) for t in entity.table_fields
              if readable is None or t.key in readable]
    header = [f.label.get(lang) for f in own]
    formats = [number_format(f) for f in own]
    for table, fields in tables:
        header += [f"{table.label.get(lang)} · {f.label.get(lang)}" for f in fields]
        formats += [number_format(f) for f in fields]

    def rows() -> Iterator[list[Any]]:
        for record in records:
            base = [cell_value(f, record.get(f.key), lang, titles) for f in own]
            children = [(table, fields, record.get(table.key) or []) for table, fields in tables]
            longest = max([len(c) for _t, _f, c in children] + [1])
            for j in range(longest):
                row = list(base)
                for _table, fields, lines in children:
                    line = lines[j] if j < len(lines) else {}
                    row += [cell_value(f, line.get(f.key), lang, titles) for f in fields]
                yield row

    return header, formats, rows()


def record_workbook(snapshot: Snapshot, entity: Entity, records: Sequence[Mapping[str, Any]], lang: str,
                    titles: Titles, readable: set[str] | None = None) -> bytes:
    header, formats, rows = record_rows(snapshot, entity, records, lang, titles, readable)
    return write_workbook(entity.label.get(lang), header, rows, formats)
