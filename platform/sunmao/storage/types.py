"""Column types that behave the same on SQLite and PostgreSQL (owned by the field types,
``sunmao.fields.columns``; the platform tables use them too)."""

from sunmao.fields.columns import IdType, JSONType, Money, UTCDateTime

__all__ = ["IdType", "JSONType", "Money", "UTCDateTime"]
