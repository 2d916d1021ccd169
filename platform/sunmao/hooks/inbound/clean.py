"""Cleaning: the small text fixes every channel needs, and the keys customers are matched by.

Values are cleaned before they are stored (``CLEANERS``: trim, phone, e-mail, company name
with full-width characters made half-width). Matching keys (``match_key``) go further —
lower case, no punctuation, no legal-form suffix such as 有限公司 or "Co., Ltd." — and are
used only to compare, never stored: "宁波鑫达五金制品有限公司" and "宁波鑫达五金制品" are
the same buyer, but the record keeps the full registered name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from sunmao.rules.ops_custom import op_normalize_phone

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[\s.,，。·・'\"“”‘’()（）\[\]【】&＆/\\_-]+")

#: Legal-form suffixes stripped for matching, longest first (after NFKC and lower-casing).
COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "有限会社", "株式会社", "公司",
    "company limited", "co., ltd.", "co.,ltd.", "co., ltd", "co.,ltd", "co. ltd.", "co ltd", "co. ltd",
    "corporation", "limited", "ltd.", "ltd", "inc.", "inc", "llc", "gmbh", "corp.", "corp", "co.", "co",
)


def trim(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def half_width(text: str) -> str:
    """Full-width letters, digits, punctuation and the ideographic space to their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def clean_phone(value: Any) -> Any:
    if not isinstance(value, str | int):
        return value
    text = half_width(str(value)).strip()
    return op_normalize_phone(text) if text else None


def clean_email(value: Any) -> Any:
    return half_width(value).strip().lower() or None if isinstance(value, str) else value


def clean_company(value: Any) -> Any:
    """The stored form of a company name: half-width characters, single spaces, trimmed."""
    if not isinstance(value, str):
        return value
    return _SPACES.sub(" ", half_width(value)).strip() or None


def clean_tax_id(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return re.sub(r"[\s-]", "", half_width(value)).upper() or None


CLEANERS: dict[str, Callable[[Any], Any]] = {
    "trim": trim,
    "phone": clean_phone,
    "email": clean_email,
    "company": clean_company,
    "tax_id": clean_tax_id,
    "upper": lambda v: v.upper() if isinstance(v, str) else v,
    "lower": lambda v: v.lower() if isinstance(v, str) else v,
}


def company_key(name: str) -> str:
    """A company name reduced to what identifies it: no legal form, case, spaces or punctuation."""
    text = _SPACES.sub(" ", half_width(name)).strip().lower()
    changed = True
    while changed and text:
        changed = False
        for suffix in COMPANY_SUFFIXES:
            if not text.endswith(suffix) or len(text) <= len(suffix):
                continue
            before = text[-len(suffix) - 1]
            if suffix.isascii() and before not in " ,.":
                continue  # a Latin suffix must be a word of its own: "Tesco" keeps its "co"
            text = text[: -len(suffix)].rstrip(" ,.")
            changed = True
            break
    return _PUNCT.sub("", text)


#: How each kind of matching key is computed from a cleaned value.
MATCH_KEYS: dict[str, Callable[[str], str | None]] = {
    "phone": lambda v: clean_phone(v) or None,
    "email": lambda v: clean_email(v) or None,
    "tax_id": lambda v: clean_tax_id(v) or None,
    "company": lambda v: company_key(v) or None,
    "exact": lambda v: v.strip() or None,
}


def match_key(kind: str, value: Any) -> str | None:
    """The comparison key of ``value`` for a match rule of this kind (None when blank)."""
    if value is None or value == "":
        return None
    return MATCH_KEYS[kind](str(value))
