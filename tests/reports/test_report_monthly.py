"""The monthly recap: the weekly sections over November 2026, with a row per week, archived and sent
like the weekly report. The same known ledger (tests/helpers/reportfill.py); the month holds the
week W47 and, outside it, the down sample of Sunday 15 Nov 23:50 and the 900 Mbps of 23 Nov 00:05."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from helpers.reportfill import fill_full_week, make_config, wita
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents import weekly_report
from reports import data
from reports.period import Month, Week
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import StepRun
from sop_registry.loader import load_registry

NOVEMBER = Month(2026, 11)
MADE = wita(2026, 12, 1, 9, 0)
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture
def full(db_url, registry):
    engine = connect(db_url)
    upgrade(engine)
    fill_full_week(engine, registry)
    yield engine
    engine.dispose()


def test_month_parsing_and_bounds():
    assert (NOVEMBER.first.isoformat(), NOVEMBER.last.isoformat()) == ("2026-11-01", "2026-11-30")
    assert [str(w) for w in NOVEMBER.weeks()] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48",
                                                  "2026-W49"]  # fmt: skip
    assert Month.previous_of(MADE, MADE.tzinfo) == NOVEMBER and str(Month.parse("2026-1")) == "2026-01"
    assert Month(2026, 12).last.isoformat() == "2026-12-31"


def test_the_months_figures_and_its_weeks(full, tmp_path):
    config = make_config(tmp_path)
    with Session(full) as session:
        report = data.build(session, config, NOVEMBER, MADE)
    dk = next(r for r in report.links if r.link_id == "link-dinkes")
    # W47's 1,008 samples and Sunday 15 Nov 23:50 (down), which the week left out
    assert dk.samples == 1009 and dk.uptime_pct == pytest.approx(997 / 1009 * 100)
    assert [(o.start, o.end, o.duration_s) for o in dk.outages] == [
        (wita(2026, 11, 15, 23, 50), wita(2026, 11, 16, 0, 0), 600.0),  # up again at the week's first
        (wita(2026, 11, 17, 10, 0), wita(2026, 11, 17, 11, 30), 5400.0),
        (wita(2026, 11, 22, 23, 40), None, 600.0),  # still down: the month has no sample after it
    ]
    assert len(dk.daily_uptime) == 30 and dk.daily_uptime[14] == 0.0 and dk.daily_uptime[15] == 100.0
    # download: 158 x 20 Mbps, 10 x 45 and the 900 of 23 Nov: nearest rank ceil(0.95 * 169) = 161 -> 45
    assert dk.bw_samples == 169 and dk.down_p95_mbps == pytest.approx(45.0) and dk.down_peak_mbps == 900
    assert len(dk.util_buckets) == 30  # one a day over a month
    weeks = {w.label: w for w in report.trend}
    assert list(weeks) == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    w46, w47, w48 = weeks["2026-W46"], weeks["2026-W47"], weeks["2026-W48"]
    assert (w46.link_samples, w46.uptime_pct, w46.outages) == (1, 0.0, 1)
    assert (w47.link_samples, w47.outages, w47.down_time_s) == (1008, 2, 6000.0)
    assert w47.uptime_pct == pytest.approx(997 / 1008 * 100)
    assert (w47.crawled_at, w47.sites_fresh, w47.sites_stale) == (wita(2026, 11, 23, 7, 0), 0, 1)
    assert weeks["2026-W45"].crawled_at == wita(2026, 11, 9, 7, 0) and weeks["2026-W45"].sites_fresh == 1
    assert (w47.cases_opened, w47.cases_closed, w47.sla_on_time, w47.sla_judged) == (2, 1, 2, 4)
    assert w48.cases_opened == 1 and w48.uptime_pct is None  # link-y, Monday 23 Nov
    w49 = weeks["2026-W49"]  # Monday 30 Nov alone: the week is cut to the month
    assert (w49.start, w49.end) == (wita(2026, 11, 30, 0, 0), wita(2026, 12, 1, 0, 0))


@needs_poppler
def test_the_monthly_recap_is_archived_sent_and_read(mailbox, tmp_path, registry):
    box, port = mailbox
    engine = connect(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    fill_full_week(engine, registry)
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "sigap@kab.test"}
    config = make_config(tmp_path, report={"recipients": ["kabid@kab.test"], "smtp": smtp})
    produced = weekly_report.produce(config, registry, engine, NOVEMBER, MADE)
    assert sorted(p.name for p in produced.files.values()) == [
        "laporan-bulanan-2026-11.html", "laporan-bulanan-2026-11.pdf", "laporan-bulanan-2026-11.xlsx"
    ]  # fmt: skip
    assert produced.directory.name == "2026-11"
    text = " ".join(
        subprocess.run(["pdftotext", str(produced.files["pdf"]), "-"], capture_output=True, text=True,
                       check=True).stdout.split()
    )  # fmt: skip
    for line in ("Laporan Bulanan Monitoring TIK", "November 2026", "1–30 November 2026", "Tren Mingguan",
                 "2026-W47", "Yang perlu diputuskan bulan ini", "98,81"):  # fmt: skip
        assert line in text, line
    book = load_workbook(produced.files["xlsx"])
    trend = book["Tren Mingguan"]
    rows = {r[0].value: [c.value for c in r] for r in trend.iter_rows(min_row=2)}
    assert rows["2026-W47"][6] == pytest.approx(997 / 1008 * 100) and rows["2026-W47"][7] == 2
    weekly_report.deliver(config, registry, engine, NOVEMBER, MADE)
    (_, message), = box.messages
    assert message["Subject"].startswith("Laporan Bulanan Monitoring TIK — November 2026 — Diskominfo Uji")
    assert {p.get_filename() for p in message.iter_attachments()} == {
        "laporan-bulanan-2026-11.pdf", "laporan-bulanan-2026-11.xlsx"
    }  # fmt: skip
    with Session(engine) as s:
        runs = s.scalars(select(StepRun).where(StepRun.agent == "weekly_report").order_by(StepRun.id)).all()
    assert [(r.step_no, r.details.get("month"), "week" in r.details) for r in runs] == [
        (4, "2026-11", False), (2, "2026-11", False)
    ]  # fmt: skip
    # a monthly send is not a week's: the service still owes W48's report (no crawl that Monday: it
    # waited report.wait_for_crawl_hours after 07:00)
    assert weekly_report.owed_week(config, engine, wita(2026, 11, 30, 11, 5)) == Week(2026, 48)
    engine.dispose()


def test_the_service_sends_last_months_recap_on_the_months_first_send_day(mailbox, tmp_path, registry):
    """report.monthly_auto_send: on the first Monday of December, after that week's report, November's
    recap; the service's child process is handed the period as text ("2026-11")."""
    from agents.report_steps import parse

    box, port = mailbox
    engine = connect(f"sqlite:///{tmp_path / 'svc.db'}")
    upgrade(engine)
    fill_full_week(engine, registry)
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "sigap@kab.test"}
    settings = {"recipients": ["kabid@kab.test"], "smtp": smtp, "monthly_auto_send": True}
    config = make_config(tmp_path, targets={"websites": [], "links": []}, report=settings)
    monday = wita(2026, 12, 7, 7, 5)
    assert weekly_report.owed_week(config, engine, wita(2026, 12, 7, 6, 59)) is None  # before 07:00
    for expected in (Week(2026, 49), NOVEMBER):
        owed = weekly_report.owed_week(config, engine, monday)
        assert owed == expected and parse(str(owed)) == expected
        weekly_report.make_and_send(config, registry, engine, owed, lambda: monday)
    assert weekly_report.owed_week(config, engine, monday) is None
    assert [m["Subject"].split(" — ")[:2] for _, m in box.messages] == [
        ["Laporan Mingguan Monitoring TIK", "Minggu ke-49 tahun 2026 (30 November – 6 Desember 2026)"],
        ["Laporan Bulanan Monitoring TIK", "November 2026"],
    ]
    engine.dispose()
