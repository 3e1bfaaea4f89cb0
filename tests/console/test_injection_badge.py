"""The injection watch's finding on the console: a real crawl of the saved PKK page (gambling links
after </html>) is written by the web agent's own writers and read back by the Website OPD pages, which
show the badge and the evidence as text, never as links."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from helpers.console import NOW, make_world
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy.orm import Session

from agents.kinds import web as web_kind
from checks.web import CrawlSettings, SiteSpec, crawl_sites
from checks.web.model import WatchSettings
from sop_registry.ledger import records
from sop_registry.ledger.store import begin_step_run, finish_step_run

INJECT = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "inject"


def test_an_injected_site_has_its_badge_and_evidence(tmp_path) -> None:
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    try:
        site = next(s for s in w.config.targets.websites if s.id == "dinkes")
        page = Site().add("/", (INJECT / "pkk_home.html").read_bytes())
        settings = CrawlSettings(timeout_s=5, backoff_s=0.05, site_budget_s=30, retries=0)
        with ThreadedWebServer({"127.0.32.1": page}) as srv:
            spec = SiteSpec(url=srv.url("127.0.32.1"), timezone="Asia/Makassar", respect_robots=False)
            [result] = asyncio.run(crawl_sites([spec], settings, NOW, watch=WatchSettings()))
        codes = {f.code for f in result.findings}
        assert "content_injected" in codes, codes
        at = NOW + timedelta(minutes=10)  # newer than the world's own crawl
        recap = web_kind.recap_rows([(site, result)], w.config, "id")
        with Session(w.engine) as session, session.begin():
            sop = w.registry["kaltim-monitoring-website"]
            run = begin_step_run(
                session, sop, 2, started_at=at, agent="web_freshness", target_group="websites"
            )
            finish_step_run(
                session,
                run,
                finished_at=at,
                findings=web_kind.to_findings(site, result),
                details=records.WebRunDetails(recap=recap).as_json(),
                summary="uji",
            )
        client = w.login("admin")[0]
        listing = client.get("/websites").text
        assert '<span class="badge status-crit">Konten disusupi</span>' in listing
        detail = client.get(f"/websites/{site.id}").text
        assert "Tautan/kata yang disusupkan (jangan dibuka)" in detail and "after_html" in detail
        # the injected links are shown defanged, as text: no link to a gambling host is ever made
        assert 'href="http://slot' not in detail and 'href="https://slot' not in detail
    finally:
        w.close()
