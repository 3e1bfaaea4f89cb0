""" "Periksa sekarang": one site crawled now, as `sigap check web URL` crawls it, nothing recorded.

It runs in the page's threadpool thread on an event loop of its own (asyncio.run), so neither the
scheduler's loop nor uvicorn's waits on it. It is bounded three ways: the crawler's own per-site
budget (at most `SITE_BUDGET_S` here), a hard timeout around the whole crawl, and at most
`MAX_AT_ONCE` checks in the whole console at a time (another asks: 409, try again shortly).
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any

from checks.web import SiteSpec, Thresholds, crawl_sites, result_as_dict

from ..config.targets import Website
from .web import Conflict, Console

SITE_BUDGET_S = 60.0
HARD_TIMEOUT_S = SITE_BUDGET_S + 10
MAX_AT_ONCE = 2  # web.SLOW_THREADS: the lane these run in
_slots = threading.BoundedSemaphore(MAX_AT_ONCE)


def site_spec(console: Console, site: Website) -> SiteSpec:
    config = console.config
    return SiteSpec(
        url=site.url,
        timezone=config.office.timezone,
        thresholds=console.site_limits.get(site.id) or Thresholds(),
        respect_robots=not site.owned_by_office,
        sections=dict(config.web.sections),
    )


def check_site(console: Console, site: Website, now: datetime, lang: str) -> dict[str, Any]:
    """The site's result as `sigap check web --json` prints it; Conflict when the console is busy."""
    if not _slots.acquire(blocking=False):
        raise Conflict("busy")
    try:
        settings = console.config.web.crawl
        settings = settings.model_copy(
            update={"site_budget_s": min(settings.site_budget_s, SITE_BUDGET_S), "parse_workers": 0}
        )

        async def crawl() -> Any:
            results = await asyncio.wait_for(
                crawl_sites([site_spec(console, site)], settings, now), HARD_TIMEOUT_S
            )
            return results[0]

        return result_as_dict(asyncio.run(crawl()), lang)
    finally:
        _slots.release()
