"""The search key: a hidden string field (``search_key`` in the entity document) that the record
service fills on every write with the pinyin of the entity's own text search fields — full
spelling and initials, lower case (宁波精工实业 → ``ningbojinggongshiye nbjgsy``).

Stored, so ``q=`` finds a record by ``nbjg`` or ``ningbo`` through the same ILIKE the other search
fields use (a trigram index on PostgreSQL) instead of computing pinyin per row at query time.
Other text (Latin letters, digits) is kept as it is, lower case."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin

from sunmao.meta.model import Entity

TEXT_TYPES = ("string", "text", "phone")


def sources(entity: Entity) -> tuple[str, ...]:
    """The fields the key is made of: the entity's own textual search fields, the key excluded."""
    by_key = entity.by_key
    return tuple(k for k in entity.search_fields
                 if k in by_key and k != entity.search_key and by_key[k].type in TEXT_TYPES)


@lru_cache(maxsize=4096)
def spell(text: str) -> str:
    """``"宁波精工"`` → ``"ningbojinggong nbjg"``; text without Chinese characters → empty."""
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return ""
    full = _letters(lazy_pinyin(text))
    initials = _letters(lazy_pinyin(text, style=Style.FIRST_LETTER))
    return f"{full} {initials}"


def _letters(parts: list[str]) -> str:
    """Syllables and the Latin letters and digits between them, lower case, nothing else."""
    return "".join(ch for ch in "".join(parts).lower() if ch.isascii() and ch.isalnum())


def fill(entity: Entity, record: dict[str, Any]) -> None:
    """Set the record's search key from its current values (no-op for an entity without one)."""
    if not entity.search_key:
        return
    record[entity.search_key] = key_of(entity, record)


def key_of(entity: Entity, record: Mapping[str, Any]) -> str | None:
    parts = [spell(str(record[k])) for k in sources(entity) if record.get(k)]
    key = " ".join(p for p in parts if p)
    limit = entity.by_key[entity.search_key or ""].string_length
    return key[:limit] or None
