"""Reading what people make: cells, header rows, totals and notes, limits, macros and encodings."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from typing import Any

import pytest

from sunmao.imports import reader
from sunmao.imports.cells import chinese_number, clean_phone, to_date, to_decimal
from sunmao.imports.layout import column_letter, locate
from sunmao.imports.reader import SheetError, read_sheet
from tests.imports.conftest import workbook


@pytest.mark.parametrize(("text", "number"), [
    ("一千", 1000), ("一千二百", 1200), ("一千零五", 1005), ("壹仟贰佰元整", 1200), ("十二", 12), ("二十一", 21),
    ("一万零三", 10003), ("三百零五", 305), ("一千五", None), ("两万三", None), ("一二", None), ("约一千", None),
])
def test_chinese_numerals_only_when_they_have_one_reading(text: str, number: int | None) -> None:
    assert chinese_number(text) == number


def test_numbers_dates_and_phones_as_typed() -> None:
    today = date(2026, 12, 7)
    assert [to_decimal(v) for v in ("1,000", "１，２００．５", "¥2.00", "RMB 3.5", 1.5, 7, "12%")] == [
        1000, to_decimal("1200.5"), to_decimal("2.00"), to_decimal("3.5"), to_decimal("1.5"), 7, None]
    assert [to_date(v, today) for v in (46376, "2026/12/20", "2026年12月20日", "12月20日", "2026.12.20", "20261220",
                                        "2026-12-20")] == [date(2026, 12, 20)] * 7
    assert to_date(120, today) is None and to_date("下周五", today) is None and to_date("2026-02-30", today) is None
    spellings = [13812345678.0, "138 1234 5678", "+86 138-1234-5678", "（+86）138 1234 5678", "0086 13812345678"]
    assert {clean_phone(p) for p in spellings} == {"13812345678"}
    assert {clean_phone(p) for p in ("0574-63821234", "(0574) 6382 1234", "+86 574 6382 1234")} == {"057463821234"}
    assert [column_letter(i) for i in (0, 25, 26, 701)] == ["A", "Z", "AA", "ZZ"]


def test_the_header_is_found_below_titles_and_totals_and_notes_are_skipped() -> None:
    def build(ws: Any) -> None:
        ws.append(["华东区 2026 年客户订货汇总"])
        ws.merge_cells("A1:D1")
        ws.append(["制表日期：2026-12-07"])
        ws.append([])
        ws.append(["客户", "产品", "数量", "单价"])
        ws.append(["甲", "螺栓", 10, 1.0])
        ws.append([None, None, None, None])
        ws.append(["乙", "螺母", 20, 2.0])
        ws.append(["客户", "产品", "数量", "单价"])
        ws.append(["丙", "合页", 5, 3.0])
        ws.append(["小计", None, "=SUM(C5:C9)", None])
        ws.append(["合计：", None, 35, None])
        ws.append([])
        ws.append(["注：以上价格含税"])
        ws.append(["审核：周经理"])

    table = locate(read_sheet(workbook(build), "汇总.xlsx"))
    assert table.header_row == 4 and table.headers == ["客户", "产品", "数量", "单价"]
    assert [r.number for r in table.rows] == [5, 7, 9]
    assert [(n, r.en) for n, r in table.skipped] == [
        (8, "the header repeated, skipped"), (10, "a totals row, skipped"), (11, "a totals row, skipped"),
        (13, "a note below the table, skipped"), (14, "a note below the table, skipped")]


def test_a_name_that_begins_like_a_total_is_data() -> None:
    def build(ws: Any) -> None:
        ws.append(["客户名称", "数量"])
        ws.append(["总计划五金厂", 3])
        ws.append(["合计", 3])

    table = locate(read_sheet(workbook(build), "x.xlsx"))
    assert [r.cells[0] for r in table.rows] == ["总计划五金厂"]


def test_limits_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 1000)
    with pytest.raises(SheetError) as too_big:
        read_sheet(b"x" * 2000, "a.csv")
    assert "文件不能超过" in too_big.value.zh
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 20 * 1024 * 1024)
    monkeypatch.setattr(reader, "MAX_ROWS", 10)
    with pytest.raises(SheetError) as too_long:
        read_sheet(("a,b\n" + "1,2\n" * 200).encode(), "a.csv")
    assert "一次最多导入 10 行" in too_long.value.zh and "split the file" in too_long.value.en
    with pytest.raises(SheetError) as wrong:
        read_sheet(b"%PDF-1.4", "a.pdf")
    assert ".xlsx" in wrong.value.zh
    with pytest.raises(SheetError):
        read_sheet(b"not a zip at all", "a.xlsx")


def test_macros_and_external_links_are_read_as_data() -> None:
    data = workbook(lambda ws: (ws.append(["客户名称", "数量"]), ws.append(["甲", 1])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/vbaProject.bin", b'Attribute VB_Name = "Module1"\nSub AutoOpen()\nShell "calc"\nEnd Sub')
        target.writestr("xl/externalLinks/externalLink1.xml", "<externalLink/>")
    sheet = read_sheet(buffer.getvalue(), "宏.xlsm")
    assert sheet.rows[1] == ["甲", 1.0]
    assert [n.en.split(":")[0] for n in sheet.notes] == ["the workbook has macros", "the workbook has external links"]


def test_csv_in_gb18030_with_tabs() -> None:
    sheet = read_sheet("客户名称\t数量\n宁波鑫达\t3\n".encode("gb18030"), "导出.txt")
    assert sheet.rows == [["客户名称", "数量"], ["宁波鑫达", "3"]]
