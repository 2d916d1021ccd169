"""The compiled form of a channel document: everything a delivery needs, checked once.

Built by :mod:`.compiler` when metadata is published and kept in
``snapshot.features["channels"]`` (a mapping of channel key → :class:`Channel`), so a
request neither parses paths nor compiles rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sunmao.i18n import Text
from sunmao.meta.model import Field
from sunmao.records import Actor

from .paths import MISSING, Step

Rule = Callable[[Any], Any]


@dataclass(frozen=True)
class Lookup:
    entity: str
    by: str
    if_missing: str = "hold"


@dataclass(frozen=True)
class Source:
    """How one target value is obtained; ``where`` is the document path, for messages."""

    where: str
    path: tuple[Step, ...] | None = None
    path_text: str | None = None
    constant: Any = MISSING
    rule: Rule | None = None
    clean: tuple[Callable[[Any], Any], ...] = ()
    mapping: Mapping[str, Any] | None = None
    default: Any = MISSING
    required: bool = False
    factor: Decimal | None = None
    time_zone: ZoneInfo | None = None
    lookup: Lookup | None = None

    @property
    def shown(self) -> str:
        return self.path_text or self.where


@dataclass(frozen=True)
class Target:
    field: Field
    source: Source


@dataclass(frozen=True)
class UnitRule:
    unit: str
    factor: Decimal


@dataclass(frozen=True)
class Units:
    unit_field: str
    qty_field: str
    price_field: str | None
    table: Mapping[str, UnitRule]


@dataclass(frozen=True)
class LinesMap:
    field: str
    entity: str
    path: tuple[Step, ...]
    path_text: str
    targets: tuple[Target, ...]
    units: Units | None = None


@dataclass(frozen=True)
class MatchRule:
    field: str
    kind: str
    certain: bool
    #: A stored, indexed field holding the already-normalised key (``phone_key``): an equality
    #: lookup instead of normalising every row's value in SQL.
    key_field: str | None = None


@dataclass(frozen=True)
class CustomerMap:
    field: str
    entity: str
    targets: tuple[Target, ...]
    match: tuple[MatchRule, ...]
    create: bool = True
    status_field: str | None = None
    review_value: str = "review"
    duplicate_field: str | None = None


@dataclass(frozen=True)
class TimestampCheck:
    header: str
    format: str = "unix"
    tolerance: int = 300


@dataclass(frozen=True)
class Auth:
    type: str
    secrets: tuple[str, ...] = ()
    algorithm: str = "sha256"
    encoding: str = "hex"
    header: str = ""
    prefix: str = ""
    message: str = "{body}"
    timestamp: TimestampCheck | None = None
    scheme: str = "Bearer"
    query: str | None = None
    tolerance: int = 300


@dataclass(frozen=True)
class Ping:
    id: str
    when: Rule
    signed: bool
    status: int
    text: Rule | None
    json: tuple[tuple[str, Rule], ...]


@dataclass(frozen=True)
class Skip:
    id: str
    when: Rule
    reason: Text


@dataclass(frozen=True)
class Duplicates:
    window_hours: float
    other_channels_only: bool
    compare: tuple[str, ...]


@dataclass(frozen=True)
class Merge:
    batch: Source
    field: str
    window_minutes: float


@dataclass(frozen=True)
class Pull:
    base_url: str
    method: str
    http_method: str
    app_key_secret: str
    app_secret: str
    access_token_secret: str | None
    params: Mapping[str, Any]
    items: tuple[Step, ...]
    error: tuple[Step, ...] | None
    page_param: str
    page_size_param: str
    page_size: int
    first_page: int
    max_pages: int
    cursor_param: str | None
    cursor_from: tuple[Step, ...] | None
    cursor_format: str
    initial_lookback_hours: float
    timestamp_format: str
    timeout: float


@dataclass(frozen=True)
class HoldTarget:
    """Fields of the target entity that flag an order for a person."""

    status_field: str | None = None
    held_value: str = "held"
    review_value: str = "review"
    reason_field: str | None = None
    duplicate_field: str | None = None


@dataclass(frozen=True)
class Channel:
    key: str
    file: str
    label: Text
    mode: str
    enabled: bool
    actor: Actor
    max_body_bytes: int
    time_zone: ZoneInfo
    auth: Auth
    entity: str
    targets: tuple[Target, ...]
    pings: tuple[Ping, ...] = ()
    body_format: str = "json"
    root: tuple[Step, ...] = ()
    skip: tuple[Skip, ...] = ()
    dedup_key: Rule | None = None
    external_id: str | None = None
    channel_field: str | None = None
    hold: HoldTarget = field(default_factory=HoldTarget)
    lines: LinesMap | None = None
    customer: CustomerMap | None = None
    duplicates: Duplicates | None = None
    merge: Merge | None = None
    pull: Pull | None = None
