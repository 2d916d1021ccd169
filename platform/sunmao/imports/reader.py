"""Reading an uploaded workbook: .xlsx/.xlsm/.xlsb/.xls/.ods with python-calamine, .csv/.tsv as text.

Calamine (Rust) reads cell values only: a formula cell gives the value Excel cached when the
file was last saved, macros are never run (a macro workbook is read as data), and external
links give their cached values. Limits refuse what a request should not chew on: the file
size, the unpacked size of a zipped workbook (a "zip bomb"), rows and columns — each with a
message that says what to do.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from sunmao.i18n import Text

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 200
WORKBOOKS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
TEXTS = (".csv", ".tsv", ".txt")


class SheetError(ValueError):
    """The file cannot be read as a table (wrong format, empty, too large)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en

    @property
    def text(self) -> Text:
        return Text(self.zh, self.en)


@dataclass(frozen=True)
class RawSheet:
    """A sheet's cells from A1 (row i is spreadsheet row i + 1), merged ranges, and notes on the file."""

    name: str
    rows: list[list[Any]]
    merged: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    notes: tuple[Text, ...] = field(default=())
    sheets: tuple[str, ...] = ()


def _too_many_rows(n: int) -> SheetError:
    return SheetError(f"一次最多导入 {MAX_ROWS:,} 行（本表 {n:,} 行）：请拆成几个文件",
                      f"at most {MAX_ROWS:,} rows per import (this sheet has {n:,}): split the file")


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise SheetError(f"文件不能超过 {MAX_FILE_BYTES // 1024 // 1024} MB（本文件 {size / 1024 / 1024:.1f} MB）",
                         f"the file may not exceed {MAX_FILE_BYTES // 1024 // 1024} MB "
                         f"(this one is {size / 1024 / 1024:.1f} MB)")


def _zip_notes(data: bytes) -> tuple[Text, ...]:
    """Refuse a zipped workbook that unpacks to too much; say whether it has macros or external links."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return ()
    with archive:
        infos = archive.infolist()
    if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise SheetError("文件解压后过大，疑似异常文件：请另存为普通 .xlsx 后再导入",
                         "the workbook unpacks to far too much data: save it again as a plain .xlsx")
    names = {i.filename.lower() for i in infos}
    notes = []
    if any(n.endswith("vbaproject.bin") for n in names):
        notes.append(Text("文件含宏：宏不会运行，只读取单元格的值", "the workbook has macros: they are not run, "
                          "only cell values are read"))
    if any("externallink" in n for n in names):
        notes.append(Text("文件含外部链接：按保存时的值读取，不会访问链接",
                          "the workbook has external links: their saved values are read, nothing is fetched"))
    return tuple(notes)


def _workbook(data: bytes, sheet_name: str | None) -> RawSheet:
    from python_calamine import CalamineWorkbook

    notes = _zip_notes(data)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any parse failure is "not a workbook we can read"
        raise SheetError(f"无法读取这个 Excel 文件：{exc}", f"cannot read this Excel file: {exc}") from None
    visible = [m.name for m in book.sheets_metadata if str(m.visible).endswith("Visible") and "WorkSheet" in str(m.typ)]
    names = visible or list(book.sheet_names)
    if sheet_name and sheet_name in book.sheet_names:
        chosen = [sheet_name]
    else:
        chosen = names
    for name in chosen:  # the first sheet with data, unless one is named
        sheet = book.get_sheet_by_name(name)
        if sheet.height > MAX_ROWS + 100:
            raise _too_many_rows(sheet.height)
        if sheet.width > MAX_COLUMNS:
            raise SheetError(f"最多 {MAX_COLUMNS} 列（本表 {sheet.width} 列）",
                             f"at most {MAX_COLUMNS} columns (this sheet has {sheet.width})")
        rows = sheet.to_python(skip_empty_area=False)
        if any(any(v not in (None, "") for v in r) for r in rows):
            merged = tuple(sheet.merged_cell_ranges or ())
            return RawSheet(name, [list(r) for r in rows], merged, notes, tuple(names))
    raise SheetError("文件是空的：没有找到任何数据", "the file is empty: no data was found")


def _text_table(data: bytes, filename: str) -> RawSheet:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any byte string
        raise SheetError("无法识别文件编码：请另存为 UTF-8 的 CSV",
                         "cannot tell the file's encoding: save it as UTF-8 CSV")
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else (";" if sample.count(";") > sample.count(",")
                                                                      else ",")
    rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    if len(rows) > MAX_ROWS + 100:
        raise _too_many_rows(len(rows))
    if not any(any(v.strip() for v in r) for r in rows):
        raise SheetError("文件是空的：没有找到任何数据", "the file is empty: no data was found")
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV"
    return RawSheet(stem, rows, sheets=(stem,))


def read_sheet(data: bytes, filename: str, sheet: str | None = None) -> RawSheet:
    """The cells of one sheet of an uploaded file (the first with data unless ``sheet`` names one)."""
    check_size(len(data))
    name = filename.lower()
    if name.endswith(TEXTS):
        return _text_table(data, filename)
    if name.endswith(WORKBOOKS):
        return _workbook(data, sheet)
    raise SheetError("请上传 Excel（.xlsx、.xls）或 CSV 文件", "upload an Excel (.xlsx, .xls) or CSV file")
