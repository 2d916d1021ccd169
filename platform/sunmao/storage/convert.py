"""Value conversion for field type changes.

A type change is allowed only when every stored value converts; each field type says exactly
why one does not (``FieldType.convert``), so the migration can list the offending rows instead
of corrupting them.
"""

from __future__ import annotations

from typing import Any

from sunmao.fields import ConversionError, stored_type
from sunmao.meta.model import Field

__all__ = ["ConversionError", "convert"]


def convert(value: Any, field: Field) -> Any:
    """Convert a stored value to what ``field`` stores; raise ConversionError with the reason."""
    return stored_type(field).convert(value, field)
