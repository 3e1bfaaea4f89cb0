"""Injected content as the Monday crawl records it: the finding in the ledger, a case for the OPD's
website admin and in parallel one for the office's security role (web.injection.security_role), on
the website-monitoring SOP step, kept open by the first clean crawl and resolved by the second; and
`sigap check web --injection-only` for a quick sweep."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers.cli import sigap
from helpers.websites import news_page, write_config
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import load_config
from agents.kinds.web import INJECTION_TARGET, SECURITY_TARGET
from agents.notify.outbox import roles_for
from agents.runner import run_step
from sop_registry.ledger import Case, Finding, connect, upgrade
from sop_registry.loader import load_registry

SPAM = (
    '<div style="position:absolute;left:-9999px"><a href="https://gacor-maxwin.example/">slot gacor</a> '
    '<a href="https://toto-4d.example/">situs toto togel online</a></div>'
)


def _config(tmp_path: Path, url: str) -> Path:
    path = write_config(tmp_path, [url])
    path.write_text(path.read_text() + "web:\n  injection:\n    security_role: Tim CSIRT Kabupaten\n")
    return path


def test_two_cases_open_in_parallel_and_resolve_after_two_clean_crawls(tmp_path: Path) -> None:
    monday = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)
    site = Site()
    sites = {"127.0.79.1": site}
    with ThreadedWebServer(sites) as srv:
        url = srv.url("127.0.79.1")
        config = load_config(_config(tmp_path, url))
        engine = connect(config.database_url())
        upgrade(engine)
        sop = load_registry(())["kaltim-monitoring-website"]

        def crawl(week: int, injected: bool):
            now = monday + timedelta(days=7 * week)
            page = news_page(now - timedelta(days=1))
            site.add("/", page.replace("</body>", SPAM + "</body>") if injected else page)
            return asyncio.run(run_step(config, engine, sop, 2, clock=lambda: now))

        first = crawl(0, True)
        second = crawl(1, True)
        third = crawl(2, False)
        with Session(engine) as s:
            cases = {c.target: c for c in s.scalars(select(Case))}
            still_open = {t: c.state for t, c in cases.items()}
        fourth = crawl(3, False)
    assert first.cases_opened == 2 and second.cases_opened == 0 and second.cases_updated == 2
    assert third.cases_resolved == 0 and fourth.cases_resolved == 2
    admin, security = INJECTION_TARGET.format(url=url), SECURITY_TARGET.format(url=url)
    assert set(cases) == {admin, security}  # no freshness case: the site is fresh
    assert still_open == {admin: "open", security: "open"}  # one clean crawl is not enough
    assert "Admin Website OPD" in roles_for(cases[admin])
    assert "Tim CSIRT Kabupaten" in roles_for(cases[security])
    assert cases[admin].sop_id == "kaltim-monitoring-website" and cases[admin].step_no == 2
    assert "site_id" in cases[admin].details["first"] and "site_id" not in cases[security].details["first"]
    assert "hapus blok" in cases[admin].title
    with Session(engine) as s:
        rows = s.scalars(select(Finding).where(Finding.code == "content_injected").order_by(Finding.id)).all()
        resolved = {c.target: c.state for c in s.scalars(select(Case))}
    engine.dispose()
    assert resolved == {admin: "resolved", security: "resolved"}
    assert [r.status for r in rows] == ["crit", "crit"] and rows[0].target == url
    first_row, second_row = rows[0].details, rows[1].details
    assert first_row["seen_before"] is False and second_row["seen_before"] is True  # same hash, next week
    assert first_row["block_hash"] == second_row["block_hash"]
    assert second_row["first_seen"] == first_row["first_seen"]
    assert (
        first_row["techniques"] == ["hidden_css"] and "hxxps://gacor-maxwin[.]example/" in first_row["items"]
    )


def test_check_web_injection_only_prints_the_findings(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    page = news_page(now - timedelta(days=1))
    sites = {
        "127.0.79.2": Site().add("/", page.replace("</body>", SPAM + "</body>")),
        "127.0.79.3": Site().add("/", page),
    }
    with ThreadedWebServer(sites) as srv:
        urls = [srv.url(h) for h in sites]
        as_json = sigap("check", "web", "--injection-only", "--json", "--timeout", "3", *urls)
        hits = {h: list(s.hits) for h, s in sites.items()}
        table = sigap("check", "web", "--injection-only", "--timeout", "3", *urls)
    assert as_json.returncode == 0, as_json.stderr
    dirty, clean = (json.loads(line) for line in as_json.stdout.splitlines())
    assert dirty["status"] == "crit" and clean["status"] == "ok"
    (injected,) = [f for f in dirty["findings"] if f["code"] == "content_injected"]
    assert injected["evidence"]["techniques"] == ["hidden_css"]
    assert injected["evidence"]["location"].startswith("body")
    assert [f["code"] for f in clean["findings"]] == ["content_clean"]
    assert dirty["latest_published"] is None  # no freshness reading in a sweep
    # polite and bounded: robots.txt, the home page, the two views (a 404 robots is no sitemap lead)
    assert all(h == ["/robots.txt", "/", "/", "/"] for h in hits.values()), hits
    assert table.returncode == 0 and "CRIT" in table.stdout and "hidden_css" in table.stdout
