"""Where the table is in a sheet: the header row, the data rows, and the rows that are not data.

Sales offices put a merged title ("2026年12月 销售订单台账") and a blank row above the
header, a totals row ("合计", often a formula) below the data, and notes under it
("制表：张三"). The header is the row with the most text cells, weighted by how many of them
name a known field; below it, blank rows, totals and subtotals, repeated headers and trailing
notes are skipped — each skipped row is reported with its reason, never silently lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sunmao.i18n import Text
from sunmao.imports.cells import text_of
from sunmao.imports.reader import MAX_ROWS, RawSheet, SheetError

HEADER_SCAN = 30
_TOTAL = re.compile(r"^(合计|总计|小计|共计|总合计|本页合计|本页小计|累计|汇总|total|totals|subtotal|sub-total|"
                    r"grand total|sum)(?:[:：(（].*)?$", re.I)
_NOTE = re.compile(r"^(注|备注|说明|附注|制表|制单|审核|审批|负责人|填表|note|notes|remark|prepared by|\*)", re.I)

TOTAL_ROW = Text("合计行，已跳过", "a totals row, skipped")
NOTE_ROW = Text("表格下方的说明，已跳过", "a note below the table, skipped")
HEADER_AGAIN = Text("重复的表头，已跳过", "the header repeated, skipped")
NO_VALUE_ROW = Text("没有要导入的金额（如支出），已跳过", "nothing to import in this row (an outgoing amount), skipped")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class Row:
    number: int  # the spreadsheet's own row number (1-based)
    cells: list[Any]


@dataclass
class Table:
    sheet: str
    header_row: int  # spreadsheet row number of the header
    headers: list[str]
    rows: list[Row]
    skipped: list[tuple[int, Text]] = field(default_factory=list)
    notes: tuple[Text, ...] = ()
    sheets: tuple[str, ...] = ()

    def letter(self, column: int) -> str:
        return column_letter(column)


def _filled(cells: list[Any]) -> list[Any]:
    return [c for c in cells if c is not None and not (isinstance(c, str) and not c.strip())]


def _is_label(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = text_of(value)
    return bool(text) and not re.fullmatch(r"[\d\s.,:/\-年月日%¥￥]+", text)


def _title_row(index: int, sheet: RawSheet) -> bool:
    """A row whose only value sits in a cell merged across columns: a title, not a header."""
    return any(r0 <= index <= r1 and c1 > c0 for (r0, c0), (r1, c1) in sheet.merged) and \
        len(_filled(sheet.rows[index])) <= 1


def find_header(sheet: RawSheet, known: Callable[[str], bool] | None = None) -> int:
    """The 0-based index of the header row among the first ``HEADER_SCAN`` rows."""
    best, best_score = -1, 0.0
    for i, cells in enumerate(sheet.rows[:HEADER_SCAN]):
        if _title_row(i, sheet):
            continue
        labels = [text_of(c) for c in cells if _is_label(c)]
        if len(labels) < (2 if len(sheet.rows[0]) > 1 else 1):
            continue
        score = len(labels) + 3 * sum(1 for t in labels if known is not None and known(t))
        if score > best_score:
            best, best_score = i, score
    if best < 0:
        raise SheetError("找不到表头：前 30 行中没有一行像列名", "no header row found: none of the first 30 rows "
                         "looks like column names")
    return best


def locate(sheet: RawSheet, known: Callable[[str], bool] | None = None, header_row: int | None = None) -> Table:
    """The table of ``sheet``: header (found, or the given 1-based row) and classified rows below it."""
    index = header_row - 1 if header_row else find_header(sheet, known)
    if not 0 <= index < len(sheet.rows):
        raise SheetError(f"第 {header_row} 行不在表中", f"row {header_row} is not in the sheet")
    headers = [text_of(c) for c in sheet.rows[index]]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    body = [(n + 1, (list(r[:width]) + [None] * (width - len(r)))) for n, r in enumerate(sheet.rows)
            if n > index]
    substantial = [n for n, cells in body if len(_filled(cells)) >= 2 and not _total(cells)]
    last = substantial[-1] if substantial else index + 1
    table = Table(sheet.name, index + 1, headers, [], notes=sheet.notes, sheets=sheet.sheets)
    for number, cells in body:
        filled = _filled(cells)
        if not filled:
            continue
        if _total(cells):
            table.skipped.append((number, TOTAL_ROW))
        elif [text_of(c) for c in cells] == headers:
            table.skipped.append((number, HEADER_AGAIN))
        elif len(filled) == 1 and (number > last or _NOTE.match(text_of(filled[0]))):
            table.skipped.append((number, NOTE_ROW))
        else:
            table.rows.append(Row(number, cells))
    if len(table.rows) > MAX_ROWS:
        raise SheetError(f"一次最多导入 {MAX_ROWS:,} 行（本表 {len(table.rows):,} 行）：请拆成几个文件",
                         f"at most {MAX_ROWS:,} rows per import (this sheet has {len(table.rows):,}): split the file")
    return table


def _total(cells: list[Any]) -> bool:
    for c in cells:
        if isinstance(c, str) and c.strip():
            return bool(_TOTAL.match(re.sub(r"\s+", "", text_of(c))))
        if c not in (None, "") and not isinstance(c, date):
            return False  # a number first: a data row (a quantity), not a label
    return False
