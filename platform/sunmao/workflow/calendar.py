"""Working time: SLA deadlines counted in working hours of a holiday calendar."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sunmao import clock


@dataclass(frozen=True)
class Calendar:
    key: str = "default"
    zone: ZoneInfo = field(default_factory=lambda: clock.BUSINESS_ZONE)
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Calendar:
        return cls(
            key=doc["key"], zone=ZoneInfo(doc.get("time_zone") or clock.TIME_ZONE),
            day_start=time.fromisoformat(doc.get("day_start", "09:00")),
            day_end=time.fromisoformat(doc.get("day_end", "18:00")),
            holidays=frozenset(date.fromisoformat(d) for d in doc.get("holidays", ())),
            workdays=frozenset(date.fromisoformat(d) for d in doc.get("workdays", ())),
        )

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` of working time after ``start`` (aware datetimes, returned in UTC)."""
        remaining = timedelta(hours=hours)
        local = start.astimezone(self.zone)
        for _ in range(3660):  # ten years of days at most: a calendar without workdays cannot hang us
            day = local.date()
            if self.is_workday(day):
                opens = datetime.combine(day, self.day_start, self.zone)
                closes = datetime.combine(day, self.day_end, self.zone)
                begin = max(local, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= available
            local = datetime.combine(day + timedelta(days=1), time(0, 0), self.zone)
        raise ValueError(f"calendar {self.key!r} has no working time")

    def working_clock(self, moment: datetime) -> int:
        """Working seconds from a fixed origin (1970-01-05, a Monday) to ``moment``.

        The difference of two readings is the working time between them, so a duration in
        working hours is a subtraction in SQL when each stage row stores its reading (see
        ``records/stages.py``). Counting is O(log holidays): whole weeks, then the holidays and
        make-up workdays before the day, then the part of the day itself."""
        holidays, extra = _clock_tables(self)
        local = moment.astimezone(self.zone)
        day = local.date()
        days = (day - _ORIGIN).days
        weeks, rest = divmod(days, 7)
        workdays = weeks * 5 + min(rest, 5) - bisect_left(holidays, day) + bisect_left(extra, day)
        opens, closes = _seconds(self.day_start), _seconds(self.day_end)
        length = max(closes - opens, 0)
        today = 0
        if self.is_workday(day):
            now = local.hour * 3600 + local.minute * 60 + local.second
            today = min(max(now, opens), closes) - opens
        return workdays * length + today


_ORIGIN = date(1970, 1, 5)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


@lru_cache(maxsize=32)
def _clock_tables(calendar: Calendar) -> tuple[list[date], list[date]]:
    """Weekday holidays and weekend workdays, sorted: what the weekday count must correct."""
    holidays = sorted(d for d in calendar.holidays if d.weekday() < 5 and d not in calendar.workdays)
    extra = sorted(d for d in calendar.workdays if d.weekday() >= 5)
    return holidays, extra
