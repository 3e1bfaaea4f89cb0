"""How long the weekly report takes for a large office, and how much memory it needs.

A ledger (SQLite) holding one week of a province-sized install: 500 OPD sites crawled on three Mondays,
200 links probed every minute (10,080 samples each, 2.0 M rows) with hourly SNMP rates, 300 cases. Ten
links were down for two hours on Tuesday and five cases are still open past their deadline, so the
exceptions have something to show (the number of rows is the first wave's).

Times the figures (reports/data.py) beside the reference, the sqlite3 command line computing the
per-link uptime with one GROUP BY (the part of the figures that reads the most rows), in the same run.
Then the short PDF (report.pdf_detail: short, the default) and the full one (full) are each made in a
spawned process of their own, as `sigap serve` makes the report: figures, HTML, PDF, XLSX; each prints
its pages, its render time (HTML and PDF) and its process's peak RSS.

    .venv/bin/python tests/bench/bench_report.py [--links 200] [--sites 500] [--page-image PNG]

--page-image writes page 1 of the short PDF as a PNG (pdftoppm), the README's picture of it.
"""

from __future__ import annotations

import argparse
import multiprocessing
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
sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/helpers, after the packages

from agents.config import Config
from reports import data, render
from reports.period import Week
from sop_registry.ledger import connect, records, upgrade
from sop_registry.ledger.models import Case, CaseDeadline, Sample
from sop_registry.ledger.store import FindingRecord, begin_step_run, finish_step_run
from sop_registry.loader import load_registry

WEEK = Week(2026, 47)
LONG_OUTAGE = {f"l{i}" for i in range(0, 200, 20)}  # down Tuesday 10:00-12:00 office time


