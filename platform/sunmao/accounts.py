"""Users, passwords and API tokens.

Passwords are hashed with argon2id; API tokens are random (``smt_`` + 32 bytes), shown once
and stored only as their SHA-256, so a leaked database does not leak working tokens.
Repeated failed logins lock an account for a while.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sunmao.records import Actor
from sunmao.storage import Database
from sunmao.storage import system as sm

TOKEN_PREFIX = "smt_"  # noqa: S105 - a visible prefix, not a secret
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
# The argon2 defaults (RFC 9106 low-memory profile) cost ~0.3 s per hash here, as they should in
# production. Test suites create many users: SUNMAO_FAST_HASHES=1 selects cheap parameters.
@cache
def _hasher() -> PasswordHasher:
    if os.environ.get("SUNMAO_FAST_HASHES") == "1":
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    language: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(id=self.id, username=self.username, roles=self.roles)


class LoginFailed(Exception):
    def __init__(self, locked_until: datetime | None = None):
        self.locked_until = locked_until
        super().__init__("invalid username or password" if locked_until is None else "account locked")


def _user(row: sa.RowMapping) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"] or row["username"],
                roles=frozenset(row["roles"] or ()), language=row["language"])


def create_user(db: Database, username: str, password: str, roles: list[str], *,
                display_name: str | None = None) -> User:
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    with db.write() as conn:
        user_id = conn.execute(sm.user.insert().values(
            username=username, display_name=display_name or username, password_hash=_hasher().hash(password),
            roles=sorted(set(roles)), active=True, failed_logins=0, created_at=datetime.now(UTC),
        )).inserted_primary_key[0]
    return User(user_id, username, display_name or username, frozenset(roles))


def get_user(db: Database, user_id: int) -> User | None:
    with db.read() as conn:
        row = conn.execute(sa.select(sm.user).where(sm.user.c.id == user_id, sm.user.c.active.is_(True))
                           ).mappings().first()
    return _user(row) if row else None


def authenticate(db: Database, username: str, password: str) -> User:
    """Check a password; count failures and lock the account after too many."""
    now = datetime.now(UTC)
    failure: LoginFailed | None = None
    with db.write() as conn:
        row = conn.execute(sa.select(sm.user).where(sm.user.c.username == username)).mappings().first()
        if row is None or not row["active"]:
            _hasher().hash(password)  # same work either way: no user enumeration by timing
            failure = LoginFailed()
        elif row["locked_until"] and row["locked_until"] > now:
            failure = LoginFailed(row["locked_until"])
        else:
            try:
                _hasher().verify(row["password_hash"] or "", password)
                conn.execute(sm.user.update().where(sm.user.c.id == row["id"])
                             .values(failed_logins=0, locked_until=None))
            except (VerificationError, InvalidHashError):
                failures = row["failed_logins"] + 1
                locked = now + LOCKOUT if failures >= MAX_FAILED_LOGINS else None
                conn.execute(sm.user.update().where(sm.user.c.id == row["id"]).values(
                    failed_logins=0 if locked else failures, locked_until=locked))
                failure = LoginFailed(locked)
    if failure is not None:
        raise failure
    assert row is not None
    return _user(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, username: str, name: str) -> str:
    """Create an API token for a user; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.write() as conn:
        user_id = conn.execute(sa.select(sm.user.c.id).where(sm.user.c.username == username)).scalar()
        if user_id is None:
            raise LookupError(f"no user named {username!r}")
        conn.execute(sm.token.insert().values(user_id=user_id, name=name, token_hash=_digest(token),
                                              created_at=datetime.now(UTC), revoked=False))
    return token


def user_for_token(db: Database, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    with db.read() as conn:
        row = conn.execute(
            sa.select(sm.user).join(sm.token, sm.token.c.user_id == sm.user.c.id)
            .where(sm.token.c.token_hash == _digest(token), sm.token.c.revoked.is_(False),
                   sm.user.c.active.is_(True))
        ).mappings().first()
    return _user(row) if row else None


def secret_key(db: Database) -> str:
    """The session signing key shared by every process (made once, kept in the database)."""
    with db.write() as conn:
        value = conn.execute(sa.select(sm.setting.c.value).where(sm.setting.c.key == "secret_key")).scalar()
        if value is None:
            value = secrets.token_urlsafe(48)
            conn.execute(sm.setting.insert().values(key="secret_key", value=value))
    return value
