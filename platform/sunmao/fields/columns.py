"""Column types that behave the same on SQLite and PostgreSQL, and the text of JSON columns.

The field types pick their columns from here; the platform's own tables use them too.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

#: What a BIGINT column holds (ids, links, integer fields) on PostgreSQL and SQLite alike.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DEFAULT_DECIMAL_PRECISION = 18


def decimal_largest(precision: int | None, scale: int | None) -> Decimal:
    """The largest value a NUMERIC(precision, scale) column holds: 9999.99 for (6, 2)."""
    digits, places = (precision or DEFAULT_DECIMAL_PRECISION), (scale or 0)
    return Decimal("9" * (digits - places) + ("." + "9" * places if places else "") or "0")


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored as UTC (timestamptz on PostgreSQL, ISO text on SQLite)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Sunmao stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    # SQLite: one step each way instead of this decorator's plus SQLAlchemy's text processing (it
    # runs for every timestamp of every write); the text is SQLAlchemy's own storage format.
    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given; Sunmao stores timezone-aware datetimes only")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        fallback = super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(value).replace(tzinfo=UTC)
                except ValueError:
                    pass
            return fallback(value) if fallback is not None else value
        return process


class Money(TypeDecorator):
    """Exact decimals: NUMERIC on PostgreSQL; on SQLite a REAL read back through ``quantize``.

    SQLite has no decimal type. A REAL holds 15 significant digits exactly, which covers
    amounts up to 10^13 at two places; the value is re-quantised to the field's scale on the
    way out, so what the API returns is the Decimal that was written. Comparisons and sorting
    stay numeric in SQL, which text storage would break.
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int = 18, scale: int = 2):
        super().__init__(precision=precision, scale=scale, asdecimal=False)
        self.scale = scale

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        return float(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-self.scale))

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: Any) -> float | None:
            return None if value is None else float(Decimal(value) if isinstance(value, str) else value)
        return process


def _json_default(value: object) -> object:
    # JSON fields hold free-form data: an API number arrives as Decimal and is a JSON number again.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be stored in a JSON column")


#: Keys other than strings as ``json`` writes them; dates and dataclasses through ``_json_default``
#: like ``json`` (the same text and the same refusals).
_ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_serializer(value: object) -> str:
    """JSON columns' text: orjson (several times faster for the audit diffs and event payloads of
    every write), compact, non-ASCII kept. What orjson refuses (integers beyond 64 bits, unknown
    types) goes to the standard library, which serialises big integers and words the errors. A
    float NaN becomes null (the standard library would write ``NaN``, which is not JSON)."""
    try:
        return orjson.dumps(value, default=_json_default, option=_ORJSON).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, ensure_ascii=False, default=_json_default)
