"""Bilingual messages for field validation (they live with the field types, ``sunmao.fields.messages``)."""

from sunmao.fields.messages import CATALOG, LocalMessage, codes, out_of_range, translate

__all__ = ["CATALOG", "LocalMessage", "codes", "out_of_range", "translate"]
