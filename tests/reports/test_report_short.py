"""The exceptions-first PDF (report.pdf_detail: short, the default), the kop surat and the signature
block, and the charts as PNG parts of the mail: read back with pdftotext/pdfinfo and from the message
an SMTP server on loopback received."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from helpers.reportfill import (
    DINKES,
    GENERATED,
    crawl_many,
    crawl_with_integrity,
    fill_full_week,
    make_config,
    many_sites,
    wita,
)
from PIL import Image

from agents import weekly_report
from reports.period import Week
from sop_registry.ledger import connect, upgrade
from sop_registry.loader import load_registry

W47 = Week(2026, 47)
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
LETTERHEAD = {
    "government": "PEMERINTAH KABUPATEN UJI",
    "name": "DINAS KOMUNIKASI DAN INFORMATIKA",
    "address": ["Jl. Jenderal Sudirman No. 1, Uji 91311"],
    "phone": "(0428) 21000",
    "email": "diskominfo@kab.test",
    "website": "diskominfo.kab.test",
    "city": "Uji",
}
KABID = {
    "name": "Ir. Andi Basri",
    "position": "Kepala Bidang Aplikasi Informatika",
    "rank": "Pembina (IV/a)",
    "nip": "19700101 199503 1 001",
}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture
def full(tmp_path, registry):
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    fill_full_week(engine, registry)
    yield engine
    engine.dispose()


def pdf_text(path, layout: bool = True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])


def office(**extra) -> dict:
    return {"letterhead": LETTERHEAD, "kepala_bidang": KABID, **extra}


@needs_poppler
def test_page_one_has_the_letterhead_and_what_needs_a_decision(full, tmp_path, registry):
    config = make_config(tmp_path, office=office())
    produced = weekly_report.produce(config, registry, full, W47, GENERATED, formats=("pdf",))
    text = pdf_text(produced.files["pdf"])
    first = text.split("\f")[0]
    for line in (
        "PEMERINTAH KABUPATEN UJI",
        "DINAS KOMUNIKASI DAN INFORMATIKA",
        "Jl. Jenderal Sudirman No. 1, Uji 91311",
        "Telepon (0428) 21000 · Pos-el diskominfo@kab.test · Laman diskominfo.kab.test",
        "Laporan Mingguan Monitoring TIK",
        "Yang perlu diputuskan minggu ini",
    ):
        assert line in first, line
    # what needs the Kepala Bidang, counted from the known week (tests/helpers/reportfill.py)
    for line in (
        "3 situs OPD tidak segar",  # dinkes stale, disdik ageing, bappeda not crawled
        "1 situs tidak diperbarui 3 minggu berturut-turut atau lebih",  # dinkes: 9, 16, 23 Nov
        "1 tautan di bawah target ketersediaan 99,5 %",  # link-dinkes 98.91 %, under-delivered too
        "1 ketidaksesuaian DNS belum diperbaiki",  # the orphan; the wrong address was fixed
        "1 sertifikat kedaluwarsa dalam 30 hari",  # dinkes.kab.test, 12 days
        "2 batas waktu langkah SOP terlewati",  # steps 1 (link-disdik) and 2 (link-dinkes)
        "1 kasus masih terbuka melewati batas waktu",  # link-disdik, due Thu 09:30
        "2 pelaksanaan langkah SOP terlewat, gagal atau melebihi waktu",  # the skipped DNS run, the crash
    ):
        assert line in " ".join(first.split()), line
    cells = " ".join(pdf_text(produced.files["pdf"], layout=False).split())  # a cell's lines in order
    assert "3 dari 3 situs tidak segar, terburuk lebih dulu." in cells
    assert "Tidak ada temuan konten sisipan atau perubahan tampilan situs." in cells
    assert "1 dari 2 tautan di bawah target ketersediaan 99,5 % atau di bawah kontrak." in cells
    assert "di bawah target," in cells and "bawah kontrak" in cells  # link-dinkes: both
    assert "lama.kab.test" in cells and "#4 Gangguan jaringan link" in cells  # wraps at the hyphen
    assert "19 November 2026 09.30 WITA" in cells  # overdue since


@needs_poppler
def test_the_signature_block_names_rank_and_nip_and_prints_the_approval(full, tmp_path, registry):
    config = make_config(tmp_path, office=office())
    weekly_report.produce(config, registry, full, W47, GENERATED, formats=("html",))
    approved_at = wita(2026, 11, 24, 10, 15)
    weekly_report.approve(config, registry, full, W47, "Ir. Andi Basri", approved_at, None)
    produced = weekly_report.produce(config, registry, full, W47, approved_at + timedelta(minutes=5))
    text = " ".join(pdf_text(produced.files["pdf"]).split())
    block = text[text.index("Persetujuan") :]
    for line in (
        "Uji, 24 November 2026",
        "Menyetujui, Kepala Bidang Aplikasi Informatika",
        "Disetujui oleh Ir. Andi Basri pada Selasa, 24 November 2026 10.15 WITA (revisi 1 laporan ini).",
        "Ir. Andi Basri Pembina (IV/a) NIP 19700101 199503 1 001",
    ):
        assert line in block, line


def test_someone_else_approving_is_not_given_the_kepala_bidangs_rank_and_nip(full, tmp_path, registry):
    config = make_config(tmp_path, office=office())
    weekly_report.produce(config, registry, full, W47, GENERATED, formats=("html",))
    weekly_report.approve(config, registry, full, W47, "Drs. Pengganti", GENERATED, "a.n.")
    html = weekly_report.produce(config, registry, full, W47, GENERATED, formats=("html",)).files["html"]
    body = html.read_text(encoding="utf-8")
    assert "Drs. Pengganti" in body and "19700101 199503 1 001" not in body


@needs_poppler
def test_injected_or_defaced_sites_are_listed_when_a_crawl_found_them(full, tmp_path, registry):
    crawl_with_integrity(
        full, registry, wita(2026, 11, 23, 7, 30), "content_injected", "Tautan judi tersisip di halaman utama"
    )
    config = make_config(tmp_path, office=office())
    produced = weekly_report.produce(config, registry, full, W47, GENERATED, formats=("pdf",))
    text = " ".join(pdf_text(produced.files["pdf"]).split())
    assert "1 situs memuat konten sisipan atau tampilannya diubah pihak lain" in text
    section = text[text.index("2. Konten Disusupi atau Situs Diubah") : text.index("3. Ketersediaan")]
    assert "Dinas Kesehatan" in section and DINKES in section
    assert "Tautan judi tersisip di halaman utama" in section and "masih ada" in section


@needs_poppler
def test_a_small_office_gets_everything_and_a_large_one_the_exceptions_in_few_pages(tmp_path, registry):
    sites = many_sites(120)
    engine = connect(f"sqlite:///{tmp_path / 'big.db'}")
    upgrade(engine)
    for monday in (9, 16, 23):
        crawl_many(engine, registry, sites, wita(2026, 11, monday, 7, 0))
    large = make_config(tmp_path, office=office(), targets={"websites": sites, "links": []})
    short = weekly_report.produce(large, registry, engine, W47, GENERATED, formats=("pdf",))
    text = " ".join(pdf_text(short.files["pdf"]).split())
    assert "80 dari 120 situs tidak segar" in text  # two in three: 12 days (ageing) and 40 (stale)
    assert "Tidak diperbarui — 40" in text and "Kurang segar — 40" in text
    assert "Tabel lengkap per OPD (semua situs dan tautan) ada di berkas XLSX" in text
    assert "Lampiran" not in text and "opd0.prov.test" not in text  # a fresh site is not listed
    assert pages(short.files["pdf"]) <= 3
    complete = make_config(tmp_path / "full", office=office(), targets={"websites": sites, "links": []},
                           report={"pdf_detail": "full"})  # fmt: skip
    whole = weekly_report.produce(complete, registry, engine, W47, GENERATED, formats=("pdf",))
    assert "opd0.prov.test" in pdf_text(whole.files["pdf"])
    assert pages(whole.files["pdf"]) > pages(short.files["pdf"])
    engine.dispose()


def test_the_mail_carries_the_charts_as_png_parts_the_body_names(mailbox, full, tmp_path, registry):
    box, port = mailbox
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "sigap@kab.test"}
    config = make_config(tmp_path, office=office(), report={"recipients": ["kabid@kab.test"], "smtp": smtp})
    produced = weekly_report.produce(config, registry, full, W47, GENERATED)
    weekly_report.deliver(config, registry, full, W47, GENERATED)
    (_, message), = box.messages
    html_part = message.get_body(("html",))
    body = html_part.get_content()
    assert "<svg" not in body  # Gmail and Outlook would drop it
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    parts = [p for p in related.iter_parts() if p.get_content_maintype() == "image"]
    images = {p["Content-ID"].strip().strip("<>"): p.get_content() for p in parts}
    referenced = set(re.findall(r'src="cid:([^"]+)"', body))
    assert images and referenced == set(images)
    for png in images.values():
        assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size[0] > 600
    # The archive keeps the SVG (a browser shows it), the attachments are the archived files.
    archived = produced.files["html"].read_text(encoding="utf-8")
    assert archived.count("<svg") == len(images)
    assert {p.get_filename() for p in message.iter_attachments()} == {
        "laporan-mingguan-2026-W47.pdf", "laporan-mingguan-2026-W47.xlsx"
    }  # fmt: skip
