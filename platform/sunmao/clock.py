"""Business time: the installation's one time zone, and today's date in it.

A factory in China works on Asia/Shanghai dates whatever the server's zone; another
installation sets ``SUNMAO_TIME_ZONE`` (an IANA name). Every part of the engine that needs the
zone — rules' ``today``, naming series, times read without an offset, screens, schedules,
calendars, exports — takes it from here.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: The installation's time zone (IANA name): ``SUNMAO_TIME_ZONE``, else Asia/Shanghai.
TIME_ZONE = os.environ.get("SUNMAO_TIME_ZONE") or "Asia/Shanghai"
BUSINESS_ZONE = ZoneInfo(TIME_ZONE)


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the business time zone (what `{"today": []}` means in rules)."""
    return datetime.now(BUSINESS_ZONE).date()
