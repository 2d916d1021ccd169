"""Bilingual text: every user-facing string in Sunmao exists in zh-CN and English.

Metadata carries ``{"zh": ..., "en": ...}`` objects; engine messages are built as
``Text`` values so that one error can be shown in the language of whoever reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@dataclass(frozen=True, slots=True)
class Text:
    """A message in both languages."""

    zh: str
    en: str

    def get(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return self.en if lang == "en" else self.zh

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    def __str__(self) -> str:
        return self.en

    @classmethod
    def of(cls, value: Any) -> Text:
        """Build from a metadata ``{"zh", "en"}`` object, a Text, or a plain string."""
        if isinstance(value, Text):
            return value
        if isinstance(value, dict):
            return cls(zh=value.get("zh") or value.get("en", ""), en=value.get("en") or value.get("zh", ""))
        return cls(zh=str(value), en=str(value))


def pick_language(accept: str | None) -> str:
    """Choose zh or en from an Accept-Language header or a user setting (zh by default)."""
    if not accept:
        return DEFAULT_LANGUAGE
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in accept.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower()[:2]
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best
