"""What agents write and reports read, through the real writer and the real reader.

A hand-filled ledger once hid a certificate column that was always empty: the report read
`details["not_after"]`, which the TLS agent never wrote. Here the real agent runs against real
servers on loopback, and the real report code reads what it wrote.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session
from tlsserver import Issuer, TlsServer, pem

from agents.config import load_config
from agents.runner import run_step
from reports import data, render
from reports.period import Week
from sop_registry.ledger import connect, records, upgrade
from sop_registry.ledger.models import StepRun
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
