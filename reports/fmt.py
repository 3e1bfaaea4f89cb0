"""How the report writes dates, durations and numbers for its reader: Indonesian by default.

Indonesian usage: "Senin, 23 November 2026", "07.00 WITA", decimal comma ("97,5 %").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
NO_DATA = {"id": "tidak ada data", "en": "no data"}


@dataclass(frozen=True)
class Formatter:
    lang: str
    zone: ZoneInfo
    zone_label: str

    def day(self, value: date | datetime | None, weekday: bool = True) -> str:
        if value is None:
            return "-"
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        text = f"{value.day} {MONTHS[self.lang][value.month - 1]} {value.year}"
        if self.lang == "en":
            text = f"{MONTHS['en'][value.month - 1]} {value.day}, {value.year}"
        return f"{DAYS[self.lang][value.weekday()]}, {text}" if weekday else text

    def short_day(self, value: date) -> str:
        return f"{DAYS[self.lang][value.weekday()][:3]} {value.day}/{value.month}"

    def clock(self, value: datetime) -> str:
        local = value.astimezone(self.zone)
        return f"{local:%H.%M}" if self.lang == "id" else f"{local:%H:%M}"

    def when(self, value: datetime | None, weekday: bool = False) -> str:
        """'23 November 2026 07.00 WITA'."""
        if value is None:
            return "-"
        return f"{self.day(value, weekday)} {self.clock(value)} {self.zone_label}"

    def range(self, first: date, last: date) -> str:
        """'16–22 November 2026', '30 November – 6 Desember 2026'."""
        months = MONTHS[self.lang]
        if self.lang == "en":
            if first.month == last.month:
                return f"{months[first.month - 1]} {first.day}–{last.day}, {last.year}"
            return f"{months[first.month - 1]} {first.day} – {months[last.month - 1]} {last.day}, {last.year}"
        if first.month == last.month:
            return f"{first.day}–{last.day} {months[last.month - 1]} {last.year}"
        if first.year == last.year:
            return f"{first.day} {months[first.month - 1]} – {last.day} {months[last.month - 1]} {last.year}"
        return f"{self.day(first, False)} – {self.day(last, False)}"

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "-"
        text = f"{value:,.{digits}f}"
        if self.lang == "id":  # 1.234,5
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def pct(self, value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{self.number(value, digits)} %"

    def duration(self, seconds: float | None) -> str:
        """'2 j 15 m' / '2 h 15 m'; days for long ones."""
        if seconds is None:
            return "-"
        minutes = round(seconds / 60)
        days, rest = divmod(minutes, 24 * 60)
        hours, mins = divmod(rest, 60)
        units = ("hr", "j", "m") if self.lang == "id" else ("d", "h", "m")
        parts = []
        if days:
            parts.append(f"{days} {units[0]}")
        if hours:
            parts.append(f"{hours} {units[1]}")
        if mins or not parts:
            parts.append(f"{mins} {units[2]}")
        return " ".join(parts)

    def local_naive(self, value: datetime | None) -> datetime | None:
        """For spreadsheet cells: office time without a zone (Excel has no zones)."""
        return None if value is None else value.astimezone(self.zone).replace(tzinfo=None)


def formatter(config: Any, lang: str) -> Formatter:
    """The office's formatter: its zone and WIB/WITA/WIT label, in the reader's language."""
    return Formatter(lang, config.office.zone, config.office.zone_label)


def queue_limit(row: Any, f: Formatter, t: Mapping[str, str]) -> str:
    """A queue's max-limit as "download / upload Mbps" (the contract's order): "tanpa batas" for an
    unlimited direction (0), "-" for the direction a tree queue does not shape, "batas tidak terbaca"
    when the period never read it."""
    values = (row.queue_limit_down_mbps, row.queue_limit_up_mbps)
    if all(v is None for v in values):
        return t["queue_unread"]
    if all(not v for v in values):
        return t["queue_unlimited"]

    def one(v: float | None) -> str:
        if v is None:
            return "-"
        return t["queue_unlimited"] if v == 0 else f.number(v, 0 if v == int(v) else 1)

    return " / ".join(one(v) for v in values) + " Mbps"
