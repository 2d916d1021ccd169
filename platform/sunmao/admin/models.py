"""Imperative ORM mappings of the platform tables the back office edits or shows."""

from __future__ import annotations

from sqlalchemy.orm import registry

from sunmao.storage import system as sm

mapper_registry = registry()


class User:
    def __str__(self) -> str:
        return str(getattr(self, "username", ""))


class Token:
    def __str__(self) -> str:
        return str(getattr(self, "name", ""))


class AuditEntry:
    pass


class Revision:
    pass


mapper_registry.map_imperatively(User, sm.user)
mapper_registry.map_imperatively(Token, sm.token)
mapper_registry.map_imperatively(AuditEntry, sm.audit)
mapper_registry.map_imperatively(Revision, sm.revision)
