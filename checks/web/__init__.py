"""Web freshness: has this OPD site published berita/artikel (and updated its agenda) lately?"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..finding import internal_error
from .messages import render as render_finding  # not `render`: checks.web.render is a submodule
from .model import DEFAULT_SECTIONS, CrawlSettings, SiteResult, SiteSpec, Thresholds, WatchSettings

if TYPE_CHECKING:
    import httpx

# The crawler (httpx, BeautifulSoup, lxml: a quarter of a second) is imported when a crawl runs:
# every `sigap` command reads the config, which reads only the settings in model.py.

__all__ = [
    "DEFAULT_SECTIONS",
    "CrawlSettings",
    "SiteResult",
    "SiteSpec",
    "Thresholds",
    "WatchSettings",
    "crawl_sites",
    "make_parse_pool",
    "result_as_dict",
]

log = logging.getLogger("sigap.checks.web")


async def crawl_sites(
    specs: Sequence[SiteSpec],
    settings: CrawlSettings,
    now: datetime,
    *,
    client: httpx.AsyncClient | None = None,
    on_result: Callable[[int, SiteResult], None] | None = None,
    pool: Executor | None = None,
    watch: WatchSettings | None = None,
    injection_only: bool = False,
) -> list[SiteResult]:
    """Crawl every site concurrently over one shared client; results in input order.

    `on_result(index, result)` is called as each site finishes (for progress bars and streaming).
    `pool` parses HTML in the caller's worker processes; without one, big crawls make their own.
    `watch` reads every site for injected content too (None or disabled: not); `injection_only`
    reads only that (robots.txt, the home page and the watch's own requests).
    """
    from .crawl import crawl_site
    from .fetch import Fetcher, make_client

    own_client = client is None
    client = client or make_client(settings)
    fetcher = Fetcher(client, settings)
    own_pool = pool is None
    pool = pool or _parse_pool(settings, len(specs))
    try:

        async def one(i: int, spec: SiteSpec) -> SiteResult:
            try:
                result = await crawl_site(spec, fetcher, now, pool, watch, injection_only=injection_only)
            except Exception as exc:  # a bug on one site: UNKNOWN for it, the crawl goes on
                result = failed_site(spec, now, exc)
            if on_result:
                on_result(i, result)
            return result

        return list(await asyncio.gather(*(one(i, s) for i, s in enumerate(specs))))
    finally:
        if own_pool and pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if own_client:
            await client.aclose()


def failed_site(spec: SiteSpec, now: datetime, exc: BaseException) -> SiteResult:
    """The result of a site whose crawl raised: UNKNOWN, one `internal_error` finding."""
    finding = internal_error(exc, log, spec.url)
    return SiteResult(spec.url, finding.status, now, findings=[finding], timezone=spec.timezone)


def _parse_pool(settings: CrawlSettings, n_sites: int) -> ProcessPoolExecutor | None:
    """Worker processes for HTML parsing on big crawls; a handful of sites is parsed in-line."""
    workers = settings.parse_workers
    if workers < 0:
        workers = (os.cpu_count() or 1) if n_sites >= 20 else 0
    return make_parse_pool(workers) if workers else None


def make_parse_pool(workers: int) -> ProcessPoolExecutor:
    """A pool for `crawl_sites(pool=...)`, for callers that keep one across crawls (or measure it)."""
    # forkserver, not fork: the crawler may run beside threads (a test server, the scheduler), and
    # forking a threaded process can copy a held lock into the child.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["checks.web.parse"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _iso(when: datetime | None, zone: str) -> str | None:
    return when.astimezone(ZoneInfo(zone)).isoformat() if when else None


def result_as_dict(result: SiteResult, lang: str = "id") -> dict[str, Any]:
    """The `sigap check web --json` contract: one object per site."""
    latest, agenda = result.latest, result.agenda
    return {
        "target": result.target,
        "status": result.status,
        "latest_published": _iso(latest.when, result.timezone) if latest else None,
        # through a splash page: "splash>feed", so the recap shows the hop beside the source
        "source": (f"splash>{latest.source}" if result.entry_url else latest.source) if latest else None,
        "item_url": latest.url if latest else None,
        "age_days": result.age_days,
        "agenda_updated": _iso(agenda.when, result.timezone) if agenda else None,
        "agenda_source": agenda.source if agenda else None,
        "agenda_item_url": agenda.url if agenda else None,
        "agenda_found": result.agenda_found,
        "completeness": result.completeness,
        "cms": result.cms,
        "checked_at": _iso(result.checked_at, result.timezone),
        "final_url": result.final_url,
        "entry_url": result.entry_url,
        "requests": result.requests,
        "bytes_read": result.bytes_read,
        "elapsed_s": result.elapsed_s,
        "injection": result.injection,
        "findings": [
            {
                "code": f.code,
                "status": f.status,
                "message": render_finding(f, lang),
                "observed": f.observed,
                "limit": f.limit,
                "url": f.url,
                **({"evidence": _evidence(f.params)} if f.code in _EVIDENCE else {}),
            }
            for f in result.findings
        ],
    }


# The findings whose params are evidence a person acts on (defanged links, paths, hashes).
_EVIDENCE = {"content_injected", "site_defaced"}


def _evidence(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def __getattr__(name: str) -> Any:
    if name in {"Fetcher", "make_client"}:
        from . import fetch

        return getattr(fetch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
