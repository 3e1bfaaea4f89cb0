from datetime import timedelta

import pytest

from sop_registry.timestd import TimeStandardError, parse_time_standard


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("10 Menit", 10, "minute"),
        ("10Menit", 10, "minute"),
        ("60menit", 60, "minute"),
        ("1 hari", 1, "day"),
        ("1hari", 1, "day"),
        ("2 Minggu", 2, "week"),
        ("2Minggu", 2, "week"),
        ("30 Hari kerja", 30, "working_day"),
        ("30 hari  kerja", 30, "working_day"),
        ("1 Bulan", 1, "month"),
        ("3 jam", 3, "hour"),
        ("1,5 jam", 1.5, "hour"),
        ("2 weeks", 2, "week"),
    ],
)
def test_parses_seed_forms(text, amount, unit):
    standard = parse_time_standard(text)
    assert (standard.amount, standard.unit, standard.text) == (amount, unit, text.strip())


@pytest.mark.parametrize("text", [None, "", "  ", "-"])
def test_empty_cell_stays_empty(text):
    assert parse_time_standard(text) is None


def test_per_item_time():
    standard = parse_time_standard("5 menit/ Elemen Data")
    assert (standard.amount, standard.unit, standard.per) == (5, "minute", "Elemen Data")


@pytest.mark.parametrize("text", ["segera", "10", "menit 10", "0 menit", "g0 yionit", "10 menitan"])
def test_rejects_what_it_cannot_read(text):
    with pytest.raises(TimeStandardError):
        parse_time_standard(text)


def test_fixed_duration_only_without_calendar():
    assert parse_time_standard("120 Menit").fixed_duration() == timedelta(hours=2)
    assert parse_time_standard("1 minggu").fixed_duration() == timedelta(weeks=1)
    assert parse_time_standard("30 Hari kerja").fixed_duration() is None  # needs the office calendar
    assert parse_time_standard("1 Bulan").fixed_duration() is None


def test_describe_in_both_languages():
    assert parse_time_standard("30 Hari kerja").describe("id") == "30 hari kerja"
    assert parse_time_standard("30 Hari kerja").describe("en") == "30 working days"
    assert parse_time_standard("1,5 jam").describe("id") == "1,5 jam"
