"""The report's period: an ISO week (Monday 00:00 to the next Monday 00:00) or a calendar month (the 1st
00:00 to the next 1st), both in the office's time zone. Both answer the same questions (bounds, days,
first and last day), so the figures and the renderings take either."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sop_registry.errors import InputError

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Week:
    year: int
    number: int

    kind = "weekly"

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

    @property
    def first(self) -> date:
        return self.monday

    @property
    def last(self) -> date:
        return self.sunday

    def days(self) -> list[date]:
        return [self.monday + timedelta(days=i) for i in range(7)]

    def shift(self, weeks: int) -> Week:
        return Week.containing(self.monday + timedelta(weeks=weeks))

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: the office's local Monday midnight to the next one."""
        start = datetime.combine(self.monday, time(0), zone)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), zone)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class Month:
    """A calendar month in office time: the monthly recap's period, with its weeks for the trends."""

    year: int
    number: int

    kind = "monthly"

    @classmethod
    def parse(cls, text: str, what: str = "--month") -> Month:
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise InputError(f"{what}: {text!r} is not a month such as 2026-11")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def previous_of(cls, when: datetime, zone: ZoneInfo) -> Month:
        """The month that ended last."""
        return cls.containing(when.astimezone(zone).date().replace(day=1) - timedelta(days=1))

    def __str__(self) -> str:
        return f"{self.year}-{self.number:02d}"

    @property
    def first(self) -> date:
        return date(self.year, self.number, 1)

    @property
    def last(self) -> date:
        return self._next_first() - timedelta(days=1)

    def _next_first(self) -> date:
        return date(self.year + self.number // 12, self.number % 12 + 1, 1)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def weeks(self) -> list[Week]:
        """The ISO weeks with a day in this month, in order (the first and last may be partial)."""
        out: list[Week] = []
        for day in self.days():
            week = Week.containing(day)
            if not out or out[-1] != week:
                out.append(week)
        return out

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(self.first, time(0), zone)
        end = datetime.combine(self._next_first(), time(0), zone)
        return start.astimezone(UTC), end.astimezone(UTC)


Period = Week | Month


def day_bounds(days: list[date], zone: ZoneInfo) -> list[datetime]:
    """The UTC instants of each day's local midnight, and of the midnight after the last day."""
    if not days:
        return []
    edges = [*days, days[-1] + timedelta(days=1)]
    return [datetime.combine(d, time(0), zone).astimezone(UTC) for d in edges]
