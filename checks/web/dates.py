"""Reading dates the way Indonesian government sites print them.

dateparser reads most full Indonesian forms but misses the short and old month spellings OPD sites
use ("Ags", "Nop", "Pebruari"), "Jum'at", labels ("Diposting:") and time-before-date, and costs about
1.5 ms a call, too much to run over every text node of a page. So candidates are found with one
regular expression over a month table (which also fixes the day-first order and refuses yearless and
year-only dates), and dateparser does the relative arithmetic ("2 hari yang lalu") it gets right.

Everything here is pure: `now` and the site's timezone come in as arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache

from dateparser.date import DateDataParser

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    (
        "januari jan january",
        "februari pebruari feb peb february",
        "maret mar march",
        "april apr",
        "mei may",
        "juni jun june",
        "juli jul july",
        "agustus agust agu agt ags aug august",
        "september sept sep",
        "oktober okt oct october",
        "november nopember nov nop",
        "desember des dec december",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num

ZONES = {"wib": 7, "wita": 8, "wit": 9}
_DAY = r"(?:senin|selasa|rabu|kamis|jum['’`]?at|sabtu|minggu|ahad|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)"  # noqa: E501
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = r"(?P<{p}h>[01]?\d|2[0-3])[:.](?P<{p}m>[0-5]\d)(?:[:.](?P<{p}s>[0-5]\d))?"
_ZONE = r"(?P<{p}z>wita|wib|wit|utc|gmt|z\b|[+-](?:0\d|1[0-4]):?[0-5]\d)"
_TIME_AFTER = (
    r"(?:\s*(?:,|-|\||/|@|pukul|pkl\.?|jam)?\s*(?:pukul|pkl\.?|jam)?\s*"
    + _TIME.format(p="a")
    + r"(?:\s*"
    + _ZONE.format(p="a")
    + r")?)?"
)
_TIME_BEFORE = r"(?:" + _TIME.format(p="b") + r"(?:\s*" + _ZONE.format(p="b") + r")?\s*[,\-|]?\s*)?"

_DATE_RE = re.compile(
    r"(?<![\w/.\-])(?:"
    # ISO 8601, as in <time datetime> or JSON-LD that slipped into text
    r"(?P<iy>\d{4})-(?P<im>[01]\d)-(?P<id>[0-3]\d)"
    r"(?:[T ](?P<ih>[0-2]\d):(?P<imin>[0-5]\d)(?::(?P<is>[0-5]\d))?"
    r"(?:\.\d+)?(?P<iz>z|[+-]\d\d:?\d\d)?)?"
    r"|" + _TIME_BEFORE + r"(?:"
    # 25 Agustus 2024, 5-Agt-2024, 25 Ags. 2024
    r"(?P<td>[0-3]?\d)(?:st|nd|rd|th)?[\s\-/.]+(?P<tm>" + _MONTH + r")[\s\-/.,]+(?P<ty>(?:19|20)\d\d)"
    # Aug 14, 2024 (English, untranslated Laravel sites)
    r"|(?P<em>" + _MONTH + r")\s+(?P<ed>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<ey>(?:19|20)\d\d)"
    # 11/7/2019, 25-08-2024, 25.08.2024: day first
    r"|(?P<nd>[0-3]?\d)(?P<sep>[/.\-])(?P<nm>[01]?\d)(?P=sep)(?P<ny>(?:19|20)\d\d)"
    r")" + _TIME_AFTER + r")(?![\w/])",
    re.IGNORECASE,
)

# "Kamis (11/7/2019)": the day an event happened, as press releases open. Not a publication date.
_EVENT_PAREN_RE = re.compile(_DAY + r"\s*,?\s*\(\s*$", re.IGNORECASE)
_PUBLISHED_LABEL_RE = re.compile(
    r"(?:diposting|diposkan|dipost|diterbitkan|dipublikasikan|dipublish|dibuat|ditulis|diunggah|diupload|"
    r"diperbarui|diupdate|terbit|posted|published|updated?|tanggal\s+posting|tgl\.?\s+posting)"
    r"[^\n]{0,20}$",
    re.IGNORECASE,
)
_EVENT_LABEL_RE = re.compile(
    r"(?:tanggal\s+kegiatan|tgl\.?\s+kegiatan|waktu\s+kegiatan|pelaksanaan|tanggal\s+acara|waktu\s+acara|"
    r"jadwal|tempat|lokasi|mulai|selesai|sampai|s/d|s\.d\.|hingga|deadline|batas\s+waktu|berlaku)[^\n]{0,20}$",
    re.IGNORECASE,
)

_REL_NUM = r"(?P<n>\d+|se|satu|dua|tiga|empat|lima|beberapa|a|an|one|two|three)"
_REL_UNIT = (
    r"(?P<u>detik|menit|jam|hari|minggu|pekan|bulan|tahun|"
    r"seconds?|minutes?|hours?|days?|weeks?|months?|years?)"
)
_RELATIVE_RE = re.compile(
    r"(?<!\w)(?:"
    r"(?:" + _REL_NUM + r"\s*" + _REL_UNIT + r"\s+(?:yang\s+)?(?:lalu|ago|silam))"
    r"|(?P<just>baru\s+saja|just\s+now)"
    r"|(?P<day>hari\s+ini|kemarin|today|yesterday)(?:\s*,?\s*(?:pukul|pkl\.?|jam|at)?\s*"
    r"(?P<rh>[01]?\d|2[0-3])[:.](?P<rm>[0-5]\d))?"
    r")(?!\w)",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "se": "1",
    "satu": "1",
    "a": "1",
    "an": "1",
    "one": "1",
    "dua": "2",
    "two": "2",
    "tiga": "3",
    "three": "3",
    "empat": "4",
    "lima": "5",
}
_UNIT_ID = {
    "second": "detik",
    "minute": "menit",
    "hour": "jam",
    "day": "hari",
    "week": "minggu",
    "pekan": "minggu",
    "month": "bulan",
    "year": "tahun",
}


@dataclass(frozen=True)
class FoundDate:
    """One date read from text. `when` is aware; day-precision dates are local midnight."""

    when: datetime
    precision: str  # "day" | "minute" | "second"
    text: str
    relative: bool = False
    label: str | None = None  # "published" when a posting label precedes it, "event" for event wording

    @property
    def is_event(self) -> bool:
        return self.label == "event"


def _zone(token: str | None, default: tzinfo) -> tzinfo | None:
    """The zone a date names; None for an offset no place has (the fuzzer's "+48:00" raised)."""
    if not token:
        return default
    t = token.lower()
    if t in ZONES:
        return timezone(timedelta(hours=ZONES[t]))
    if t in {"utc", "gmt", "z"}:
        return UTC
    sign = 1 if t[0] == "+" else -1
    digits = t[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    if offset > timedelta(hours=14):  # UTC+14 (Kiribati) is the widest real offset
        return None
    return timezone(sign * offset)


def _build(
    y: int, mo: int, d: int, h: str | None, mi: str | None, s: str | None, tz: tzinfo | None
) -> FoundDate | None:
    if tz is None:
        return None
    try:
        day = date(y, mo, d)
    except ValueError:
        return None  # 31/02, 13/13: not a date at all
    if h is None:
        return FoundDate(datetime.combine(day, time(0), tz), "day", "")
    try:
        at = time(int(h), int(mi or 0), int(s or 0))
    except ValueError:
        return None  # 25:61: not a time of day
    return FoundDate(datetime.combine(day, at, tz), "second" if s else "minute", "")


def _from_match(m: re.Match[str], tz: tzinfo) -> FoundDate | None:
    g = m.groupdict()
    if g["iy"]:
        zone = _zone(g["iz"], tz)
        return _build(int(g["iy"]), int(g["im"]), int(g["id"]), g["ih"], g["imin"], g["is"], zone)
    zone = _zone(g["az"] or g["bz"], tz)
    h, mi, s = (g["ah"], g["am"], g["as"]) if g["ah"] else (g["bh"], g["bm"], g["bs"])
    if g["td"]:
        return _build(int(g["ty"]), _MONTHS[g["tm"].lower().rstrip(".")], int(g["td"]), h, mi, s, zone)
    if g["em"]:
        return _build(int(g["ey"]), _MONTHS[g["em"].lower().rstrip(".")], int(g["ed"]), h, mi, s, zone)
    return _build(int(g["ny"]), int(g["nm"]), int(g["nd"]), h, mi, s, zone)


def _label_before(text: str, start: int) -> str | None:
    before = text[max(0, start - 40) : start]
    if _EVENT_PAREN_RE.search(before):
        return "event"
    pub = _PUBLISHED_LABEL_RE.search(before)
    event = _EVENT_LABEL_RE.search(before)
    if pub and event:  # the nearer label wins: "Kegiatan ... Diposting: 5 Mei 2024"
        return "published" if pub.start() > event.start() else "event"
    return "published" if pub else "event" if event else None


def _delta_from(phrase: str, base: datetime) -> timedelta | None:
    parser = DateDataParser(
        languages=["id", "en"], settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
    )
    parsed = parser.get_date_data(phrase)
    if parsed.date_obj is None:
        return None
    return base - parsed.date_obj.replace(tzinfo=None)


def _relative(m: re.Match[str], now: datetime, tz: tzinfo) -> FoundDate | None:
    g = m.groupdict()
    local_now = now.astimezone(tz)
    if g["just"]:
        return FoundDate(local_now, "minute", m.group(0), relative=True)
    if g["day"]:
        back = 0 if g["day"].lower() in {"hari ini", "today"} else 1
        day = local_now.date() - timedelta(days=back)
        if g["rh"] is None:
            return FoundDate(datetime.combine(day, time(0), tz), "day", m.group(0), relative=True)
        at = datetime.combine(day, time(int(g["rh"]), int(g["rm"])), tz)
        return FoundDate(at, "minute", m.group(0), relative=True)
    n = g["n"].lower()
    if n == "beberapa" and g["u"].lower() in {"detik", "menit"}:
        return FoundDate(local_now, "minute", m.group(0), relative=True)  # "beberapa detik yang lalu"
    count = _WORD_NUMBERS.get(n, "2" if n == "beberapa" else n)
    unit = g["u"].lower().rstrip("s")
    unit = _UNIT_ID.get(unit, unit)
    delta = _delta_from_cached(f"{count} {unit} yang lalu")
    if delta is None:
        return None
    precision = "minute" if unit in {"detik", "menit", "jam"} else "day"
    when = local_now - delta
    if precision == "day":
        when = datetime.combine(when.date(), time(0), tz)
    return FoundDate(when, precision, m.group(0), relative=True)


@lru_cache(maxsize=512)
def _delta_from_cached(phrase: str) -> timedelta | None:
    return _delta_from(phrase, datetime(2000, 6, 15, 12, 0, 0))


def find_dates(text: str, now: datetime, tz: tzinfo, *, relative: bool = True) -> list[FoundDate]:
    """Every trustworthy date in `text`, in order. Yearless ("Senin (11/12)") and year-only ("Mei
    2024") forms never match; impossible dates (31/02) are dropped. Dates without a zone are read in
    `tz`, the site's timezone."""
    found: list[FoundDate] = []
    for m in _DATE_RE.finditer(text):
        fd = _from_match(m, tz)
        if fd is not None:
            found.append(
                FoundDate(fd.when, fd.precision, m.group(0).strip(), label=_label_before(text, m.start()))
            )
    if relative:
        for m in _RELATIVE_RE.finditer(text):
            if m.group("day") and m.group("rh") is None and len(text.strip()) > 30:
                continue  # "... Diumumkan Hari Ini" in a title is wording, not a date line
            fd = _relative(m, now, tz)
            if fd is not None:
                found.append(FoundDate(fd.when, fd.precision, fd.text, True, _label_before(text, m.start())))
    return found


def parse_date(text: str, now: datetime, tz: tzinfo) -> FoundDate | None:
    """The first date in a short string such as a list item's date line."""
    found = find_dates(text, now, tz)
    return found[0] if found else None


def parse_machine_date(value: str, tz: tzinfo) -> datetime | None:
    """An ISO 8601 / W3C date from metadata, sitemaps or JSON. A bare date is local midnight."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        m = _DATE_RE.search(value)
        fd = _from_match(m, tz) if m else None
        return fd.when if fd else None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def is_future(when: datetime, precision: str, now: datetime, tz: tzinfo) -> bool:
    """A publication date after now is never real: a scheduled post, an event, or a wrong clock.

    Day-precision dates compare by calendar day in the site's zone, so "today" is not future.
    Five minutes of slack absorbs clock skew between the site and us.
    """
    if precision == "day":
        return when.astimezone(tz).date() > now.astimezone(tz).date()
    return when > now + timedelta(minutes=5)
