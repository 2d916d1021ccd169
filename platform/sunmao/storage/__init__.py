"""Storage: database connections, the platform's own tables, entity tables and live migrations."""

from sunmao.storage.db import Database

__all__ = ["Database"]
