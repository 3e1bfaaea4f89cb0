"""The SOP's time standard ("waktu" in the mutu baku table), parsed from the text the seed gives.

The seeds write it in many ways ("10 Menit", "10Menit", "1 hari", "2Minggu", "30 Hari kerja",
"1 Bulan", "5 menit/ Elemen Data"); the registry keeps the text as written and this module turns
it into amount + unit so deadlines can be computed. Units are kept as written: "1 hari" is one
calendar day and "30 Hari kerja" thirty working days; which calendar applies is the case engine's
business, not the parser's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal

Unit = Literal["minute", "hour", "day", "working_day", "week", "month"]
UNITS: tuple[Unit, ...] = ("minute", "hour", "day", "working_day", "week", "month")

# Indonesian first (what the seeds use), English accepted so an office can write its own SOPs.
_UNIT_WORDS: dict[str, Unit] = {
    "menit": "minute",
    "mnt": "minute",
    "minute": "minute",
    "minutes": "minute",
    "min": "minute",
    "jam": "hour",
    "hour": "hour",
    "hours": "hour",
    "hari kerja": "working_day",
    "hk": "working_day",
    "working day": "working_day",
    "working days": "working_day",
    "hari": "day",
    "day": "day",
    "days": "day",
    "minggu": "week",
    "pekan": "week",
    "week": "week",
    "weeks": "week",
    "bulan": "month",
    "month": "month",
    "months": "month",
}

_UNIT_RE = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in _UNIT_WORDS), key=len, reverse=True))
_WAKTU_RE = re.compile(
    rf"^\s*(?P<amount>\d+(?:[.,]\d+)?)\s*(?P<unit>{_UNIT_RE})\b\s*(?:/\s*(?P<per>\S.*?))?\s*$",
    re.IGNORECASE,
)

_FIXED = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}

_WORDS_ID = {
    "minute": "menit",
    "hour": "jam",
    "day": "hari",
    "working_day": "hari kerja",
    "week": "minggu",
    "month": "bulan",
}
_WORDS_EN = {
    "minute": "minute",
    "hour": "hour",
    "day": "day",
    "working_day": "working day",
    "week": "week",
    "month": "month",
}


class TimeStandardError(ValueError):
    """The waktu text is not a time standard this parser knows."""


@dataclass(frozen=True)
class TimeStandard:
    text: str
    amount: int | float
    unit: Unit
    per: str | None = None  # "5 menit/ Elemen Data": the time is per item, not for the whole step

    def fixed_duration(self) -> timedelta | None:
        """Duration for units that need no calendar (minute, hour, day, week); None otherwise."""
        base = _FIXED.get(self.unit)
        return base * self.amount if base is not None else None

    def describe(self, lang: str = "id") -> str:
        words = _WORDS_ID if lang == "id" else _WORDS_EN
        word = words[self.unit]
        if lang != "id" and self.amount != 1:
            word += "s"
        amount = f"{self.amount:g}".replace(".", ",") if lang == "id" else f"{self.amount:g}"
        text = f"{amount} {word}"
        if self.per:
            text += f" / {self.per}"
        return text

    def as_dict(self) -> dict:
        return {"text": self.text, "amount": self.amount, "unit": self.unit, "per": self.per}


def parse_time_standard(text: str | None) -> TimeStandard | None:
    """Parse a waktu cell. Empty (None, "", "-") stays empty; anything else must parse."""
    if text is None:
        return None
    stripped = text.strip()
    if stripped in {"", "-"}:
        return None
    match = _WAKTU_RE.match(stripped)
    if not match:
        raise TimeStandardError(
            f"cannot read time standard {text!r} (expected e.g. '10 menit', '1 hari', "
            f"'2 minggu', '30 hari kerja')"
        )
    raw = Decimal(match["amount"].replace(",", "."))
    if raw <= 0:
        raise TimeStandardError(f"time standard {text!r} must be positive")
    amount: int | float = int(raw) if raw == raw.to_integral_value() else float(raw)
    unit_word = re.sub(r"\s+", " ", match["unit"].lower())
    return TimeStandard(text=stripped, amount=amount, unit=_UNIT_WORDS[unit_word], per=match["per"])
