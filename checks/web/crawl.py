"""Crawl one site: fetch the sources it offers, most trustworthy first, and gather dated items.

Order per site (each step only when the earlier ones left the question open, to stay polite):
robots.txt -> home page -> WordPress REST and feeds -> a berita list page when machine sources are
missing or stale -> sitemap when nothing is dated yet -> the agenda page -> the newest items' own
pages, whose metadata confirms (or corrects) the date printed in a list.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser
from zoneinfo import ZoneInfo

from .evaluate import evaluate, usable
from .fetch import BudgetExceeded, Fetcher, FetchError, Response
from .model import SOURCE_RANK, Dated, SiteResult, SiteSpec
from .parse import HtmlPage, Listed, kind_of, parse_feed, parse_html, parse_sitemap, parse_wp_posts
from .urls import bounded, clean_url, url_problem

_HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
_REFUSED = {"redirect_refused", "address_refused"}


@dataclass
class Evidence:
    """Everything one crawl learnt, kept even when the site's budget runs out half-way."""

    dated: list[Dated] = field(default_factory=list)
    undated_links: list[Listed] = field(default_factory=list)
    fatal: FetchError | None = None
    maintenance: str | None = None
    budget_exceeded: bool = False
    cms: str | None = None
    sections: dict[str, str] = field(default_factory=dict)
    agenda_page: str | None = None
    sources_tried: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # non-fatal: a feed that 404s, a capped page
    final_url: str | None = None
    verified: set[str] = field(default_factory=set)  # item URLs whose own page gave their date


def _listed_to_dated(item: Listed, page_url: str) -> Dated | None:
    if item.date is None or item.date.is_event:
        return None
    if item.kind == "agenda" and item.date.label != "published":
        return None  # an agenda list prints when events happen, not when the agenda was updated
    source = "html:label" if item.date.label == "published" else "html:list"
    return Dated(item.date.when, item.date.precision, source, item.url, item.kind, item.title, page_url)


def _parse(body, url, home, now, tz, charset, sections, article) -> HtmlPage:
    return parse_html(body, url, home, now, tz, declared_charset=charset, sections=sections, article=article)


