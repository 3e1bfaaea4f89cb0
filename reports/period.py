"""The report's week: an ISO week in the office's time zone, Monday 00:00 to the next Monday 00:00."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sop_registry.errors import InputError

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str, what: str = "--week") -> Week:
        match = _WEEK.match(text.strip())
        if not match:
            raise InputError(f"{what}: {text!r} is not an ISO week such as 2026-W47")
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise InputError(f"{what}: {text!r}: {year} has no week {number}") from None
        return cls(year, number)

    @classmethod
    def containing(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def previous_of(cls, when: datetime, zone: ZoneInfo) -> Week:
        """The week that ended last: what a Monday report is about."""
        return cls.containing(when.astimezone(zone).date() - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    def shift(self, weeks: int) -> Week:
        return Week.containing(self.monday + timedelta(weeks=weeks))

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: the office's local Monday midnight to the next one."""
        start = datetime.combine(self.monday, time(0), zone)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), zone)
        return start.astimezone(UTC), end.astimezone(UTC)
