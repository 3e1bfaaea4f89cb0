"""The Monday crawl as the runner does it, with a hostile site (a 200 KB link on its home page) and a
site whose address can never work (port 99999, which `config check` refuses; here it is forced in to
show that even then the run goes on): every other site is measured and cased, never an `error` run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from helpers.websites import news_page, write_config
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import Website, load_config
from agents.runner import run_step
from sop_registry.ledger import Case, Finding, connect, upgrade
from sop_registry.loader import load_registry

HUGE = "<a href='/berita/" + "x" * 200 * 1024 + "'>Berita</a>"


def test_a_hostile_and_an_impossible_site_do_not_stop_the_crawl(tmp_path) -> None:
    now = datetime.now(UTC)
    fresh, stale = news_page(now - timedelta(days=1)), news_page(now - timedelta(days=45))
    hostile = stale.replace("</body>", HUGE + "</body>")
    sites = {"127.0.36.1": Site().add("/", fresh), "127.0.36.2": Site().add("/", stale),
             "127.0.36.3": Site().add("/", hostile)}
    with ThreadedWebServer(sites) as srv:
        urls = [srv.url(h) for h in sites]
        config = load_config(write_config(tmp_path, urls))
        impossible = "http://127.0.36.4:99999/"
        # Past validation on purpose (config check refuses this URL; see tests/agents/test_config.py).
        config.targets.websites.append(Website.model_construct(id="opd9", opd="OPD 9", url=impossible))
        engine = connect(config.database_url())
        upgrade(engine)
        sop = load_registry(())["kaltim-monitoring-website"]
        result = asyncio.run(run_step(config, engine, sop, 2, clock=lambda: now))
    assert result.status != "error"
    with Session(engine) as s:
        findings = s.scalars(select(Finding).where(Finding.step_run_id == result.run_id)).all()
        cased = {c.target for c in s.scalars(select(Case))}
    engine.dispose()
    by_site = {}
    for f in findings:
        by_site.setdefault(f.target, set()).add((f.code, f.status))
    assert ("content_fresh", "ok") in by_site[urls[0]]
    assert ("content_stale", "crit") in by_site[urls[1]]
    # The hostile site is read like any other: its 200 KB link is passed over, its date still found.
    assert ("content_stale", "crit") in by_site[urls[2]]
    impossible_codes = {code for code, _ in by_site[impossible]}
    assert impossible_codes & {"internal_error", "site_url_invalid", "site_unreachable"}
    assert {urls[1], urls[2]} <= cased and urls[0] not in cased