def config(sites: int, links: int, state: Path, detail: str = "short") -> Config:
    return Config.model_validate(
        {
            "office": OFFICE,
            "report": {"pdf_detail": detail},
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


OFFICE = {
    "name": "Dinas Komunikasi dan Informatika Provinsi Uji",
    "short_name": "Diskominfo Provinsi Uji",
    "timezone": "Asia/Makassar",
    "letterhead": {
        "government": "PEMERINTAH PROVINSI UJI",
        "name": "DINAS KOMUNIKASI DAN INFORMATIKA",
        "address": ["Jl. Contoh No. 1, Kota Uji 75000"],
        "phone": "(0541) 000000",
        "email": "diskominfo@prov.example",
        "website": "diskominfo.prov.example",
        "city": "Kota Uji",
    },
    "kepala_bidang": {
        "name": "Ir. Contoh Kepala, M.T.",
        "position": "Kepala Bidang Aplikasi Informatika",
        "rank": "Pembina (IV/a)",
        "nip": "19700101 199503 1 001",
    },
}


def extras(engine, registry, cfg: Config) -> None:
    """A DNS run with a drift still open and a certificate check with one close to expiry, written by
    the DNS and certificate agents' own writers (as tests/helpers/reportfill.py does)."""
    from helpers.reportfill import tls_probe

    from agents.kinds import dns as dns_kind
    from agents.kinds import tls as tls_kind
    from checks.dns.model import DnsResult
    from checks.finding import Finding as CheckFinding
    from checks.tls.evaluate import evaluate as tls_evaluate
    from checks.tls.model import TlsTarget, TlsThresholds

    start, _ = WEEK.bounds(cfg.office.zone)
    orphan = DnsResult(
        "lama.prov.test", "warn", "orphan",
        findings=[CheckFinding("dns_orphan", "warn", {"name": "lama.prov.test", "observed": ["127.0.0.7"]})],
    )  # fmt: skip
    checked = start + timedelta(days=3)
    cert = tls_evaluate(
        TlsTarget("opd3.prov.test", 443, "opd3.prov.test"),
        tls_probe(["opd3.prov.test"], checked + timedelta(days=12)),
        checked,
        TlsThresholds(),
    )
    with Session(engine) as s, s.begin():
        for sop, agent, at, findings in (
            ("polman-14", "dns_ip", start + timedelta(days=2), dns_kind.to_findings(orphan)),
            ("polman-19", "tls_cert", checked, tls_kind.to_findings(cert, "OPD 003")),
        ):
            step = next(st.no for st in registry[sop].steps if st.automation is not None)
            run = begin_step_run(s, registry[sop], step, started_at=at, agent=agent)
            finish_step_run(s, run, finished_at=at + timedelta(minutes=1), findings=findings)


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
            down = m % 997 < 3 or (link.id in LONG_OUTAGE and 24 * 60 + 600 <= m < 24 * 60 + 720)
            batch.append({"series": records.link_up(link.id), "at": at, "value": 0.0 if down else 1.0})
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
                state="open" if i >= 295 else "resolved",
                current_step_no=1,
                opened_at=opened,
                updated_at=opened,
                resolved_at=None if i >= 295 else opened + timedelta(hours=1),
                provider_wait_s=600,
            )
            case.deadlines = [
                CaseDeadline(
                    step_no=n,
                    role="Teknisi",
                    due_at=opened + timedelta(minutes=10 * n),
                    done_at=None if i >= 295 else opened + timedelta(minutes=9 * n + i % 5),
                    breached_at=opened + timedelta(minutes=10 * n) if i >= 295 else None,
                )
                for n in (1, 2, 3)
            ]
            s.add(case)
    return rows


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    print(f"{label:<34} {elapsed:8.2f} s")
    return result, elapsed


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def render_in_child(db: str, sites: int, links: int, state: str, detail: str, image: str | None) -> dict:
    """One report as the service makes it, in a process of its own: figures, HTML (with the mail's
    PNG charts), PDF, XLSX. Returns the times, the pages and this process's peak RSS."""
    from sop_registry.ledger import connect

    engine = connect(f"sqlite:///{db}")
    cfg = config(sites, links, Path(state), detail)
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    started = time.perf_counter()
    with Session(engine) as s:
        report = data.build(s, cfg, WEEK, now)
    figures = time.perf_counter() - started
    started = time.perf_counter()
    html = render.html(report, cfg, "id", with_png=True)
    pdf = render.pdf(html)
    rendered = time.perf_counter() - started
    started = time.perf_counter()
    xlsx = render.xlsx(report, cfg, "id")
    sheets = time.perf_counter() - started
    engine.dispose()
    if image:
        base = Path(image).with_suffix("")
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", handle.name,
                            str(base)], check=True)  # fmt: skip
    return {
        "figures": figures,
        "render": rendered,
        "xlsx": sheets,
        "pages": pages_of(pdf),
        "sizes": (len(html), len(pdf), len(xlsx)),
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--page-image", help="write page 1 of the short PDF here (PNG)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ledger.db"
        engine = connect(f"sqlite:///{db}")
        upgrade(engine)
        cfg = config(args.sites, args.links, Path(tmp) / "state")
        registry = load_registry()
        rows, _ = timed("fill the ledger", lambda: fill(engine, registry, cfg))
        extras(engine, registry, cfg)
        print(f"{'samples in the ledger':<34} {rows:8d}")
        now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
        with Session(engine) as s:
            report, figures = timed("figures (reports/data.py)", lambda: data.build(s, cfg, WEEK, now))
        start, end = WEEK.bounds(cfg.office.zone)
        sql = (
            "SELECT series, avg(value) FROM samples WHERE series LIKE 'link:%:up' "
            f"AND at >= '{start:%Y-%m-%d %H:%M:%S}' AND at < '{end:%Y-%m-%d %H:%M:%S}' GROUP BY series"
        )
        command = ["sqlite3", str(db), sql]
        out, reference = timed(
            "reference: sqlite3 uptime GROUP BY",
            lambda: subprocess.run(command, capture_output=True, text=True, check=True).stdout,
        )
        print(f"{'  figures / reference':<34} {figures / reference:8.2f} x")
        print(
            f"{'  links with uptime (sqlite3/sigap)':<34} {len(out.splitlines()):4d} / "
            f"{sum(1 for r in report.links if r.uptime_pct is not None)}"
        )
        engine.dispose()
        spawn = multiprocessing.get_context("spawn")
        made = {}
        for detail in ("short", "full"):
            image = args.page_image if detail == "short" else None
            job = (str(db), args.sites, args.links, str(Path(tmp) / "state"), detail, image)
            with spawn.Pool(1) as pool:
                made[detail] = m = pool.apply(render_in_child, job)
            html_kib, pdf_kib, xlsx_kib = (n / 1024 for n in m["sizes"])
            print(
                f"{detail + ' PDF (HTML + WeasyPrint)':<34} {m['render']:8.2f} s  {m['pages']} pages; in "
                f"its process: figures {m['figures']:.2f} s, XLSX {m['xlsx']:.2f} s, peak RSS {m['rss']:.0f} "
                f"MiB; HTML {html_kib:.0f} KiB, PDF {pdf_kib:.0f} KiB, XLSX {xlsx_kib:.0f} KiB"
            )
        short, full = made["short"], made["full"]
        print(
            f"report bench: figures {figures:.2f} s, reference {reference:.2f} s, "
            f"short PDF {short['pages']} pages in {short['render']:.2f} s, "
            f"full PDF {full['pages']} pages in {full['render']:.2f} s, "
            f"render peak RSS {short['rss']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