class _Crawl:
    def __init__(self, spec: SiteSpec, fetcher: Fetcher, now: datetime, pool: Executor | None) -> None:
        self.pool = pool
        self.spec = spec
        self.fetcher = fetcher
        self.now = now
        self.tz: tzinfo = ZoneInfo(spec.timezone)
        self.budget = fetcher.budget()
        self.ev = Evidence()
        self.robots: RobotFileParser | None = None
        self.home = spec.url
        self.statuses: dict[str, int] = {}  # URL -> HTTP status of secondary fetches

    async def get(self, url: str, what: str) -> Response | None:
        """A secondary source: its failure is a note, not the site's failure."""
        self.ev.sources_tried.append(what)
        try:
            response = await self.fetcher.get(url, self.budget, robots=self.robots)
        except FetchError as exc:
            if exc.code in _REFUSED:  # name the address class, not the path the site pointed at
                self.ev.problems.append(f"{what}: {exc.code} ({exc.detail})")
            else:
                self.ev.problems.append(f"{what}: {exc.code} ({bounded(url)})")
            return None
        self.statuses[url] = response.status
        if response.status >= 400:
            self.ev.problems.append(f"{what}: HTTP {response.status} ({url})")
            return None
        if response.truncated:
            self.ev.problems.append(
                f"{what}: dibaca sebagian (> {self.fetcher.settings.max_page_bytes} byte)"
            )
        return response

    async def html(self, response: Response, *, article: bool = False) -> HtmlPage:
        args = (
            response.body,
            response.url,
            self.home,
            self.now,
            self.tz,
            response.charset,
            self.spec.sections,
            article,
        )
        if self.pool is None:
            return _parse(*args)
        # BeautifulSoup costs ~20 ms per 30 KB page: in worker processes it uses every core and
        # leaves the event loop free to keep the sockets busy.
        return await asyncio.get_running_loop().run_in_executor(self.pool, _parse, *args)

    def add_listed(self, items: list[Listed], page_url: str, kind: str | None = None) -> None:
        for item in items:
            if kind:
                item.kind = kind
            dated = _listed_to_dated(item, page_url)
            if dated:
                self.ev.dated.append(dated)
            else:
                self.ev.undated_links.append(item)

    def newest(self, kind: str) -> datetime | None:
        return max((d.when for d in usable(self.ev.dated, kind, self.now, self.tz)[0]), default=None)

    async def run(self) -> None:
        problem = url_problem(self.spec.url)
        if problem:  # config refuses these; a SiteSpec made elsewhere may still carry one
            raise FetchError("invalid_url", problem, bounded(self.spec.url))
        if self.spec.respect_robots:
            self.ev.sources_tried.append("robots.txt")
            self.robots = await self.fetcher.robots(self.spec.url, self.budget)
        home = await self.fetcher.get(self.spec.url, self.budget, robots=self.robots)
        self.ev.sources_tried.append("home")
        self.ev.final_url = home.url
        self.home = home.url  # http -> https, bare -> www: items are judged against where we landed
        if home.status >= 500 and home.content_type in _HTML_TYPES:
            # "503 Service Unavailable" with a maintenance notice is planned work, not a failure.
            maintenance = (await self.html(home)).maintenance
            if maintenance:
                self.ev.maintenance = maintenance
                return
        if home.status >= 400:
            raise FetchError("http_error", f"HTTP {home.status}", home.url, home.status)
        if home.content_type not in _HTML_TYPES:
            raise FetchError("not_html", home.content_type, home.url)
        page = await self.html(home)
        self.ev.cms = page.cms
        self.ev.sections = page.sections
        if page.maintenance:
            self.ev.maintenance = page.maintenance
            return
        self.add_listed(page.listed, home.url)
        await self.machine_sources(page)
        warn_line = self.now - timedelta(days=self.spec.thresholds.warn_after_days)
        newest = self.newest("berita")
        if (newest is None or newest < warn_line) and page.list_pages.get("berita"):
            # Machine sources missing or stale: a static feed must not outvote fresh pages.
            listing = await self.get(page.list_pages["berita"][0], "html:list")
            if listing and listing.content_type in _HTML_TYPES:
                self.add_listed((await self.html(listing)).listed, listing.url)
        if self.newest("berita") is None:
            await self.sitemap(page)
        if page.list_pages.get("agenda"):
            self.ev.agenda_page = page.list_pages["agenda"][0]
            listing = await self.get(self.ev.agenda_page, "html:agenda")
            if listing and listing.content_type in _HTML_TYPES:
                self.add_listed((await self.html(listing)).listed, listing.url, kind="agenda")
        await self.verify("berita", self.fetcher.settings.article_pages)
        await self.verify("agenda", 1)

    async def machine_sources(self, page: HtmlPage) -> None:
        jobs = []
        if page.cms == "wordpress":
            api = (page.wp_api or urljoin(self.home, "/wp-json/")).rstrip("/")
            jobs.append(self.wp_json(api + "/wp/v2/posts?per_page=10&_fields=date_gmt,link,title,status"))
        feeds = list(dict.fromkeys(page.feeds))[:2]
        if not feeds:
            guess = {"wordpress": "/feed/", "opensid": "/feed", "joomla": "/?format=feed&type=rss"}
            if page.cms in guess:
                feeds = [urljoin(self.home, guess[page.cms])]
        jobs.extend(self.feed(url) for url in feeds)
        await asyncio.gather(*jobs)

    async def wp_json(self, url: str) -> None:
        response = await self.get(url, "wp-json")
        items = parse_wp_posts(response.body, response.url) if response else None
        if response and items is None:
            self.ev.problems.append(f"wp-json: bukan daftar tulisan ({url})")
        self.ev.dated.extend(items or [])

    async def feed(self, url: str) -> None:
        response = await self.get(url, "feed")
        if not response:
            return
        result = parse_feed(response.body, response.url)
        if not result.ok:
            self.ev.problems.append(f"feed: tidak terbaca sebagai RSS/Atom ({url})")
        elif result.undated and not result.items:
            self.ev.problems.append(f"feed: {result.undated} item tanpa tanggal ({url})")
        self.ev.dated.extend(result.items)

    async def sitemap(self, page: HtmlPage) -> None:
        urls = list(self.robots.site_maps() or []) if self.robots else []
        if not urls:
            urls = [urljoin(self.home, "/wp-sitemap.xml" if page.cms == "wordpress" else "/sitemap.xml")]
        response = await self.get(urls[0], "sitemap")
        if not response:
            return
        result = parse_sitemap(response.body, self.tz)
        if result.children:
            # Prefer the posts/berita sitemap of an index; the last one is usually the newest.
            wanted = [
                c
                for c in result.children
                if any(w in c.lower() for w in ("post", "berita", "artikel", "news"))
            ]
            child = (wanted or result.children)[-1]
            response = await self.get(child, "sitemap")
            if not response:
                return
            result = parse_sitemap(response.body, self.tz)
        if not result.ok:
            self.ev.problems.append(f"sitemap: bukan XML sitemap ({response.url})")
        for loc, lastmod in result.urls:
            if lastmod is not None and clean_url(loc) != clean_url(self.home):
                self.ev.dated.append(
                    Dated(lastmod, "day", "sitemap:lastmod", loc, kind_of(loc), None, response.url)
                )

    async def verify(self, kind: str, count: int) -> None:
        """Open the newest items of `kind` whose date came from a list or sitemap (or had none) and
        read their own date: page metadata beats a date printed in a list."""
        mine, _ = usable(self.ev.dated, kind, self.now, self.tz)
        best = max((d.when for d in mine if SOURCE_RANK[d.source] > 2), default=None)
        # Only items that could change the answer: newer than the best trusted date, or any at all
        # when nothing trusted is dated.
        weak = [d for d in mine if SOURCE_RANK[d.source] <= 2 and d.url and (best is None or d.when > best)]
        weak.sort(key=lambda d: d.when, reverse=True)
        urls = [d.url for d in weak if d.url]
        if best is None:
            urls += [item.url for item in self.ev.undated_links if item.kind == kind]
        urls = [u for u in dict.fromkeys(urls) if u not in self.ev.verified][:count]
        responses = await asyncio.gather(*(self.get(url, f"html:{kind}-item") for url in urls))
        for url, response in zip(urls, responses, strict=True):
            if response is None:
                if self.statuses.get(url) in {404, 410}:
                    # A sitemap entry the site will not serve: OpenSID lists disabled articles too.
                    self.ev.dated = [
                        d for d in self.ev.dated if not (d.url == url and d.source == "sitemap:lastmod")
                    ]
                continue
            if response.content_type not in _HTML_TYPES:
                continue
            own = (await self.html(response, article=True)).own_dates
            if kind == "agenda":
                # The text of an agenda item is mostly the event's dates; only metadata or a
                # labelled posting date tells when it was published.
                own = [d for d in own if d.source != "html:article"]
            if own:
                self.ev.verified.add(url)
                self.ev.dated = [
                    d for d in self.ev.dated if not (d.url == url and SOURCE_RANK[d.source] <= 2)
                ]
                self.ev.dated.extend(
                    Dated(d.when, d.precision, d.source, url, kind, None, response.url) for d in own
                )


async def crawl_site(
    spec: SiteSpec, fetcher: Fetcher, now: datetime, pool: Executor | None = None
) -> SiteResult:
    """Measure one site. Never raises for what the site does: every failure becomes a finding.

    `pool`, when given, parses HTML in worker processes."""
    started = time.monotonic()
    crawl = _Crawl(spec, fetcher, now, pool)
    try:
        await crawl.run()
    except FetchError as exc:
        crawl.ev.fatal = exc
    except BudgetExceeded:
        crawl.ev.budget_exceeded = True
    result = evaluate(spec, crawl.ev, now)
    result.requests = crawl.budget.requests
    result.bytes_read = crawl.budget.bytes_read
    result.elapsed_s = round(time.monotonic() - started, 3)
    return result
