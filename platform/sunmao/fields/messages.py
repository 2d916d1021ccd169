"""Bilingual messages for field validation.

marshmallow's built-in errors are configured with message *codes* (below); the codes are
translated here, so every field error exists in zh-CN and English.
"""

from __future__ import annotations

from sunmao.i18n import Text

CATALOG: dict[str, Text] = {
    "required": Text("此字段必填", "This field is required."),
    "null": Text("此字段不能为空", "This field may not be empty."),
    "unknown": Text("未知字段", "Unknown field."),
    "Unknown field.": Text("未知字段", "Unknown field."),
    "read_only": Text("此字段只读，不能写入", "This field is read-only."),
    "role_read_only": Text("你的角色不能修改此字段", "your role may not change this field"),
    "invalid_string": Text("应为文本", "Not a valid text."),
    "invalid_integer": Text("应为整数", "Not a valid whole number."),
    "invalid_decimal": Text("应为数字", "Not a valid number."),
    "invalid_boolean": Text("应为是/否", "Not a valid yes/no value."),
    "invalid_date": Text("应为日期，格式 YYYY-MM-DD", "Not a valid date; use YYYY-MM-DD."),
    "invalid_datetime": Text("应为日期时间，格式 YYYY-MM-DDTHH:MM:SS+08:00",
                             "Not a valid date and time; use YYYY-MM-DDTHH:MM:SS+08:00."),
    "invalid_list": Text("应为列表", "Not a valid list."),
    "invalid_object": Text("应为对象", "Not a valid object."),
    "invalid_rows": Text("应为明细行列表", "Not a valid list of rows."),
    "too_large": Text("数值过大", "The number is too large."),
    "special": Text("不支持 NaN 或无穷大", "NaN and infinity are not allowed."),
    "invalid_json": Text("JSON 内容无效或过大", "Not valid JSON, or too large."),
}


def out_of_range(low: object, high: object) -> Text:
    """A number beyond what it may be (a column's range, an id), with the range it must be in."""
    return Text(f"超出范围：应在 {low} 到 {high} 之间", f"Out of range: must be between {low} and {high}.")


class LocalMessage(str):
    """A validation message that marshmallow passes through untouched, carrying both languages."""

    zh: str

    def __new__(cls, text: Text) -> LocalMessage:
        obj = super().__new__(cls, text.en)
        obj.zh = text.zh
        return obj

    @property
    def text(self) -> Text:
        return Text(self.zh, str(self))


def translate(message: object) -> Text:
    if isinstance(message, LocalMessage):
        return message.text
    if isinstance(message, Text):
        return message
    return CATALOG.get(str(message), Text.of(str(message)))


def codes(invalid: str) -> dict[str, str]:
    """marshmallow ``error_messages`` that emit our codes."""
    return {"invalid": invalid, "required": "required", "null": "null", "too_large": "too_large",
            "special": "special", "format": invalid, "type": "invalid_rows"}
