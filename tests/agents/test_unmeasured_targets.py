"""A target whose check failed with a bug (internal_error) was not measured: the run goes on for every
other target, is not an `error` run, and the target's case is neither opened nor resolved."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from helpers.websites import news_page, write_config
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import load_config
from agents.runner import run_step
from checks.web import crawl as web_crawl
from sop_registry.ledger import Case, Finding, StepRun, connect, upgrade
from sop_registry.loader import load_registry


def test_internal_error_leaves_the_case_as_it_is(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)
    stale = news_page(now - timedelta(days=45))
    a, b, c = Site().add("/", stale), Site().add("/", stale), Site().add("/", stale)
    with ThreadedWebServer({"127.0.34.1": a, "127.0.34.2": b, "127.0.34.3": c}) as srv:
        url_a, url_b, url_c = (srv.url(h) for h in ("127.0.34.1", "127.0.34.2", "127.0.34.3"))
        config = load_config(write_config(tmp_path, [url_a, url_b]))
        engine = connect(config.database_url())
        upgrade(engine)
        sop = load_registry(())["kaltim-monitoring-website"]
        first = asyncio.run(run_step(config, engine, sop, 2, clock=lambda: now))
        assert first.cases_opened == 2

        real = web_crawl.parse_html

        def parse(body, url, *args, **kw):  # a parser bug on sites b and c only
            if "127.0.34.2" in url or "127.0.34.3" in url:
                raise KeyError("bug")
            return real(body, url, *args, **kw)

        monkeypatch.setattr(web_crawl, "parse_html", parse)
        a.add("/", news_page(now))  # site a publishes
        config = load_config(write_config(tmp_path, [url_a, url_b, url_c]))
        later = now + timedelta(minutes=5)
        second = asyncio.run(run_step(config, engine, sop, 2, clock=lambda: later))
    assert second.status != "error"
    assert (second.cases_opened, second.cases_resolved) == (0, 1)  # a resolved; c opens none
    with Session(engine) as s:
        states = {case.target: case.state for case in s.scalars(select(Case))}
        codes = {
            f.target: f.code
            for f in s.scalars(select(Finding).where(Finding.step_run_id == second.run_id))
            if f.status == "unknown"
        }
        assert s.get(StepRun, second.run_id).status in ("warn", "crit", "unknown")
    assert states == {url_a: "resolved", url_b: "open"}  # b's case waits for a real measurement
    assert codes == {url_b: "internal_error", url_c: "internal_error"}
    engine.dispose()
