"""Records: the one write path (validation, computed fields, naming, locking, audit, outbox)."""

from sunmao.records.service import SYSTEM, Actor, RecordService

__all__ = ["SYSTEM", "Actor", "RecordService"]
