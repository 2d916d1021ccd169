"""The platform's secret store: values that metadata names but never contains.

A webhook or channel document says ``"secret": "wecom_sales_robot"``; the value lives in
``sm_secret``, encrypted with Fernet (AES-128-CBC + HMAC-SHA256), and is set with
``sunmao secret set NAME`` (the value is read from standard input or a hidden prompt, so it
never appears in the shell history). Documents can then be exported, diffed and shared
without leaking anything.

The encryption key is never in the database it protects: ``SUNMAO_SECRET_KEY`` (a Fernet key;
several separated by commas while rotating the key — the first encrypts, all decrypt), else the
file ``SUNMAO_SECRET_KEY_FILE`` (default ``instance/secret.key``), generated with mode 0600 on
first use. Back that file up with the database: without it the secrets cannot be read.

Rotating a secret value without downtime: ``set`` keeps the old value as ``previous`` (inbound
channels accept both) until ``retire`` drops it.
"""

from __future__ import annotations

import base64
import os
import re
import secrets as pysecrets
import weakref
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sunmao.jobs.tables import secret as secret_table
from sunmao.storage import Database, Prepared

DEFAULT_KEY_FILE = "instance/secret.key"
_BY_NAME = sa.select(secret_table).where(secret_table.c.name == sa.bindparam("name"))
_BY_NAMES = Prepared(sa.select(secret_table.c.name, secret_table.c.current, secret_table.c.previous)
                     .where(secret_table.c.name.in_(sa.bindparam("names", expanding=True))))
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class MissingSecret(LookupError):
    """A document names a secret that is not set; the message says how to set it."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"secret {name!r} is not set; set it with `sunmao secret set {name}`")


class SecretKeyError(RuntimeError):
    """The encryption key is missing or is not the one the secrets were stored with."""


def _load_keys() -> MultiFernet:
    env = os.environ.get("SUNMAO_SECRET_KEY", "").strip()
    if env:
        raw = [k.strip() for k in env.split(",") if k.strip()]
    else:
        path = Path(os.environ.get("SUNMAO_SECRET_KEY_FILE") or DEFAULT_KEY_FILE)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process created it a moment ago
            else:
                with os.fdopen(fd, "wb") as out:
                    out.write(Fernet.generate_key() + b"\n")
        raw = [line.strip() for line in path.read_text(encoding="ascii").splitlines() if line.strip()]
    try:
        return MultiFernet([Fernet(k) for k in raw])
    except (ValueError, TypeError) as exc:
        raise SecretKeyError(
            f"the secret key is not a valid Fernet key ({exc}); generate one with `python -c 'from "
            "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`") from None


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise ValueError(f"secret name {name!r}: use lower-case letters, digits and underscores, "
                         "starting with a letter")
    return name


class SecretStore:
    """Encrypted secrets in ``sm_secret``; values are never logged or returned by listings."""

    def __init__(self, db: Database):
        self.db = db
        self._fernet = _load_keys()
        #: Decrypted values by their stored token. Every use still reads the row, so a value set or
        #: retired by another process counts at once; only the decryption (~0.1 ms) is saved.
        self._plain: dict[str, str] = {}

    def _row(self, name: str) -> sa.RowMapping | None:
        with self.db.read() as conn:
            return conn.execute(_BY_NAME, {"name": name}).mappings().first()

    def _decrypt(self, name: str, token: str | None) -> str | None:
        if token is None:
            return None
        plain = self._plain.get(token)
        if plain is not None:
            return plain
        try:
            plain = self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise SecretKeyError(f"secret {name!r} cannot be decrypted: SUNMAO_SECRET_KEY (or instance/secret.key) "
                                 "is not the key it was stored with") from None
        if len(self._plain) > 256:
            self._plain.clear()
        self._plain[token] = plain
        return plain

    def get(self, name: str) -> str | None:
        """The current value, or None when the secret is not set."""
        row = self._row(name)
        return self._decrypt(name, row["current"]) if row else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise MissingSecret(name)
        return value

    def accepted(self, names: list[str] | tuple[str, ...], conn: sa.Connection | None = None) -> list[str]:
        """Every value accepted for these names, in one read (in ``conn``'s transaction when given):
        current values in the order of ``names``, then the values being rotated out."""
        if conn is None:
            with self.db.read() as own:
                return self.accepted(names, own)
        rows = {r["name"]: r for r in _BY_NAMES.execute(conn, {"names": list(names)}).mappings()}
        values: list[str] = []
        for column in ("current", "previous"):
            for name in names:
                row = rows.get(name)
                value = self._decrypt(name, row[column]) if row else None
                if value and value not in values:
                    values.append(value)
        return values

    def previous(self, name: str) -> str | None:
        """The value being rotated out (still accepted by inbound channels until :meth:`retire`)."""
        row = self._row(name)
        return self._decrypt(name, row["previous"]) if row else None

    def set(self, name: str, value: str, *, keep_previous: bool = True, by: str | None = None) -> None:
        check_name(name)
        if not value:
            raise ValueError("a secret cannot be empty")
        token = self._fernet.encrypt(value.encode()).decode()
        now = datetime.now(UTC)
        with self.db.write() as conn:
            row = conn.execute(sa.select(secret_table).where(secret_table.c.name == name)).mappings().first()
            if row is None:
                conn.execute(secret_table.insert().values(name=name, current=token, previous=None, updated_at=now,
                                                          updated_by=by))
            else:
                conn.execute(secret_table.update().where(secret_table.c.name == name).values(
                    current=token, previous=row["current"] if keep_previous else None, updated_at=now,
                    updated_by=by))

    def retire(self, name: str) -> None:
        """End a rotation: only the current value is accepted from now on."""
        with self.db.write() as conn:
            conn.execute(secret_table.update().where(secret_table.c.name == name)
                         .values(previous=None, updated_at=datetime.now(UTC)))

    def delete(self, name: str) -> bool:
        with self.db.write() as conn:
            return conn.execute(secret_table.delete().where(secret_table.c.name == name)).rowcount > 0

    def names(self) -> list[str]:
        with self.db.read() as conn:
            return list(conn.execute(sa.select(secret_table.c.name).order_by(secret_table.c.name)).scalars())


_stores: weakref.WeakKeyDictionary[Database, SecretStore] = weakref.WeakKeyDictionary()


def secret_store(db: Database) -> SecretStore:
    """The secret store of this installation (inbound channels and outbound webhooks share it):
    one per database, so its keys are loaded once and decrypted values reused."""
    store = _stores.get(db)
    if store is None:
        store = _stores[db] = SecretStore(db)
    return store


def generate_webhook_secret() -> str:
    """A new Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(pysecrets.token_bytes(32)).decode()
