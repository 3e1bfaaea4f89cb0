"""What a site or the config says is untrusted in the weekly report (house rule 10): in the workbook a
text is a text cell, never a formula (`=HYPERLINK(...)`, `+1+1`, `@SUM(A1)`, `-2+3`), and in the
HTML it is escaped, never markup. The week is written by the real agents' writers: a crawl recap and
its findings, DNS and certificate findings, and cases.
"""

from __future__ import annotations

import zipfile
from datetime import timedelta

import pytest
from helpers.reportfill import GENERATED, auto_step, make_config, tls_probe, wita
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from agents import weekly_report
from agents.config import Website
from agents.kinds import tls as tls_kind
from agents.kinds import web as web_kind
from checks.tls.evaluate import evaluate as tls_evaluate
from checks.tls.model import TlsTarget, TlsThresholds
from checks.web import SiteSpec
from checks.web.crawl import Evidence
from checks.web.evaluate import evaluate as web_evaluate
from checks.web.fetch import FetchError
from checks.web.model import Dated
from reports.period import Week
from sop_registry.ledger import connect, records, upgrade
from sop_registry.ledger.models import Case
from sop_registry.ledger.store import FindingRecord, begin_step_run, finish_step_run
from sop_registry.loader import load_registry

W47 = Week(2026, 47)
LINK = '=HYPERLINK("http://127.0.0.1/x","klik")'
PLUS, AT, MINUS, TAB, ERROR = "+1+1", "@SUM(A1)", "-2+3", "\t=1+1", "#N/A"
SCRIPT = "<script>alert(1)</script>"
RUMUS = "https://rumus.kab.test/"
TAMBAH = "https://tambah.kab.test/?q=<script>alert(2)</script>"
SKRIP = "https://skrip.kab.test/"
CRAWL = wita(2026, 11, 23, 7, 0)  # the Monday crawl that closes W47


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _config(tmp_path):
    return make_config(
        tmp_path,
        office={"name": f"{PLUS} Diskominfo"},
        targets={
            "websites": [
                {"id": "rumus", "opd": LINK, "url": RUMUS},
                {"id": "tambah", "opd": PLUS, "url": TAMBAH},
                {"id": "skrip", "opd": '<script>alert("opd")</script>', "url": SKRIP},
            ],
            "links": [
                {
                    "id": "link-rumus",
                    "opd": AT,
                    "host": "127.0.0.1",
                    "contracted_down_mbps": 10,
                    "contracted_up_mbps": 10,
                    "provider": MINUS,
                }
            ],
        },
    )


def _run(session, registry, sop_id, agent, at, findings, details=None):
    run = begin_step_run(session, registry[sop_id], auto_step(registry, sop_id), started_at=at, agent=agent)
    return finish_step_run(
        session, run, finished_at=at + timedelta(minutes=2), findings=findings, details=details, summary="uji"
    )


def _site(config, site_id: str, evidence: Evidence):
    site = next(w for w in config.targets.websites if w.id == site_id)
    spec = SiteSpec(url=site.url, timezone="Asia/Makassar")
    return Website(id=site.id, opd=site.opd, url=site.url), web_evaluate(spec, evidence, CRAWL)


