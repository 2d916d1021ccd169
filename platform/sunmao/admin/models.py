"""Imperative ORM mappings of the platform tables the back office edits or shows."""

from __future__ import annotations

from sqlalchemy.orm import registry

from sunmao import org
from sunmao.hooks.inbound.tables import inbound
from sunmao.hooks.outbound.tables import delivery
from sunmao.jobs.tables import job_run
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


class Department:
    def __str__(self) -> str:
        return str(getattr(self, "name", ""))


class Delivery:
    pass


class JobRun:
    pass


class InboundDelivery:
    pass


mapper_registry.map_imperatively(User, sm.user)
mapper_registry.map_imperatively(Token, sm.token)
mapper_registry.map_imperatively(AuditEntry, sm.audit)
mapper_registry.map_imperatively(Revision, sm.revision)


# Tables that features add to the platform metadata.
mapper_registry.map_imperatively(Department, org.department)
mapper_registry.map_imperatively(Delivery, delivery)
mapper_registry.map_imperatively(JobRun, job_run)
mapper_registry.map_imperatively(InboundDelivery, inbound)
