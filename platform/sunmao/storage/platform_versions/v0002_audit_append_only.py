"""The audit trail becomes append-only in the database itself: triggers refuse UPDATE, DELETE and
(PostgreSQL) TRUNCATE of ``sm_audit``."""

from alembic import op

from sunmao.storage.system import append_only

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    append_only(op.get_bind(), "sm_audit")
