"""The office: name, time zone (WIB/WITA/WIT), working hours and holidays -- the SOPs' calendar."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sop_registry.calendar import WorkingCalendar
from sop_registry.schema import WEEKDAYS, TimeWindow

from .base import Strict, _unique

# Indonesia's three time zones, as officers write them.
_TZ_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}



class HolidayExtra(Strict):
    date: date
    name: str = Field(min_length=1)


class HolidaySettings(Strict):
    """Indonesia's national holidays and cuti bersama come from the `holidays` package."""

    country: Literal["ID"] = "ID"
    cuti_bersama: bool = True  # include the government's joint leave days ("government" category)
    extra: list[HolidayExtra] = Field(default_factory=list)  # local holidays, office closures


class Official(Strict):
    """A signatory as a formal letter names one: name, position (jabatan), rank (pangkat/golongan), NIP."""

    name: str = Field(min_length=1)  # "Ir. Andi Basri, M.T."
    position: str | None = None  # "Kepala Bidang Aplikasi Informatika"; default: the report's words
    rank: str | None = None  # "Pembina (IV/a)"
    nip: str | None = Field(default=None, pattern=r"^[0-9 ]{8,30}$")  # 18 digits, often spaced

    @field_validator("nip")
    @classmethod
    def _eighteen_digits(cls, value: str | None) -> str | None:
        if value is not None and len(value.replace(" ", "")) != 18:
            raise ValueError(f"{value!r}: a NIP has 18 digits")
        return value


class Letterhead(Strict):
    """The kop surat at the top of the report's first page and of every letter: the government and
    office names in capitals, the address and the contacts, the logo (office.logo) beside them."""

    government: str | None = None  # "PEMERINTAH PROVINSI KALIMANTAN TIMUR"
    name: str | None = None  # "DINAS KOMUNIKASI DAN INFORMATIKA"; default office.name
    address: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    website: str | None = None
    city: str | None = None  # where letters are dated from: "Samarinda, 23 November 2026"
    # Letters to OPDs are signed by the Kepala Bidang on behalf of the head of the office:
    # "a.n. Kepala Dinas Komunikasi dan Informatika". Unset: signed in the Kepala Bidang's own name.
    on_behalf_of: str | None = None


class OpdContact(Strict):
    """An OPD as the office writes to it: the head a letter is addressed to, and where."""

    name: str = Field(min_length=1)  # as in targets.websites[].opd
    head: Official | None = None  # position: "Kepala Dinas Kesehatan"
    address: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    email: str | None = None


def _default_hours() -> list[TimeWindow]:
    return [
        TimeWindow(days=["mon", "tue", "wed", "thu"], start=time(8, 0), end=time(16, 0)),
        TimeWindow(days=["fri"], start=time(8, 0), end=time(16, 30)),
    ]


class Office(Strict):
    name: str = Field(min_length=1)  # "Dinas Kominfo Kabupaten Polewali Mandar"
    short_name: str | None = None
    timezone: str
    language: Literal["id", "en"] = "id"
    working_hours: list[TimeWindow] = Field(default_factory=_default_hours, min_length=1)
    holidays: HolidaySettings = Field(default_factory=HolidaySettings)
    logo: Path | None = None
    letterhead: Letterhead | None = None  # the kop surat; unset: the office name and logo as a heading
    # Who approves the recap and signs the letters: a name, or name, position, rank and NIP.
    kepala_bidang: Official | None = None
    opds: list[OpdContact] = Field(default_factory=list)  # the letters' addressees, by OPD name

    @field_validator("kepala_bidang", mode="before")
    @classmethod
    def _name_only(cls, value: object) -> object:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (e.g. Asia/Jakarta, Asia/Makassar, Asia/Jayapura)"
            ) from None
        return value

    @model_validator(mode="after")
    def _unique_opds(self) -> Office:
        _unique([o.name for o in self.opds], "opds", "name")
        return self

    def opd(self, name: str) -> OpdContact | None:
        return next((o for o in self.opds if o.name == name), None)

    @model_validator(mode="after")
    def _no_overlap(self) -> Office:
        seen: dict[str, int] = {}
        for i, window in enumerate(self.working_hours):
            for day in window.days:
                if day in seen:
                    raise ValueError(
                        f"working_hours[{i}]: {day} already covered by working_hours[{seen[day]}]"
                    )
                seen[day] = i
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        """WIB/WITA/WIT for Indonesian zones, the zone name otherwise."""
        return _TZ_LABELS.get(self.timezone, self.timezone)

    def local_text(self, when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored UTC time as the officer reads it: office time with WIB/WITA/WIT ("" for none)."""
        if when is None:
            return ""
        return when.astimezone(self.zone).strftime(fmt) + " " + self.zone_label

    def holiday_calendar(self, years: list[int] | range) -> dict[date, str]:
        categories = ("public", "government") if self.holidays.cuti_bersama else ("public",)
        table = holidays_lib.country_holidays(
            self.holidays.country, years=list(years), categories=categories, language=self.language
        )
        calendar = dict(table.items())
        for extra in self.holidays.extra:
            if extra.date.year in years:
                calendar[extra.date] = extra.name
        return calendar

    def working_calendar(self) -> WorkingCalendar:
        """Working hours, weekends and holidays: the calendar the SOPs' time standards run on."""
        hours = {WEEKDAYS.index(d): (w.start, w.end) for w in self.working_hours for d in w.days}
        return WorkingCalendar(self.zone, hours, lambda year: self.holiday_calendar([year]))


