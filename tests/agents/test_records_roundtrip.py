"""What agents write and reports read, through the real writer and the real reader.

A hand-filled ledger once hid a certificate column that was always empty: the report read
`details["not_after"]`, which the TLS agent never wrote. Here the real agent runs against real
servers on loopback, and the real report code reads what it wrote.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from helpers.netservers import Nsd, free_port
from helpers.tlsserver import Issuer, TlsServer, pem
from helpers.websites import news_page, write_config
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import load_config
from agents.runner import run_step
from reports import data, render
from reports.period import Week
from sop_registry.ledger import connect, records, upgrade
from sop_registry.ledger.models import Finding, StepRun
from sop_registry.loader import load_registry

NAME = "sso.pemda.test"


def test_certificate_expiry_reaches_the_weekly_report(tmp_path: Path) -> None:
    root = Issuer("Sigap Test Root CA")
    ca_file = tmp_path / "root.pem"
    ca_file.write_bytes(pem(root.cert))
    leaf, key = root.leaf([NAME], days_left=5.5)
    with TlsServer([leaf], key) as srv:
        path = tmp_path / "sigap.yaml"
        path.write_text(
            "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
            f"database:\n  url: sqlite:///sigap.db\nstate_dir: {tmp_path / 'state'}\n"
            f"sops: [polman-19]\ntls:\n  ca_file: {ca_file}\n"
            "targets:\n  tls_endpoints:\n"
            f"    - {{id: sso, host: 127.0.0.1, port: {srv.port}, server_name: {NAME}, opd: Diskominfo}}\n"
        )
        config = load_config(path)
        registry = load_registry(())
        engine = connect(config.database_url())
        upgrade(engine)
        now = datetime.now(UTC)
        result = asyncio.run(run_step(config, engine, registry["polman-19"], 7, clock=lambda: now))
    assert result.status == "crit"  # 5 days left: at or below crit_days 7
    with Session(engine) as s:
        run = s.get(StepRun, result.run_id)
        written = [records.CertFindingDetails.from_json(f.details) for f in run.findings]
        week = Week.containing(now.astimezone(config.office.zone).date())
        start, end = week.bounds(config.office.zone)
        section = data.cert_section(s, start, end)
        report = data.build(s, config, week, now + timedelta(minutes=1))
    assert [w.not_after for w in written] == [leaf.not_valid_after_utc]
    [row] = section.rows
    assert (row.target, row.days_left, row.opd) == ("sso", 5, "Diskominfo")
    assert row.not_after == leaf.not_valid_after_utc
    html = render.html(report, config, "id")
    expiry = render.formatter(config, "id").day(leaf.not_valid_after_utc, False)
    assert expiry in html  # "6 Desember 2026": the table's "Berlaku sampai" column is filled
    engine.dispose()


def _ledger(tmp_path: Path, body: str):
    path = tmp_path / "sigap.yaml"
    path.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: sqlite:///sigap.db\nstate_dir: {tmp_path / 'state'}\n" + body
    )
    config = load_config(path)
    engine = connect(config.database_url())
    upgrade(engine)
    return config, engine


def _week(config, now: datetime):
    week = Week.containing(now.astimezone(config.office.zone).date())
    return week, *week.bounds(config.office.zone)


def test_dns_drift_keeps_the_opd_the_agent_wrote(tmp_path: Path) -> None:
    zone = "pemda.test"
    text = (
        f"$ORIGIN {zone}.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\n"
        "ns1 IN A 127.0.0.53\nportal IN A 127.0.0.99\n"
    )
    with Nsd({zone: text}) as nsd:
        config, engine = _ledger(
            tmp_path,
            f"dns:\n  nameservers: ['{nsd.address}']\n  zones: [{zone}]\n"
            "targets:\n  servers:\n"
            f"    - {{name: portal.{zone}, ips: [127.0.0.10], opd: Dinas Kesehatan}}\n",
        )
        now = datetime.now(UTC)
        result = asyncio.run(run_step(config, engine, load_registry(())["polman-14"], 7, clock=lambda: now))
    assert result.status == "crit"  # the zone says .99, the allocation list .10
    with Session(engine) as s:
        _, start, end = _week(config, now)
        section = data.dns_section(s, start, end)
    drift = {(r.target, r.code): r.opd for r in section.rows}
    assert drift[(f"portal.{zone}", "dns_wrong_address")] == "Dinas Kesehatan"
    engine.dispose()


def test_link_samples_are_the_series_the_report_reads(tmp_path: Path) -> None:
    closed = free_port()
    config, engine = _ledger(
        tmp_path,
        "link:\n  probes: 1\n  timeout_s: 0.5\n  down_after: 1\n"
        "targets:\n  links:\n"
        f"    - {{id: opd-a, opd: Dinas A, host: 127.0.0.1, method: tcp, port: {closed},"
        " contracted_down_mbps: 10, contracted_up_mbps: 10}\n",
    )
    sop = load_registry(())["polman-15"]
    start_at = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    for minute in range(3):
        at = start_at + timedelta(minutes=minute)
        asyncio.run(run_step(config, engine, sop, 1, clock=lambda at=at: at))
    with Session(engine) as s:
        week, start, end = _week(config, start_at)
        [row] = data.link_rows(s, config, week.days(), start, end, start_at + timedelta(minutes=10))
    assert (row.link_id, row.samples) == ("opd-a", 3)  # written as link_up(...), read as the same
    assert row.uptime_pct == 0.0  # refused on a closed port every time: down
    with Session(engine) as s:
        down = s.scalars(select(Finding).where(Finding.code == "link_down")).first()
    # Said in office time, in the reader's words, not as the state's raw UTC ISO text.
    assert "WITA" in down.message_id and "+00:00" not in down.message_id, down.message_id
    assert "Tautan putus" in down.message_id and "since" in down.message_en and "WITA" in down.message_en
    engine.dispose()


def test_the_crawl_recap_reaches_the_website_table(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    # The page prints the day in the office's zone (WITA): 20 days before today there.
    published = (now - timedelta(days=20)).astimezone(ZoneInfo("Asia/Makassar"))
    with ThreadedWebServer({"127.0.35.1": Site().add("/", news_page(published))}) as srv:
        url = srv.url("127.0.35.1")
        config = load_config(write_config(tmp_path, [url]))
        engine = connect(config.database_url())
        upgrade(engine)
        sop = load_registry(())["kaltim-monitoring-website"]
        result = asyncio.run(run_step(config, engine, sop, 2, clock=lambda: now))
    assert result.status == "warn"
    with Session(engine) as s:
        _, start, end = _week(config, now)
        section = data.web_section(s, config, start, end, now + timedelta(minutes=1))
    [row] = section.rows
    assert (row.url, row.opd, row.status, row.age_days) == (url, "OPD 0", "warn", 20)
    zone = config.office.zone  # the page prints the day only: the date the agent read, in office time
    assert row.latest_published.astimezone(zone).date() == published.date()
    assert row.completeness is not None and "agenda" in row.missing_sections
    assert any("20 hari" in text for text in row.findings)
    assert section.run_id == result.run_id
    engine.dispose()


def test_an_injected_site_reaches_the_reports_content_security_section(tmp_path: Path) -> None:
    """The web agent's run on the saved PKK page (gambling links after </html>) writes content_injected;
    the weekly report's "Keamanan konten" rows read it back, with the OPD the config gives."""
    from reports.data.web import integrity_rows

    now = datetime.now(UTC)
    page = (
        Path(__file__).resolve().parents[1] / "fixtures" / "web" / "inject" / "pkk_home.html"
    ).read_bytes()
    with ThreadedWebServer({"127.0.35.2": Site().add("/", page)}) as srv:
        url = srv.url("127.0.35.2")
        config = load_config(write_config(tmp_path, [url]))
        engine = connect(config.database_url())
        upgrade(engine)
        sop = load_registry(())["kaltim-monitoring-website"]
        result = asyncio.run(run_step(config, engine, sop, 2, clock=lambda: now))
    assert result.status == "crit"
    with Session(engine) as s:
        run = s.get(StepRun, result.run_id)
        [row] = integrity_rows(s, [run], run.id, {url: "OPD 0"})
    assert (row.url, row.opd, row.code, row.status, row.in_latest) == (
        url,
        "OPD 0",
        "content_injected",
        "crit",
        True,
    )
    assert row.message_id
    engine.dispose()
