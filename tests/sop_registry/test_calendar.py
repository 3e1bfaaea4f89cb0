"""The working calendar the SOP time standards run on: time passed in, the holiday table real."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agents.config import Office
from sop_registry.calendar import add_months
from sop_registry.timestd import parse_time_standard

WITA = ZoneInfo("Asia/Makassar")


def office(**extra) -> Office:
    return Office(name="Diskominfo Uji", timezone="Asia/Makassar", **extra)


def wita(*args) -> datetime:
    return datetime(*args, tzinfo=WITA)


def due(cal, start, text, **kw):
    return cal.due(start, parse_time_standard(text), **kw).astimezone(WITA)


def test_friday_afternoon_hour_runs_into_monday_morning():
    cal = office().working_calendar()
    # 15:50 Friday, office closes 16:30: 40 minutes on Friday, 20 on Monday from 08:00.
    assert due(cal, wita(2026, 11, 20, 15, 50), "60 Menit") == wita(2026, 11, 23, 8, 20)
    # The same step round the clock (a duty roster) is due an hour later.
    assert due(cal, wita(2026, 11, 20, 15, 50), "60 Menit", round_the_clock=True) == wita(
        2026, 11, 20, 16, 50
    )


def test_a_case_opened_at_night_starts_its_clock_when_the_office_opens():
    cal = office().working_calendar()
    assert due(cal, wita(2026, 11, 24, 2, 0), "10 Menit") == wita(2026, 11, 24, 8, 10)
    assert due(cal, wita(2026, 11, 22, 11, 0), "2 jam") == wita(2026, 11, 23, 10, 0)  # a Sunday


def test_lebaran_holidays_and_cuti_bersama_are_skipped():
    cal = office().working_calendar()
    # Tue 17 March 2026 15:50: 10 minutes left that day; Wed 18 (cuti bersama Nyepi), Thu 19 (Nyepi),
    # Fri 20 (cuti bersama Idul Fitri), the weekend, Mon 23 and Tue 24 (cuti bersama) do not count.
    assert due(cal, wita(2026, 3, 17, 15, 50), "60 menit") == wita(2026, 3, 25, 8, 50)
    # Without cuti bersama only Nyepi and the weekend are skipped: Wednesday 18 is a working day.
    plain = office(holidays={"cuti_bersama": False}).working_calendar()
    assert due(plain, wita(2026, 3, 17, 15, 50), "60 menit") == wita(2026, 3, 18, 8, 50)


def test_local_extra_holiday_from_config():
    cal = office(holidays={"extra": [{"date": "2026-11-23", "name": "HUT Kabupaten"}]}).working_calendar()
    assert cal.holiday(date(2026, 11, 23)) == "HUT Kabupaten"
    assert due(cal, wita(2026, 11, 20, 15, 50), "60 Menit") == wita(2026, 11, 24, 8, 20)


def test_working_days_and_calendar_days_as_written():
    cal = office().working_calendar()
    # Received Friday 10:00: "1 hari kerja" is the close of the next working day (Monday).
    assert due(cal, wita(2026, 11, 20, 10, 0), "1 hari kerja") == wita(2026, 11, 23, 16, 0)
    # Received before the office opens: that day counts.
    assert due(cal, wita(2026, 11, 23, 7, 0), "1 hari kerja") == wita(2026, 11, 23, 16, 0)
    # 5 working days from Monday 21 Dec 2026: 24 (cuti bersama) and 25 (Natal) skipped.
    assert due(cal, wita(2026, 12, 21, 9, 0), "5 Hari kerja") == wita(2026, 12, 30, 16, 0)
    # "1 hari" is a calendar day: Saturday stays Saturday.
    assert due(cal, wita(2026, 11, 20, 10, 0), "1 hari") == wita(2026, 11, 21, 10, 0)
    assert due(cal, wita(2026, 11, 20, 10, 0), "2 Minggu") == wita(2026, 12, 4, 10, 0)
    assert due(cal, wita(2026, 1, 31, 10, 0), "1 Bulan") == wita(2026, 2, 28, 10, 0)


def test_working_time_between_and_pause_resume():
    cal = office().working_calendar()
    start, end = wita(2026, 11, 20, 15, 50), wita(2026, 11, 23, 8, 20)
    assert cal.working_time_between(start, end) == timedelta(minutes=60)
    assert cal.working_time_between(end, start) == timedelta(0)
    ts = parse_time_standard("60 menit")
    # Paused on Friday at 16:00 with the deadline on Monday 08:20: 50 working minutes were left;
    # resumed Monday 10:00, due at 10:50.
    left = cal.remaining(wita(2026, 11, 20, 16, 0), end, ts, False)
    assert left == timedelta(minutes=50)
    assert cal.resume(wita(2026, 11, 23, 10, 0), left, ts, False).astimezone(WITA) == wita(
        2026, 11, 23, 10, 50
    )


def test_results_are_utc_and_a_calendar_without_working_days_fails():
    cal = office().working_calendar()
    result = cal.due(wita(2026, 11, 20, 15, 50), parse_time_standard("60 Menit"))
    assert result.tzinfo is not None and result.utcoffset() == timedelta(0)
    assert result == datetime(2026, 11, 23, 0, 20, tzinfo=UTC)
    closed = office().working_calendar()
    closed.hours = {}
    with pytest.raises(ValueError, match="no working hours"):
        closed.add_working_time(wita(2026, 11, 20, 9, 0), timedelta(minutes=1))


def test_add_months_clamps_to_the_month_end():
    assert add_months(wita(2026, 3, 31, 9, 0), 1) == wita(2026, 4, 30, 9, 0)
    assert add_months(wita(2026, 12, 15, 9, 0), 2) == wita(2027, 2, 15, 9, 0)
