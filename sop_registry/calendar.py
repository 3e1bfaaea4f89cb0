"""The office's working calendar: when an SOP's time standard ("waktu") runs out.

The SOPs count their minutes and hours in office time: a 60-minute step opened on Friday at 15:50
WITA, with the office closing at 16:30, has 40 minutes on Friday and 20 on Monday morning. Weekends,
national holidays and cuti bersama (from the `holidays` package) and the office's own closures do
not count. Units are honoured as written: "1 hari" is a calendar day, "3 hari kerja" three working
days, "2 minggu" fourteen calendar days, "1 bulan" a calendar month.

Pure: times come in as arguments; the only state is a per-year cache of the holiday table.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .timestd import TimeStandard

# Far enough to cross any run of holidays (Lebaran + cuti bersama is about ten days), short enough
# that a calendar with no working day at all fails instead of looping.
_SEARCH_DAYS = 400


@dataclass
class WorkingCalendar:
    zone: ZoneInfo
    hours: Mapping[int, tuple[time, time]]  # weekday (0 = Monday) -> (opens, closes)
    holidays_for_year: Callable[[int], Mapping[date, str]]
    _cache: dict[int, Mapping[date, str]] = field(default_factory=dict, repr=False)

    def holiday(self, day: date) -> str | None:
        if day.year not in self._cache:
            self._cache[day.year] = self.holidays_for_year(day.year)
        return self._cache[day.year].get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.hours and self.holiday(day) is None

    def _window(self, day: date) -> tuple[datetime, datetime]:
        opens, closes = self.hours[day.weekday()]
        return (
            datetime.combine(day, opens, tzinfo=self.zone),
            datetime.combine(day, closes, tzinfo=self.zone),
        )

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals from `start` on (the first one clipped to start), in office time."""
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                opens, closes = self._window(day)
                if closes > local:
                    yield max(opens, local), closes
            day += timedelta(days=1)
        raise ValueError(f"no working hours within {_SEARCH_DAYS} days of {local:%Y-%m-%d}")

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """`amount` of office time after `start`: the clock stops outside working hours."""
        left = amount
        for opens, closes in self.windows(start):
            span = closes - opens
            if left <= span:
                return (opens + left).astimezone(UTC)
            left -= span
        raise AssertionError("unreachable: windows() raises first")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time from `start` to `end` (zero if end is not after start)."""
        total = timedelta()
        if end <= start:
            return total
        for opens, closes in self.windows(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The close of the Nth working day. The day it starts counts only if the office has not opened
        yet; a task received at 10:00 with "1 hari kerja" is due at the close of the next working day."""
        local = start.astimezone(self.zone)
        day = local.date()
        if not (self.is_working_day(day) and local < self._window(day)[0]):
            day += timedelta(days=1)
        counted = 0
        for _ in range(_SEARCH_DAYS):
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return self._window(day)[1].astimezone(UTC)
            day += timedelta(days=1)
        raise ValueError(f"fewer than {days} working days within {_SEARCH_DAYS} days of {local:%Y-%m-%d}")

    def due(self, start: datetime, standard: TimeStandard, *, round_the_clock: bool = False) -> datetime:
        """When a step started at `start` with this time standard is due.

        Minutes and hours run in working hours unless the SOP is kept round the clock (a data-centre
        duty roster); calendar units are calendar time whatever the roster.
        """
        amount = standard.amount
        if standard.unit in ("minute", "hour"):
            length = timedelta(minutes=amount) if standard.unit == "minute" else timedelta(hours=amount)
            if _office_clock(standard, round_the_clock):
                return self.add_working_time(start, length)
            return start + length
        if standard.unit == "working_day":
            return self.add_working_days(start, max(1, round(amount)))
        if standard.unit in ("day", "week"):
            return start + timedelta(days=amount * (7 if standard.unit == "week" else 1))
        return add_months(start.astimezone(self.zone), round(amount)).astimezone(UTC)

    def remaining(self, now: datetime, due: datetime, standard: TimeStandard | None, round_the_clock: bool):
        """Time left to a deadline, counted the way the deadline was computed (for a paused clock)."""
        if _office_clock(standard, round_the_clock):
            return self.working_time_between(now, due)
        return max(due - now, timedelta())

    def resume(self, now: datetime, left: timedelta, standard: TimeStandard | None, round_the_clock: bool):
        """The new deadline when a clock paused with `left` to go starts again at `now`."""
        if _office_clock(standard, round_the_clock):
            return self.add_working_time(now, left)
        return now + left


def _office_clock(standard: TimeStandard | None, round_the_clock: bool) -> bool:
    """Does this standard run only in office hours? Minutes and hours do, unless the SOP is kept
    round the clock; calendar units never stop."""
    return standard is not None and standard.unit in ("minute", "hour") and not round_the_clock


def add_months(when: datetime, months: int) -> datetime:
    """Same day of the month, N months on; the 31st becomes the month's last day."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    day = min(when.day, _cal.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)
