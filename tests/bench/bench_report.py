"""How long the weekly report takes for a large office, and how much memory it needs.

A ledger (SQLite) holding one week of a province-sized install: 500 OPD sites crawled on three Mondays,
200 links probed every minute (10,080 samples each, 2.0 M rows) with hourly SNMP rates, 300 cases.
Times the figures (reports/data.py), the HTML, the PDF and the XLSX, and prints the peak RSS.
Beside it, the reference: the sqlite3 command line computing the same per-link uptime with one
GROUP BY (the part of the figures that reads the most rows).

    .venv/bin/python tests/bench/bench_report.py [--links 200] [--sites 500]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agents.config import Config
from reports import data, render
from reports.period import Week
from sop_registry.ledger import connect, records, upgrade
from sop_registry.ledger.models import Case, CaseDeadline, Sample
from sop_registry.ledger.store import FindingRecord, begin_step_run, finish_step_run
from sop_registry.loader import load_registry

WEEK = Week(2026, 47)


def config(sites: int, links: int, state: Path) -> Config:
    return Config.model_validate(
        {
            "office": {"name": "Diskominfo Provinsi Uji", "timezone": "Asia/Makassar"},
            "database": {"url": "sqlite:///unused.db"},
            "state_dir": str(state),
            "targets": {
                "websites": [
                    {"id": f"s{i}", "opd": f"OPD {i:03d}", "url": f"https://opd{i}.prov.test/"}
                    for i in range(sites)
                ],
                "links": [
                    {
                        "id": f"l{i}",
                        "opd": f"OPD {i:03d}",
                        "host": "127.0.0.1",
                        "contracted_down_mbps": 50,
                        "contracted_up_mbps": 20,
                    }
                    for i in range(links)
                ],
            },
        }
    )


def fill(engine, registry, cfg: Config) -> int:
    zone = cfg.office.zone
    start, _ = WEEK.bounds(zone)
    sop = registry["kaltim-monitoring-website"]
    with Session(engine) as s, s.begin():
        for monday in (start - timedelta(days=7), start, start + timedelta(days=7)):
            at = monday + timedelta(hours=7)
            recap, findings = [], []
            for i, site in enumerate(cfg.targets.websites):
                age = (i * 7) % 60
                status = "ok" if age <= 7 else ("warn" if age <= 30 else "crit")
                recap.append(
                    {
                        "site_id": site.id,
                        "opd": site.opd,
                        "url": site.url,
                        "status": status,
                        "latest_published": (at - timedelta(days=age)).isoformat(),
                        "age_days": age,
                        "agenda_updated": None,
                        "completeness_score": 75.0,
                        "missing_sections": ["agenda"],
                        "findings": [],
                    }
                )
                if status != "ok":
                    findings.append(
                        FindingRecord(target=site.url, status=status, code="content_stale", message_id="basi")
                    )
            run = begin_step_run(s, sop, 2, started_at=at, agent="web_freshness")
            finish_step_run(
                s, run, finished_at=at + timedelta(minutes=30), findings=findings, details={"recap": recap}
            )
    rows = 0
    for link in cfg.targets.links:
        batch = []
        for m in range(7 * 24 * 60):
            at = start + timedelta(minutes=m)
            batch.append({"series": records.link_up(link.id), "at": at, "value": 0.0 if m % 997 < 3 else 1.0})
        for h in range(7 * 24):
            at = start + timedelta(hours=h)
            batch.append({"series": records.bw_down_bps(link.id), "at": at, "value": 1e6 * (10 + h % 30)})
            batch.append({"series": records.bw_up_bps(link.id), "at": at, "value": 5e6})
        with Session(engine) as s, s.begin():
            s.execute(insert(Sample), batch)
        rows += len(batch)
    with Session(engine) as s, s.begin():
        for i in range(300):
            opened = start + timedelta(minutes=31 * i)
            case = Case(
                sop_id="polman-15",
                step_no=1,
                target=f"l{i % 200}",
                sop_version="2019",
                title=f"Gangguan l{i}",
                state="resolved",
                current_step_no=1,
                opened_at=opened,
                updated_at=opened,
                resolved_at=opened + timedelta(hours=1),
                provider_wait_s=600,
            )
            case.deadlines = [
                CaseDeadline(
                    step_no=n,
                    role="Teknisi",
                    due_at=opened + timedelta(minutes=10 * n),
                    done_at=opened + timedelta(minutes=9 * n + i % 5),
                )
                for n in (1, 2, 3)
            ]
            s.add(case)
    return rows


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"{label:<34} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--sites", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ledger.db"
        engine = connect(f"sqlite:///{db}")
        upgrade(engine)
        cfg = config(args.sites, args.links, Path(tmp) / "state")
        registry = load_registry()
        rows = timed("fill the ledger", lambda: fill(engine, registry, cfg))
        print(f"{'samples in the ledger':<34} {rows:8d}")
        now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
        with Session(engine) as s:
            report = timed("figures (reports/data.py)", lambda: data.build(s, cfg, WEEK, now))
        start, end = WEEK.bounds(cfg.office.zone)
        sql = (
            "SELECT series, avg(value) FROM samples WHERE series LIKE 'link:%:up' "
            f"AND at >= '{start:%Y-%m-%d %H:%M:%S}' AND at < '{end:%Y-%m-%d %H:%M:%S}' GROUP BY series"
        )
        command = ["sqlite3", str(db), sql]
        out = timed(
            "reference: sqlite3 uptime GROUP BY",
            lambda: subprocess.run(command, capture_output=True, text=True, check=True).stdout,
        )
        print(
            f"{'  links with uptime (sqlite3/sigap)':<34} {len(out.splitlines()):4d} / "
            f"{sum(1 for r in report.links if r.uptime_pct is not None)}"
        )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'peak RSS before rendering':<34} {before:8.0f} MiB")
        html = timed("HTML", lambda: render.html(report, cfg, "id"))
        pdf = timed("PDF (WeasyPrint)", lambda: render.pdf(html))
        xlsx = timed("XLSX (openpyxl)", lambda: render.xlsx(report, cfg, "id"))
        pages = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.decode()
        pages = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?")
        print(
            f"{'sizes: HTML / PDF / XLSX':<34} {len(html) / 1024:.0f} KiB / {len(pdf) / 1024:.0f} KiB "
            f"({pages} pages) / {len(xlsx) / 1024:.0f} KiB"
        )
        print(f"{'peak RSS':<34} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.0f} MiB")
        engine.dispose()


if __name__ == "__main__":
    main()
