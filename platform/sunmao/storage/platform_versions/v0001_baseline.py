"""Baseline: the platform tables as releases made them before revisions were kept.

A database from such a release has no version row; it is stamped at this revision, then upgraded."""

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Nothing: the tables exist (made by ``create_all``)."""
