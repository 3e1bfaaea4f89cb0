"""The weekly report: figures from a ledger filled with a known week, checked against hand-computed
values; the PDF read back with poppler (pdftotext, pdftoppm), the workbook with openpyxl."""

from __future__ import annotations

import logging
import shutil
import subprocess
from datetime import datetime

import pytest
from helpers.reportfill import (
    BAPPEDA,
    CERT_NOT_AFTER,
    DINKES,
    DISDIK,
    GENERATED,
    WITA,
    fill_full_week,
    make_config,
    wita,
)
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents import weekly_report
from reports import data
from reports.period import Week
from sop_registry.errors import InputError
from sop_registry.ledger import connect, records, upgrade
from sop_registry.ledger.models import StepRun
from sop_registry.loader import load_registry

W47 = Week(2026, 47)
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


@pytest.fixture
def empty(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def build(engine, config, now=GENERATED, week=W47):
    with Session(engine) as session:
        return data.build(session, config, week, now)


# --- the week ---------------------------------------------------------------------------------


def test_week_parsing_and_bounds_in_office_time():
    week = Week.parse("2026-W47")
    assert (week.monday.isoformat(), week.sunday.isoformat()) == ("2026-11-16", "2026-11-22")
    start, end = week.bounds(WITA)
    assert start == wita(2026, 11, 16, 0, 0) and end == wita(2026, 11, 23, 0, 0)
    assert str(Week.parse("2026-W1")) == "2026-W01"
    assert Week.previous_of(wita(2026, 11, 23, 8, 0), WITA) == W47
    for bad in ("2026-47", "2026-W54", "W47"):
        with pytest.raises(InputError, match="--week"):
            Week.parse(bad)


# --- figures from a full week -------------------------------------------------------------------


def test_full_week_figures_match_the_hand_computed_ones(full, tmp_path):
    config = make_config(tmp_path)
    report = build(full, config)

    # websites: from the crawl of Monday 23 Nov (closes the week), against the one of 16 Nov
    web = report.web
    assert web.crawled_at == wita(2026, 11, 23, 7, 0)
    assert web.previous_crawled_at == wita(2026, 11, 16, 7, 0)
    rows = {r.url: r for r in web.rows}
    dinkes, disdik, bappeda = rows[DINKES], rows[DISDIK], rows[BAPPEDA]
    assert (dinkes.status, dinkes.age_days, dinkes.change, dinkes.weeks_stale) == ("crit", 38, "same", 3)
    assert dinkes.previous_status == "crit" and dinkes.completeness == 80.0
    assert dinkes.latest_published == wita(2026, 10, 16, 7, 0)
    assert (disdik.status, disdik.age_days, disdik.change, disdik.weeks_stale) == ("warn", 9, "worse", 1)
    assert bappeda.status is None and bappeda.age_days is None and bappeda.weeks_stale == 0
    assert web.counts == {"ok": 0, "warn": 1, "crit": 1, "unknown": 0, "no_data": 1}
    assert [r.url for r in web.rows] == [DINKES, DISDIK, BAPPEDA]  # worst first

    # links
    links = {r.link_id: r for r in report.links}
    dk = links["link-dinkes"]
    assert dk.samples == 1008
    assert dk.uptime_pct == pytest.approx(997 / 1008 * 100)
    assert [(o.start, o.end, o.duration_s) for o in dk.outages] == [
        (wita(2026, 11, 17, 10, 0), wita(2026, 11, 17, 11, 30), 5400.0),
        (wita(2026, 11, 22, 23, 40), None, 600.0),
    ]
    assert dk.down_time_s == 6000.0
    assert dk.daily_uptime[0] == 100.0
    assert dk.daily_uptime[1] == pytest.approx(135 / 144 * 100)
    assert dk.daily_uptime[6] == pytest.approx(142 / 144 * 100)
    assert dk.bw_samples == 168
    assert dk.down_mean_mbps == pytest.approx((158 * 20 + 10 * 45) / 168)
    assert dk.down_p95_mbps == pytest.approx(45.0) and dk.down_p95_pct == pytest.approx(90.0)
    assert dk.down_peak_mbps == pytest.approx(45.0)  # the 900 Mbps sample of 23 Nov is outside
    assert dk.under_delivery == 1
    assert len(dk.util_buckets) == 28 and dk.util_buckets[0] == pytest.approx(40.0)
    ds = links["link-disdik"]
    assert ds.samples == 0 and ds.uptime_pct is None and ds.down_p95_mbps is None and ds.outages == []
    assert set(ds.daily_uptime) == {None} and set(ds.util_buckets) == {None}
    assert report.mean_uptime_pct == pytest.approx(997 / 1008 * 100)  # the unmeasured link is not 0 %

    # DNS: two problems found, the wrong address fixed by Wednesday's run
    dns = report.dns
    assert dns.runs == 3 and dns.fixed == 1
    by_code = {r.code: r for r in dns.rows}
    assert by_code["dns_wrong_address"].fixed_at == wita(2026, 11, 18, 9, 0)
    assert by_code["dns_wrong_address"].opd == "Setda"
    assert by_code["dns_orphan"].fixed_at is None and by_code["dns_orphan"].last_seen == wita(
        2026, 11, 20, 9, 0
    )

    # certificates: the one expiring, not the healthy one
    assert report.certs.endpoints == 2
    assert [(c.target, c.days_left, c.not_after) for c in report.certs.rows] == [
        ("dinkes.kab.test:443", 12, CERT_NOT_AFTER)
    ]

    # cases: 2 opened (Tue, Thu), 1 resolved, 2 open at the end (x from before, disdik); wait 30 min
    cases = report.cases
    assert {c.target for c in cases.rows} == {"link-x", "link-dinkes", "link-disdik"}
    assert (cases.opened, cases.closed, cases.open_at_end) == (2, 1, 2)
    assert cases.provider_wait_s == 1800
    sla = {(r.sop_id, r.step_no): (r.on_time, r.breached, r.pending) for r in cases.sla}
    assert sla == {("polman-15", 1): (1, 1, 0), ("polman-15", 2): (0, 1, 0), ("polman-15", 3): (1, 0, 0)}
    assert next(r for r in cases.sla if r.step_no == 1).compliance_pct == 50.0
    assert next(c for c in cases.rows if c.target == "link-dinkes").breached_steps == [2]

    # SOP steps: the week's step runs, the skipped and the interrupted ones listed
    steps = {(r.sop_id, r.agent): (r.runs, r.done, r.skipped, r.errors) for r in report.steps.rows}
    assert steps == {
        ("kaltim-monitoring-website", "web_freshness"): (1, 1, 0, 0),
        ("polman-15", "link"): (8, 7, 0, 1),
        ("polman-13", "snmp_bandwidth"): (1, 1, 0, 0),
        ("polman-14", "dns_ip"): (4, 3, 1, 0),
        ("polman-19", "tls_cert"): (1, 1, 0, 0),
    }
    assert sorted(m.status for m in report.steps.missed) == ["error", "skipped"]


def test_an_unreadable_recap_row_costs_that_row_not_the_report(full, tmp_path, caplog):
    """A row another writer left unreadable (no url; not even an object) is said in the log and left
    out; the crawl's other sites, and the rest of the report, are as before."""
    config = make_config(tmp_path)
    with Session(full) as session, session.begin():
        crawls = session.scalars(
            select(StepRun).where(StepRun.agent == records.WEB_FRESHNESS).order_by(StepRun.started_at)
        ).all()
        for run in crawls:
            run.details = {**run.details, "recap": [*run.details["recap"], {"opd": "Dinas Lain"}, "x"]}
    with caplog.at_level(logging.WARNING, logger="sigap.ledger"):
        report = build(full, config)
    assert [r.url for r in report.web.rows] == [DINKES, DISDIK, BAPPEDA]
    assert report.web.counts == {"ok": 0, "warn": 1, "crit": 1, "unknown": 0, "no_data": 1}
    assert {r.url: r.change for r in report.web.rows}[DISDIK] == "worse"  # the previous crawl read too
    assert sum("recap row" in m and "unreadable" in m for m in caplog.messages) >= 4


def test_a_week_still_running_stops_at_now(full, tmp_path):
    config = make_config(tmp_path)
    report = build(full, config, now=wita(2026, 11, 18, 0, 0))
    dk = next(r for r in report.links if r.link_id == "link-dinkes")
    assert dk.samples == 2 * 144  # Monday and Tuesday only
    assert [o.end for o in dk.outages] == [wita(2026, 11, 17, 11, 30)]
    assert report.web.crawled_at == wita(2026, 11, 16, 7, 0)
    assert report.web.previous_crawled_at == wita(2026, 11, 9, 7, 0)
    assert report.cases.opened == 1 and report.dns.runs == 1


# --- an empty week ----------------------------------------------------------------------------------


def test_an_empty_week_has_no_figures_and_invents_none(empty, tmp_path):
    config = make_config(tmp_path)
    report = build(empty, config)
    assert report.web.crawled_at is None
    assert [r.status for r in report.web.rows] == [None, None, None]
    assert all(r.uptime_pct is None and r.samples == 0 for r in report.links)
    assert report.mean_uptime_pct is None
    assert report.dns.runs == 0 and report.certs.checked_at is None
    assert report.cases.rows == [] and report.steps.rows == []


def test_a_new_install_without_targets_renders(empty, tmp_path, registry):
    config = make_config(tmp_path, targets={"websites": [], "links": []})
    produced = weekly_report.produce(config, registry, empty, W47, GENERATED, formats=("html", "xlsx"))
    html = produced.files["html"].read_text(encoding="utf-8")
    assert html.count("tidak ada data") >= 2 and "Tidak ada penelusuran website" in html


# --- renderings ---------------------------------------------------------------------------------


def _pdf_text(path, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@needs_poppler
def test_full_week_pdf_has_the_sections_and_numbers(full, tmp_path, registry):
    logo = tmp_path / "logo.png"
    _png(logo)
    config = make_config(tmp_path, office={"logo": str(logo)})
    produced = weekly_report.produce(config, registry, full, W47, GENERATED)
    pdf = produced.files["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    for heading in (
        "Laporan Mingguan Monitoring TIK",
        "Dinas Komunikasi dan Informatika Kabupaten Uji",
        "Minggu ke-47 tahun 2026",
        "16–22 November 2026",
        "Kesegaran Konten Website OPD",
        "Ketersediaan dan Utilisasi Tautan OPD",
        "Kesesuaian DNS dengan Daftar Alokasi IP",
        "Sertifikat TLS",
        "Kasus dan Kepatuhan Waktu (SLA)",
        "Pelaksanaan Langkah SOP",
        "Persetujuan",
        "Ir. Andi Basri",
    ):
        assert heading in text, heading
    # Indonesian numbers and dates, office time
    assert "98,91" in text  # uptime of link-dinkes, decimal comma
    assert "90,0" in text  # p95 against the contract
    assert "1 j 30 m" in text and "1 j 40 m" in text  # the outage, the time down
    assert "Selasa, 17 November 2026 10.00 WITA" in text
    assert "Senin, 23 November 2026 07.00 WITA" in text  # the crawl the figures come from
    assert "tidak ada data" in text  # bappeda, link-disdik
    # A table cell wraps over lines (the findings column holds the agent's real sentences): read the
    # cells in reading order, white space folded.
    cells = " ".join(_pdf_text(pdf, layout=False).split())
    assert "memburuk" in cells and "tetap (Tidak diperbarui)" in cells
    assert "terputus (layanan berhenti mendadak)" in text  # the English reason in the reader's words
    pages = [line for line in text.splitlines() if "Halaman" in line]
    assert pages and pages[0].strip().endswith(f"Halaman 1 dari {len(pages)}")
    # page 1 as a picture: the logo and the charts are drawn (not a blank page)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True
    )
    png = next(tmp_path.glob("p-*1.png"))
    colours = _colours(png)
    assert colours > 20, colours


@needs_poppler
def test_empty_week_pdf_says_no_data(empty, tmp_path, registry):
    config = make_config(tmp_path)
    produced = weekly_report.produce(config, registry, empty, W47, GENERATED, formats=("pdf",))
    text = _pdf_text(produced.files["pdf"])
    assert "Tidak ada penelusuran website pada minggu ini." in text
    assert "Tidak ada kasus pada minggu ini." in text
    assert text.count("tidak ada data") >= 4
    assert " 0,00 %" not in text and "NaN" not in text


def test_english_rendering(full, tmp_path, registry):
    config = make_config(tmp_path, office={"language": "en"})
    produced = weekly_report.produce(config, registry, full, W47, GENERATED, formats=("html",))
    html = produced.files["html"].read_text(encoding="utf-8")
    assert "Weekly IT Monitoring Report" in html and "November 16–22, 2026" in html
    assert "Tuesday, November 17, 2026 10:00 WITA" in html and "98.91" in html
    assert "Kesegaran" not in html


def test_workbook_has_a_sheet_per_section_with_typed_cells(full, tmp_path, registry):
    config = make_config(tmp_path)
    produced = weekly_report.produce(config, registry, full, W47, GENERATED, formats=("xlsx",))
    book = load_workbook(produced.files["xlsx"])
    assert book.sheetnames == [
        "Ringkasan",
        "Kesegaran Konten Website OPD",
        "Ketersediaan dan Utilisasi Taut",
        "Gangguan tautan",
        "DNS",
        "Sertifikat TLS",
        "Kasus",
        "SLA",
        "Pelaksanaan Langkah SOP",
        "Langkah yang terlewat atau gaga",
    ]
    web = book["Kesegaran Konten Website OPD"]
    first = [c.value for c in web[2]]
    assert first[0] == "Dinas Kesehatan"
    assert isinstance(first[3], datetime) and first[3] == datetime(2026, 10, 16, 7, 0)  # office time
    assert web.cell(2, 4).number_format == "dd/mm/yyyy hh:mm"
    assert isinstance(first[4], int | float) and first[4] == 38
    bappeda = [c.value for c in web[4]]
    assert (
        bappeda[0] == "Bappeda"
        and bappeda[2] == "tidak ada data"
        and bappeda[3] is None
        and bappeda[4] is None
    )
    links = book["Ketersediaan dan Utilisasi Taut"]
    dk = [c.value for c in links[2]]
    assert dk[1] == "link-dinkes" and isinstance(dk[6], float) and dk[6] == pytest.approx(98.909, abs=1e-3)
    assert dk[11] == pytest.approx(90.0)
    ds = [c.value for c in links[3]]
    assert ds[1] == "link-disdik" and ds[5] == 0 and ds[6] is None and ds[10] is None  # not measured: empty
    outages = book["Gangguan tautan"]
    assert outages.cell(2, 3).value == datetime(2026, 11, 17, 10, 0) and outages.cell(2, 5).value == 5400
    assert outages.cell(3, 4).value is None  # still down
    sla = book["SLA"]
    assert [c.value for c in sla[2]] == ["polman-15", 1, "Teknisi Jaringan", 1, 1, 0, 50.0]


# --- helpers -------------------------------------------------------------------------------------


def _png(path) -> None:
    """A 64x64 two-colour PNG, written with zlib (no imaging library needed)."""
    import struct
    import zlib

    rows = b"".join(b"\x00" + (b"\x0d\x47\xa1" * 32 + b"\xf9\xa8\x25" * 32) for _ in range(64))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _colours(path) -> int:
    """Distinct colours in a PNG made by pdftoppm (8-bit RGB, filter bytes undone)."""
    import struct
    import zlib

    raw = path.read_bytes()
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(raw):
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        kind, body = raw[pos + 4 : pos + 8], raw[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    pixels = zlib.decompress(idat)
    stride = width * 3
    previous = bytearray(stride)
    seen = set()
    for y in range(height):
        line = pixels[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, current = line[0], bytearray(line[1:])
        for x in range(stride):
            left = current[x - 3] if x >= 3 else 0
            up = previous[x]
            corner = previous[x - 3] if x >= 3 else 0
            if kind == 1:
                current[x] = (current[x] + left) & 0xFF
            elif kind == 2:
                current[x] = (current[x] + up) & 0xFF
            elif kind == 3:
                current[x] = (current[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                current[x] = (current[x] + pred) & 0xFF
        seen.update(bytes(current[i : i + 3]) for i in range(0, stride, 3))
        previous = current
    return len(seen)
