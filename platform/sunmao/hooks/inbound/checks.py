"""Checks of a published channel against the data it will meet, made after a publish.

A mapping that looks a constant up (the web shop's orders carry channel code ``WEB_SHOP``)
and is told to skip when nothing is found would otherwise leave every order of that channel
without the value, silently. These checks do not refuse a publish — the record may simply not
exist yet — but say so where the person publishing reads the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from sunmao.i18n import Text

from .model import Channel, Target
from .paths import MISSING


def lookup_warnings(snapshot: Any, conn: sa.Connection) -> list[Text]:
    """One warning per constant lookup of a channel that finds no live record."""
    found: list[Text] = []
    for channel in (snapshot.features.get("channels") or {}).values():
        for target in _targets(channel):
            source = target.source
            if source.lookup is None or source.constant is MISSING:
                continue
            table = snapshot.tables[source.lookup.entity]
            hit = conn.execute(sa.select(table.c.id).where(table.c[source.lookup.by] == str(source.constant),
                                                           table.c.deleted_at.is_(None)).limit(1)).first()
            if hit is None:
                entity = snapshot.entities[source.lookup.entity]
                by = entity.by_key[source.lookup.by].label
                held = source.lookup.if_missing == "hold"
                found.append(Text(
                    f"渠道 {channel.key}：没有{by.zh}为“{source.constant}”的{entity.label.zh}，该渠道的每个请求"
                    + ("都会暂挂，直到建立该记录" if held else f"的“{target.field.label.zh}”都会留空")
                    + f"（{source.where}）",
                    f"channel {channel.key}: no {entity.label.en.lower()} has {by.en.lower()} "
                    f"{source.constant!r}; " + ("every delivery is held until one exists" if held else
                                                f"every delivery's {target.field.label.en.lower()} stays empty")
                    + f" ({source.where})"))
    return found


def _targets(channel: Channel) -> Iterator[Target]:
    yield from channel.targets
    if channel.lines is not None:
        yield from channel.lines.targets
    if channel.customer is not None:
        yield from channel.customer.targets
