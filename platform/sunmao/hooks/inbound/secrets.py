"""Channel secrets: referenced by name in metadata, stored encrypted, rotatable.

A channel document never holds a secret; it names one (``"secrets": ["web_shop_webhook"]``).
The values live in the platform's secret store (:mod:`sunmao.jobs.secrets`: Fernet-encrypted
``sm_secret`` rows, set with ``sunmao secret set NAME``). What a channel needs from a store is
the :class:`SecretStore` protocol; two ways to rotate, both without downtime:

* one name, two values: setting a new value keeps the old one as ``previous`` (still
  accepted) until ``sunmao secret retire NAME``, once the provider signs with the new one;
* two names in the document (``["shop_hook", "shop_hook_next"]``): either is accepted.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import sqlalchemy as sa

from sunmao.jobs import secrets as platform_secrets
from sunmao.storage import Database


@runtime_checkable
class SecretStore(Protocol):
    """What channels need: a secret's value by name (None when it is not set)."""

    def get(self, name: str) -> str | None: ...


def accepted_values(store: SecretStore, names: list[str] | tuple[str, ...]) -> list[str]:
    """Every value accepted for these names: current values first, then those being rotated out."""
    accepted = getattr(store, "accepted", None)
    if callable(accepted):  # the platform store answers in one read
        return accepted(names)
    values = [value for value in (store.get(name) for name in names) if value]
    previous = getattr(store, "previous", None)
    if callable(previous):
        for name in names:
            old = previous(name)
            if old and old not in values:
                values.append(old)
    return values


class InTransaction:
    """The platform store reading in a caller's transaction: a delivery's secrets are read on the
    connection that writes it, not on one of their own."""

    def __init__(self, store: platform_secrets.SecretStore, conn: sa.Connection):
        self.store, self.conn = store, conn

    def get(self, name: str) -> str | None:
        values = self.store.accepted([name], self.conn)
        return values[0] if values else None

    def accepted(self, names: list[str] | tuple[str, ...]) -> list[str]:
        return self.store.accepted(names, self.conn)


def bound(store: SecretStore, conn: sa.Connection) -> SecretStore:
    """``store`` reading in ``conn``'s transaction, when it is the platform store."""
    return InTransaction(store, conn) if isinstance(store, platform_secrets.SecretStore) else store


def secret_store(db: Database) -> SecretStore:
    """The installation's secret store (shared with outbound webhooks and jobs)."""
    return platform_secrets.secret_store(db)


def set_secret(db: Database, name: str, value: str, *, keep_previous: bool = True) -> None:
    """Store a channel secret; the previous value stays accepted unless ``keep_previous`` is False."""
    platform_secrets.secret_store(db).set(name, value, keep_previous=keep_previous)
