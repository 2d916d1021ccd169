"""Reading an uploaded spreadsheet: .xlsx (openpyxl, read-only) or .csv (UTF-8, GBK as fallback).

The first non-empty row is the header. Values keep their spreadsheet types (numbers, dates)
so that conversion can be exact; empty trailing rows are dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

MAX_ROWS = 5000
MAX_COLUMNS = 100


class SheetError(ValueError):
    """The file cannot be read as a table (wrong format, empty, too large)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[list[Any]]


def _trim(rows: list[list[Any]]) -> Sheet:
    rows = [r for r in rows if any(v not in (None, "") for v in r)]
    if not rows:
        raise SheetError("文件是空的：第一行应为列名", "the file is empty: the first row must hold column names")
    headers = [str(h).strip() if h is not None else "" for h in rows[0]][:MAX_COLUMNS]
    while headers and not headers[-1]:
        headers.pop()
    body = [list(r[:len(headers)]) + [None] * (len(headers) - len(r)) for r in rows[1:]]
    if len(body) > MAX_ROWS:
        raise SheetError(f"一次最多导入 {MAX_ROWS} 行（本文件 {len(body)} 行）；请拆分文件",
                         f"at most {MAX_ROWS} rows per import (this file has {len(body)}); split the file")
    return Sheet(headers, body)


def read_sheet(data: bytes, filename: str) -> Sheet:
    name = filename.lower()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise SheetError("无法识别文件编码", "cannot tell the file's text encoding")
        return _trim([list(r) for r in csv.reader(io.StringIO(text))])
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any parse failure is "not a valid xlsx"
            raise SheetError(f"不是有效的 Excel 文件：{exc}", f"not a valid Excel file: {exc}") from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True, max_row=MAX_ROWS + 50)]
        wb.close()
        return _trim(rows)
    raise SheetError("请上传 .xlsx 或 .csv 文件", "upload an .xlsx or .csv file")
