"""The Indonesian date reader: every form and trap in shared/knowledge/indonesian-web.md."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from checks.web.dates import find_dates, is_future, parse_date, parse_machine_date

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # Saturday 10:00 WITA


def one(text: str):
    found = find_dates(text, NOW, WITA)
    assert len(found) == 1, (text, found)
    return found[0]


def local(d) -> str:
    return d.when.astimezone(WITA).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full month names and every short / old spelling
        ("05 Oktober 2024", "2024-10-05 00:00"),
        ("5 Januari 2025", "2025-01-05 00:00"),
        ("12 Pebruari 2024", "2024-02-12 00:00"),
        ("3 Maret 2024", "2024-03-03 00:00"),
        ("3 Mei 2024", "2024-05-03 00:00"),
        ("25 Agustus 2024", "2024-08-25 00:00"),
        ("25 Ags 2024", "2024-08-25 00:00"),
        ("25 Agt 2024", "2024-08-25 00:00"),
        ("25 Agu 2024", "2024-08-25 00:00"),
        ("25 Agust 2024", "2024-08-25 00:00"),
        ("2 Sept 2024", "2024-09-02 00:00"),
        ("2 Okt 2024", "2024-10-02 00:00"),
        ("9 Nop 2024", "2024-11-09 00:00"),
        ("9 Nopember 2024", "2024-11-09 00:00"),
        ("24 Des 2024", "2024-12-24 00:00"),
        ("14 Aug 2024", "2024-08-14 00:00"),  # untranslated Laravel
        ("Aug 14, 2024", "2024-08-14 00:00"),
        # day names, including Jum'at with both apostrophes, and Ahad
        ("Senin, 5 Oktober 2024", "2024-10-05 00:00"),
        ("Jumat, 3 Mei 2024", "2024-05-03 00:00"),
        ("Jum'at, 3 Mei 2024", "2024-05-03 00:00"),
        ("Jum\u2019at, 3 Mei 2024", "2024-05-03 00:00"),
        ("Ahad, 5 Mei 2024", "2024-05-05 00:00"),
        ("Kamis , 17 April 2025", "2025-04-17 00:00"),
        # numeric forms are day-first
        ("11/7/2019", "2019-07-11 00:00"),
        ("25-08-2024", "2024-08-25 00:00"),
        ("25.08.2024", "2024-08-25 00:00"),
        # times and zones
        ("05 Oktober 2024 14:30:00", "2024-10-05 14:30"),
        ("Senin, 5 Agt 2024, 14:30", "2024-08-05 14:30"),
        ("25 November 2024 pukul 10.00 WITA", "2024-11-25 10:00"),
        # time before date (saved static portals)
        ("16:00:41, 25 Agu 2024", "2024-08-25 16:00"),
        # labels around dates
        ("Diposting: 20 Oktober 2024", "2024-10-20 00:00"),
        ("Diterbitkan pada 20 Oktober 2024", "2024-10-20 00:00"),
        ("Dibuat tanggal 20 Oktober 2024", "2024-10-20 00:00"),
        ("Oleh Admin | 12 Sept 2024 | Dibaca 20 kali", "2024-09-12 00:00"),
        ("2024-10-05T14:30:00+08:00", "2024-10-05 14:30"),
    ],
)
def test_absolute_forms(text: str, expected: str) -> None:
    assert local(one(text)) == expected


def test_zones_shift_to_the_right_instant() -> None:
    wib = one("Senin, 21 Januari 2013 - 10:30 WIB")
    assert wib.when.utcoffset() == timedelta(hours=7)
    assert wib.when.astimezone(UTC).hour == 3
    assert one("14:30 WIT, 5 Mei 2024").when.utcoffset() == timedelta(hours=9)
    assert one("5 Mei 2024 14:30 WITA").when.utcoffset() == timedelta(hours=8)
    # no zone printed: the site's own zone
    assert one("5 Mei 2024 14:30").when.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2 hari yang lalu", "2026-11-19 00:00", "day"),
        ("2 hari lalu", "2026-11-19 00:00", "day"),
        ("3 minggu lalu", "2026-10-31 00:00", "day"),
        ("kemarin", "2026-11-20 00:00", "day"),
        ("baru saja", "2026-11-21 10:00", "minute"),
        ("beberapa detik yang lalu", "2026-11-21 10:00", "minute"),
        ("semenit yang lalu", "2026-11-21 09:59", "minute"),
        ("sejam yang lalu", "2026-11-21 09:00", "minute"),
        ("sehari yang lalu", "2026-11-20 00:00", "day"),
        ("5 jam yang lalu", "2026-11-21 05:00", "minute"),
        ("Hari ini pukul 09.00", "2026-11-21 09:00", "minute"),
        ("Kemarin pukul 14.30", "2026-11-20 14:30", "minute"),
        ("2 days ago", "2026-11-19 00:00", "day"),
    ],
)
def test_relative_phrases(text: str, expected: str, precision: str) -> None:
    found = one(text)
    assert (local(found), found.precision, found.relative) == (expected, precision, True)


@pytest.mark.parametrize(
    "text", ["Senin (11/12)", "Mei 2024", "2024", "25 Agustus", "31/02/2024", "14:30 WITA"]
)
def test_yearless_year_only_and_impossible_dates_are_never_read(text: str) -> None:
    assert find_dates(text, NOW, WITA) == []


def test_title_wording_is_not_a_relative_date() -> None:
    assert find_dates("Seleksi PPPK Tahap 2 Diumumkan Hari Ini di Kantor BKD", NOW, WITA) == []


def test_event_dates_are_marked() -> None:
    press = find_dates("POLEWALI - Kamis (11/7/2019) Bupati membuka acara.", NOW, WITA)
    assert [d.label for d in press] == ["event"]
    agenda = one("Tanggal Kegiatan: 3 Desember 2026")
    assert agenda.is_event
    posted = one("Diposting: 20 Oktober 2024")
    assert posted.label == "published"
    # the nearer label wins
    both = find_dates("Tanggal kegiatan 3 Des 2026. Diposting: 20 Oktober 2026", NOW, WITA)
    assert [d.label for d in both] == ["event", "published"]


def test_future_rule_by_precision() -> None:
    today = one("21 November 2026")
    assert not is_future(today.when, today.precision, NOW, WITA)  # today is not future
    tomorrow = one("22 November 2026")
    assert is_future(tomorrow.when, tomorrow.precision, NOW, WITA)
    later_today = one("21 November 2026 15:00")
    assert is_future(later_today.when, later_today.precision, NOW, WITA)


def test_machine_dates() -> None:
    assert parse_machine_date("2026-11-19T06:00:00Z", WITA) == datetime(2026, 11, 19, 6, tzinfo=UTC)
    assert parse_machine_date("2026-11-19", WITA) == datetime(2026, 11, 19, tzinfo=WITA)
    assert parse_machine_date("2026-11-19T14:00:00+0800", WITA) == datetime(
        2026, 11, 19, 14, tzinfo=timezone(timedelta(hours=8))
    )
    assert parse_machine_date("bukan tanggal", WITA) is None
    assert parse_date("Update: 5 Mei 2024", NOW, WITA).label == "published"


def test_impossible_offsets_and_times_are_not_dates_and_never_raise():
    # Found by tests/fuzz/fuzz_parsers.py (dates): "+48:00" made timezone() raise, which failed the
    # whole site as an internal error.
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from checks.web.dates import find_dates

    now, tz = datetime(2026, 12, 1, 6, 0, tzinfo=UTC), ZoneInfo("Asia/Makassar")
    for text in ("2026-11-20T10:00:00+48:00", "20/11/2026 25:61", "20 November 2026 10:00 +99:99"):
        for found in find_dates(text, now, tz):
            offset = found.when.utcoffset()
            assert offset is not None and abs(offset.total_seconds()) <= 14 * 3600
