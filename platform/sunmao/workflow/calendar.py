"""Working time: SLA deadlines counted in working hours of a holiday calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
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
