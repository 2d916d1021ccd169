"""Courier adapters: where waybill numbers (and courier label data) come from.

Shaped after the electronic waybill APIs of SF Express (顺丰「电子运单」) and Kuaidi100
(快递100「电子面单」): the shipper sends the order and the parcel (packages, weight, addresses)
and gets back a waybill number plus the data the courier wants printed on the label (sort code,
destination routing); a waybill that will not be used is cancelled by its number.

``LocalNumbering`` is built in and needs no network: numbers come from a Sunmao naming series
(``SM{YY}{MM}{DD}{######}``, one counter per day, never reused). An SF Express or Kuaidi100 adapter
implements the same two calls against its API and registers itself by name with ``register``;
the shipment's ``courier`` field picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa

from sunmao.errors import NotFound
from sunmao.i18n import Text
from sunmao.records import naming
from sunmao.storage import Database

__all__ = ["CourierAdapter", "LocalNumbering", "Waybill", "courier", "couriers", "register"]


@dataclass(frozen=True)
class Waybill:
    """What a courier answers: the waybill number and what its label must show."""

    number: str
    label_data: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class CourierAdapter(Protocol):
    """An electronic-waybill provider.

    ``order`` is the order as the record service shows it (customer, shipping address, lines);
    ``shipment`` the parcel about to be dispatched (courier, packages, weight_kg). The call may
    reach a courier's API; the caller cancels the number when its own transaction fails.
    """

    name: str

    def create_waybill(self, order: Mapping[str, Any], shipment: Mapping[str, Any]) -> Waybill: ...

    def cancel(self, number: str) -> None: ...


class LocalNumbering:
    """Waybill numbers from a local naming series: offline, unique, one counter per day.

    Inside a write transaction (``conn``) the number is reserved in that transaction; on
    PostgreSQL the series counter commits on its own (as for record numbers), so a rolled-back
    shipment leaves a gap rather than a number used twice.
    """

    name = "local"
    pattern = "SM{YY}{MM}{DD}{######}"

    def __init__(self, db: Database, conn: sa.Connection | None = None, *, pattern: str | None = None):
        self.db = db
        self.conn = conn
        if pattern:
            self.pattern = pattern

    def create_waybill(self, order: Mapping[str, Any], shipment: Mapping[str, Any]) -> Waybill:
        now = datetime.now(UTC)
        if self.conn is not None:
            number = naming.next_names(self.db, self.conn, self.pattern, 1, now)[0]
        else:
            with self.db.write() as conn:
                number = naming.next_names(self.db, conn, self.pattern, 1, now)[0]
        return Waybill(number, {"courier": Text("自有编号", "Local numbering").as_dict(),
                                "record": str(order.get("name") or order.get("id") or "")})

    def cancel(self, number: str) -> None:
        """Nothing to tell anyone: a local number is simply never used again."""


#: name -> factory(db, conn) of an adapter
_REGISTRY: dict[str, Callable[..., CourierAdapter]] = {}


def register(name: str, factory: Callable[..., CourierAdapter]) -> None:
    """Make an adapter available by name (the value of the shipment's ``courier`` field)."""
    _REGISTRY[name] = factory


def couriers() -> list[str]:
    return sorted(_REGISTRY)


def courier(name: str, db: Database, conn: sa.Connection | None = None) -> CourierAdapter:
    """The adapter registered as ``name``, bound to the database (and the caller's transaction)."""
    factory = _REGISTRY.get(name)
    if factory is None:
        raise NotFound(Text(f"没有配置快递接口 {name}", f"no courier adapter named {name} is configured"))
    return factory(db, conn)


register(LocalNumbering.name, LocalNumbering)
