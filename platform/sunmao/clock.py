"""Business time: a factory in China works on Asia/Shanghai dates, whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BUSINESS_ZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the business time zone (what `{"today": []}` means in rules)."""
    return datetime.now(BUSINESS_ZONE).date()