def _fill(engine, registry, config) -> None:
    stale = Dated(CRAWL - timedelta(days=40), "day", "html:label", f"{RUMUS}berita/1", "berita")
    pairs = [
        _site(config, "rumus", Evidence(dated=[stale])),
        # A hostile Content-Type header and a hostile maintenance notice, quoted by the findings.
        _site(config, "tambah", Evidence(fatal=FetchError("not_html", f"text/x-{SCRIPT}", TAMBAH))),
        _site(config, "skrip", Evidence(maintenance="<img src=x onerror=alert(3)>", final_url=SKRIP)),
    ]
    recap = web_kind.recap_rows(pairs, config, "id")
    findings = [f for site, result in pairs for f in web_kind.to_findings(site, result)]
    dns = [
        FindingRecord(
            target=MINUS,
            status="warn",
            code="dns_orphan",
            message_id=LINK,
            message_en=LINK,
            details=records.DnsFindingDetails(kind="orphan", opd=AT).as_json(),
        ),
        FindingRecord(target=TAB, status="crit", code="dns_wrong_address", message_id=ERROR),
        FindingRecord(target="www.kab.test", status="crit", code="dns_wrong_address", message_id=SCRIPT),
    ]
    expired = tls_evaluate(
        TlsTarget("lama.kab.test", 443, "lama.kab.test"),
        tls_probe(["lama.kab.test"], wita(2026, 11, 10, 12, 0)),
        wita(2026, 11, 19, 6, 0),
        TlsThresholds(),
    )
    with Session(engine) as s, s.begin():
        crawl = records.WebRunDetails(recap=recap).as_json()
        _run(s, registry, "kaltim-monitoring-website", records.WEB_FRESHNESS, CRAWL, findings, crawl)
        _run(s, registry, "polman-14", records.DNS_IP, wita(2026, 11, 16, 9, 0), dns)
        certs = tls_kind.to_findings(expired, MINUS)
        _run(s, registry, "polman-19", records.TLS_CERT, wita(2026, 11, 19, 6, 0), certs)
        for n, (target, title) in enumerate([(MINUS, LINK), (AT, PLUS), ("skrip", SCRIPT)]):
            opened = wita(2026, 11, 17, 10, n)
            s.add(
                Case(
                    sop_id="polman-15",
                    step_no=1,
                    target=target,
                    sop_version="2019",
                    title=title,
                    state="open",
                    current_step_no=1,
                    opened_at=opened,
                    updated_at=opened,
                    provider_wait_s=0,
                    details={},
                )
            )


@pytest.fixture
def produced(tmp_path, registry):
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    config = _config(tmp_path)
    _fill(engine, registry, config)
    out = weekly_report.produce(config, registry, engine, W47, GENERATED, formats=("html", "xlsx"))
    engine.dispose()
    return out


def test_no_cell_of_the_workbook_is_a_formula(produced):
    path = produced.files["xlsx"]
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in xml or "<f " in xml for xml in sheets)
    book = load_workbook(path)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type in ("f", "e")]
    by_text: dict[str, list] = {}
    for c in cells:
        if isinstance(c.value, str):
            by_text.setdefault(c.value, []).append(c)
    for text, where in [
        (LINK, {"Kesegaran Konten Website OPD", "DNS", "Kasus"}),
        (PLUS, {"Kesegaran Konten Website OPD", "Kasus"}),
        (AT, {"Ketersediaan dan Utilisasi Taut", "DNS", "Kasus"}),
        (MINUS, {"Ketersediaan dan Utilisasi Taut", "DNS", "Sertifikat TLS", "Kasus"}),
        (TAB, {"DNS"}),
        (ERROR, {"DNS"}),
        (f"{PLUS} Diskominfo", {"Ringkasan"}),
    ]:
        found = by_text.get(text, [])
        assert {c.parent.title for c in found} >= where, (text, [c.parent.title for c in found])
        assert all(c.data_type == "s" for c in found), text
        # Excel keeps it text when a person edits the cell, too (OWASP's leading characters).
        assert all(c.quotePrefix for c in found) == (text[0] in "=+-@\t"), text
    # Numbers stay numbers, a negative one too: the expired certificate's days left.
    web = book["Kesegaran Konten Website OPD"]
    ages = [r[4] for r in web.iter_rows(min_row=2) if r[0].value == LINK]
    assert ages and ages[0].data_type == "n" and ages[0].value == 40
    certs = book["Sertifikat TLS"]
    days = [r[3] for r in certs.iter_rows(min_row=2) if r[1].value == MINUS]
    assert days and days[0].data_type == "n" and days[0].value < 0
    assert book["Ringkasan"]["B4"].is_date


def test_the_report_html_escapes_what_sites_and_config_say(produced):
    html = produced.files["html"].read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the Content-Type quoted by the finding
    assert "text/x-&lt;script&gt;" in html  # ...in the website table's findings
    assert "https://tambah.kab.test/?q=&lt;script&gt;alert(2)&lt;/script&gt;" in html  # the site's URL
    assert "&lt;img src=x onerror=alert(3)&gt;" in html  # the maintenance notice
    assert "&lt;script&gt;alert(&#34;opd&#34;)&lt;/script&gt;" in html  # an OPD name from the config
    assert "=HYPERLINK(&#34;http://127.0.0.1/x&#34;,&#34;klik&#34;)" in html  # words, as they were
