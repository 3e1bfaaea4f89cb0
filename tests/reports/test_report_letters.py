"""Letters to the OPDs whose sites stayed stale: one page on the letterhead to the OPD's head, the
site, its newest berita's date and the weeks, the SOP, the number left blank, the signature block,
a copy to the site's admin; PDF read with pdftotext, DOCX with python-docx."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import docx  # python-docx: a dependency of the package (the letters' DOCX)
import pytest
import yaml
from helpers.cli import sigap_with as sigap
from helpers.reportfill import DINKES, GENERATED, config_data, fill_full_week, make_config

from agents import report_letters
from reports.period import Week
from sop_registry.ledger import connect, upgrade
from sop_registry.loader import load_registry

W47 = Week(2026, 47)
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
OFFICE = {
    "letterhead": {
        "government": "PEMERINTAH KABUPATEN UJI",
        "name": "DINAS KOMUNIKASI DAN INFORMATIKA",
        "address": ["Jl. Jenderal Sudirman No. 1, Uji 91311"],
        "phone": "(0428) 21000",
        "city": "Uji",
        "on_behalf_of": "Kepala Dinas Komunikasi dan Informatika",
    },
    "kepala_bidang": {
        "name": "Ir. Andi Basri",
        "position": "Kepala Bidang Aplikasi Informatika",
        "rank": "Pembina (IV/a)",
        "nip": "19700101 199503 1 001",
    },
    "opds": [
        {
            "name": "Dinas Kesehatan",
            "head": {"name": "dr. Siti Rahma, M.Kes.", "position": "Kepala Dinas Kesehatan Kabupaten Uji"},
            "address": ["Jl. Kesehatan No. 5, Uji"],
        }
    ],
}
WEBSITES = [
    {"id": "dinkes", "opd": "Dinas Kesehatan", "url": DINKES,
     "admin": {"name": "Budi Admin", "email": "admin@dinkes.kab.test"}},
    {"id": "disdik", "opd": "Dinas Pendidikan", "url": "https://disdik.kab.test/"},
    {"id": "bappeda", "opd": "Bappeda", "url": "https://bappeda.kab.test/"},
]  # fmt: skip


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


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return " ".join(" ".join(parts).split())


@needs_poppler
def test_a_letter_to_the_opd_whose_site_was_stale_three_weeks(full, tmp_path, registry):
    config = make_config(tmp_path, office=OFFICE, targets={"websites": WEBSITES})
    made = report_letters.make(config, registry, full, W47, GENERATED)
    # Dinas Kesehatan: stale on 9, 16 and 23 Nov (3 weeks); Dinas Pendidikan 1 week: no letter
    assert [(m.opd, m.kind, m.weeks, m.addressed) for m in made] == [("Dinas Kesehatan", "notice", 3, True)]
    files = made[0].files
    assert sorted(p.name for p in files.values()) == [
        "surat-dinas-kesehatan-2026-W47.docx", "surat-dinas-kesehatan-2026-W47.pdf"
    ]  # fmt: skip
    assert files["pdf"].parent == tmp_path / "state" / "reports" / "2026-W47" / "surat"
    info = subprocess.run(["pdfinfo", str(files["pdf"])], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)  # one page
    pdf = " ".join(subprocess.run(["pdftotext", str(files["pdf"]), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())  # fmt: skip
    for text in (pdf, docx_text(files["docx"].read_bytes())):
        for line in (
            "PEMERINTAH KABUPATEN UJI",
            "Uji, 23 November 2026",  # made on Monday 23 Nov
            "......./......./Diskominfo Uji/2026",  # the number, for the office to fill in
            "Pemberitahuan Konten Website Belum Diperbarui",
            "Kepala Dinas Kesehatan Kabupaten Uji",
            "dr. Siti Rahma, M.Kes.",
            "SOP Monitoring Website OPD di Lingkungan Pemerintah Provinsi Kalimantan Timur "
            "(kaltim-monitoring-website, langkah 2)",
            "Senin, 23 November 2026 07.00 WITA",  # the crawl
            "belum diperbarui selama 3 minggu berturut-turut",
            DINKES,
            "16 Oktober 2026",  # the newest berita: 38 days before the crawl
            "38 hari",
            "3 minggu",
            "a.n. Kepala Dinas Komunikasi dan Informatika",
            "Ir. Andi Basri",
            "NIP 19700101 199503 1 001",
            "Admin website Dinas Kesehatan (Budi Admin, admin@dinkes.kab.test)",
        ):
            assert line in text, line


def test_a_reprimand_from_the_configured_weeks_and_an_opd_without_a_head(full, tmp_path, registry):
    config = make_config(tmp_path, report={"reprimand_after_weeks": 3})  # no office.opds
    (made,) = report_letters.make(config, registry, full, W47, GENERATED, formats=("docx",))
    assert (made.kind, made.addressed, list(made.files)) == ("reprimand", False, ["docx"])
    text = docx_text(made.files["docx"].read_bytes())
    assert "Teguran atas Konten Website yang Tidak Diperbarui" in text and "Kepala Dinas Kesehatan" in text
    none = make_config(tmp_path, report={"letter_after_weeks": 4})
    assert report_letters.make(none, registry, full, W47, GENERATED) == []


def test_the_letters_command(tmp_path, registry):
    data = config_data(tmp_path, office=OFFICE)
    data["targets"]["websites"] = WEBSITES
    data["database"] = {"url": f"sqlite:///{tmp_path / 'cli.db'}"}
    path = tmp_path / "sigap.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    engine = connect(data["database"]["url"])
    upgrade(engine)
    fill_full_week(engine, registry)
    engine.dispose()
    out = tmp_path / "out"
    out.mkdir()
    result = sigap(path, "report", "letters", "--week", "2026-W47", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    (letter,) = json.loads(result.stdout)
    assert (letter["opd"], letter["weeks"], letter["kind"]) == ("Dinas Kesehatan", 3, "notice")
    assert sorted(p.name for p in out.iterdir()) == [
        "surat-dinas-kesehatan-2026-W47.docx", "surat-dinas-kesehatan-2026-W47.pdf"
    ]  # fmt: skip
    bad = sigap(path, "report", "letters", "--week", "2026-W47", "--format", "odt")
    assert bad.returncode == 2 and "--format: 'odt' is not one of pdf, docx" in bad.stderr
    month = sigap(path, "report", "monthly", "--month", "2026-13")
    assert month.returncode == 2 and "--month: '2026-13' is not a month such as 2026-11" in month.stderr
    which = sigap(path, "report", "approve", "--by", "X")
    assert which.returncode == 2 and "--week or --month" in which.stderr
