"""Crawl one site: fetch the sources it offers, most trustworthy first, and gather dated items.

Order per site (each step only when the earlier ones left the question open, to stay polite):
robots.txt -> home page (through a splash page's one way in, one hop) -> WordPress REST and feeds
(the CMS's default feed paths when the advertised ones fail) -> berita list pages when machine
sources are missing or stale (the next candidate when one gives nothing) -> sitemap (index -> its
newest post sitemap) when nothing is dated yet -> the agenda page -> the newest items' own pages,
whose metadata confirms (or corrects) the date printed in a list, or gives the undated headlines one.

Every extra hop is bounded and paid from the site's request budget; the optional ones (a second
list page, default feed paths, sitemap children) only while enough is left to open the newest items.

With the injection watch on (checks/web/watch.py), every page read is also read for injected content,
planted gambling items are kept out of the dates, and after the crawl the watch asks for the home page
twice more (Googlebot, a visitor from Google) and follows one lead: at most three requests.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from zoneinfo import ZoneInfo

import httpx

from .evaluate import evaluate, usable
from .fetch import BudgetExceeded, Fetcher, FetchError, Response
from .inject.model import InjectionEvidence, PageScan, WatchOptions
from .machine import newest_post_sitemaps
from .model import SOURCE_RANK, Dated, SiteResult, SiteSpec, WatchSettings
from .parse import (
    HtmlPage,
    Listed,
    date_from_url,
    kind_of,
    looks_like_item,
    parse_feed,
    parse_html,
    parse_sitemap,
    parse_wp_posts,
    same_site,
)
from .render import RenderError
from .render import render as render_page
from .shell import javascript_shell
from .urls import bounded, clean_url, url_problem
from .watch import Watch, scan_view

_HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
_REFUSED = {"redirect_refused", "address_refused"}
# Where each CMS serves its feed when the page does not say (or says wrong): WordPress also without
# pretty permalinks, OpenSID, Joomla (also without SEF rewriting), Hugo, Jekyll (jekyll-feed).
_DEFAULT_FEEDS = {
    "wordpress": ("/feed/", "/?feed=rss2"),
    "opensid": ("/feed",),
    "joomla": ("/?format=feed&type=rss", "/index.php?format=feed&type=rss"),
    "hugo": ("/index.xml",),
    "jekyll": ("/feed.xml",),
}
_ANY_FEEDS = ("/feed/", "/rss", "/index.xml", "/feed.xml")  # an unknown CMS whose own feed failed
_FEED_FALLBACKS = 2  # default paths tried after the advertised feeds failed
_LIST_CANDIDATES = 3  # berita list pages tried, each only when the one before gave nothing
_SITEMAP_FETCHES = 3  # the sitemap, then at most two of an index's children


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
    entry_url: str | None = None  # the splash page the crawl went through to reach the real home
    injection: InjectionEvidence | None = None  # what the injection watch found (None: watch off)
    injection_only: bool = False  # `check web --injection-only`: no freshness reading
    javascript_shell: str | None = None  # the home page is an empty shell of this framework
    rendered: bool = False  # ...and was read as the browser showed it (`render: javascript`)


@dataclass
class _FeedOutcome:
    ok: bool  # read as a feed
    refresh: str | None = None  # an HTML page in the feed's place sends the reader here


def _listed_to_dated(item: Listed, page_url: str) -> Dated | None:
    if item.date is None or item.date.is_event:
        return None
    if item.kind == "agenda" and item.date.label != "published":
        return None  # an agenda list prints when events happen, not when the agenda was updated
    source = "html:label" if item.date.label == "published" else "html:list"
    return Dated(item.date.when, item.date.precision, source, item.url, item.kind, item.title, page_url)


def _parse(body, url, home, now, tz, charset, sections, article, watch=None) -> HtmlPage:
    return parse_html(
        body, url, home, now, tz, declared_charset=charset, sections=sections, article=article, watch=watch
    )


class _Crawl:
    def __init__(
        self,
        spec: SiteSpec,
        fetcher: Fetcher,
        now: datetime,
        pool: Executor | None,
        watch: WatchSettings | None = None,
    ) -> None:
        self.pool = pool
        self.watch = Watch(watch) if watch is not None and watch.enabled else None
        self.spec = spec
        self.fetcher = fetcher
        self.now = now
        self.tz: tzinfo = ZoneInfo(spec.timezone)
        self.budget = fetcher.budget()
        self.ev = Evidence()
        self.robots: RobotFileParser | None = None
        self.last_home: Response | None = None  # the home page as fetched (a splash page's way in, too)
        self.home = spec.url
        self.statuses: dict[str, int] = {}  # URL -> HTTP status of secondary fetches
        self.reserve = 0  # requests kept for opening the newest items and the agenda

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

    def affordable(self) -> bool:
        """Room for one optional request beyond what opening the newest items needs."""
        return self.budget.requests_left - 1 >= self.reserve

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
            self.watch.options if self.watch else None,
        )
        if self.pool is None:
            page = _parse(*args)
        else:
            # BeautifulSoup costs ~20 ms per 30 KB page: in worker processes it uses every core and
            # leaves the event loop free to keep the sockets busy.
            page = await asyncio.get_running_loop().run_in_executor(self.pool, _parse, *args)
        if self.watch is not None:
            self.watch.page(page)
        return page

    async def scan(self, response: Response, options: WatchOptions) -> PageScan:
        """A page read for injected content only (the watch's second views and leads)."""
        args = (response.body, response.url, self.home, response.charset, options)
        if self.pool is None:
            return scan_view(*args)
        return await asyncio.get_running_loop().run_in_executor(self.pool, scan_view, *args)

    def add_listed(self, items: list[Listed], page_url: str, kind: str | None = None) -> None:
        if self.watch is not None:
            items = self.watch.keep_listed(items, page_url)
        for item in items:
            if kind:
                item.kind = kind
            dated = _listed_to_dated(item, page_url)
            if dated:
                self.ev.dated.append(dated)
            else:
                self.ev.undated_links.append(item)

    def read_page(self, page: HtmlPage, url: str, kind: str) -> bool:
        """A list or agenda page's items, and its own date when it turns out to be one article (a menu
        entry that links a post). True when it dated something of `kind`."""
        before = len(self.ev.dated)
        self.add_listed(page.listed, url, kind if kind == "agenda" else None)
        own = [d for d in page.own_dates if not (kind == "agenda" and d.source.startswith("html:"))]
        if own and not (self.watch is not None and self.watch.planted_page(page)):
            self.ev.verified.add(url)
            self.ev.dated.extend(
                Dated(d.when, d.precision, d.source, url, kind, page.title, url) for d in own
            )
        added = self.ev.dated[before:]
        return bool(usable(added, kind, self.now, self.tz)[0])

    def newest(self, kind: str) -> datetime | None:
        return max((d.when for d in usable(self.ev.dated, kind, self.now, self.tz)[0]), default=None)

    def warn_line(self) -> datetime:
        return self.now - timedelta(days=self.spec.thresholds.warn_after_days)

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
        self.last_home = home
        if self.watch is not None:
            self.watch.home(home, page)
        if not page.maintenance:
            page = await self.enter(page)
        if self.ev.injection_only:
            return
        page = await self.javascript(page)
        self.ev.cms = page.cms
        self.ev.sections = page.sections
        if page.maintenance:
            self.ev.maintenance = page.maintenance
            return
        settings = self.fetcher.settings
        self.reserve = settings.article_pages + (2 if page.list_pages.get("agenda") else 0)
        self.add_listed(page.listed, self.home)
        await self.machine_sources(page)
        newest = self.newest("berita")
        if newest is None or newest < self.warn_line():
            # Machine sources missing or stale: a static feed must not outvote fresh pages.
            await self.list_pages(page)
        if self.newest("berita") is None:
            await self.sitemap(page)
        if page.list_pages.get("agenda"):
            self.ev.agenda_page = page.list_pages["agenda"][0]
            listing = await self.get(self.ev.agenda_page, "html:agenda")
            if listing and listing.content_type in _HTML_TYPES:
                self.read_page(await self.html(listing), listing.url, "agenda")
        await self.verify("berita", settings.article_pages)
        await self.verify("agenda", 1)

    async def javascript(self, page: HtmlPage) -> HtmlPage:
        """An empty JavaScript shell is said as such; with `render: javascript` the home page is read
        as the browser shows it (and a berita list page, if the rendered home gives no date)."""
        home = self.last_home
        if home is None or page.listed or page.maintenance:
            return page
        self.ev.javascript_shell = javascript_shell(home.body.decode(home.charset or "utf-8", "replace"))
        if self.ev.javascript_shell is None or self.spec.render != "javascript":
            return page
        rendered = await self.rendered(home.url, "javascript:home")
        if rendered is None:
            return page
        self.ev.rendered = True
        page = await self.html(rendered)
        self.add_listed(page.listed, self.home)
        if self.newest("berita") is None:
            for url in page.list_pages.get("berita", [])[:1]:
                listing = await self.rendered(url, "javascript:list")
                if listing is not None:
                    self.read_page(await self.html(listing), listing.url, "berita")
        return page

    async def rendered(self, url: str, what: str) -> Response | None:
        """`url` through headless Chromium, connected to the address the crawl checked for its host,
        paid from the site's budget (one request, and the time it takes)."""
        host = urlsplit(url).hostname or ""
        address = self.budget.pinned.get(host)
        if address is None or not self.affordable():
            return None
        self.budget.take()
        self.ev.sources_tried.append(what)
        settings = self.fetcher.settings
        try:
            html = await render_page(
                url,
                address,
                timeout_s=max(1.0, min(settings.timeout_s, self.budget.remaining_s())),
                max_bytes=settings.max_page_bytes,
            )
        except RenderError as exc:
            self.ev.problems.append(f"{what}: {exc}")
            return None
        body = html.encode("utf-8")
        headers = httpx.Headers({"content-type": "text/html; charset=utf-8"})
        return Response(url, 200, headers, body, len(body) >= settings.max_page_bytes, "utf-8")

    async def enter(self, page: HtmlPage) -> HtmlPage:
        """A splash or landing page ("Masuk ke Website", "Ke Web Desa / Ke Toko Desa", a refresh to
        the real home): one hop through its way in, which becomes the home the site is judged by."""
        target = page.refresh or page.gate
        if target is None or not same_site(target, self.home) or clean_url(target) == clean_url(self.home):
            return page
        response = await self.get(target, "splash")
        if response is None or response.content_type not in _HTML_TYPES:
            return page
        self.ev.entry_url, self.home = self.home, response.url
        self.ev.final_url = response.url
        self.last_home = response
        page = await self.html(response)
        if self.watch is not None:
            self.watch.entered(page)
        return page

    async def machine_sources(self, page: HtmlPage) -> None:
        jobs = []
        if page.cms == "wordpress":
            api = (page.wp_api or urljoin(self.home, "/wp-json/")).rstrip("/")
            jobs.append(self.wp_json(api + "/wp/v2/posts?per_page=10&_fields=date_gmt,link,title,status"))
        defaults = [urljoin(self.home, path) for path in _DEFAULT_FEEDS.get(page.cms or "", ())]
        feeds = list(dict.fromkeys(page.feeds))[:2] or defaults[:1]
        outcomes = (await asyncio.gather(*jobs, *(self.feed(url) for url in feeds)))[len(jobs) :]
        if not feeds or any(o.ok for o in outcomes):
            return
        # Every feed the page names (or the CMS's usual one) failed: a 404, a sitemap advertised as
        # RSS (OpenSID's esensi theme), a static export's `./feed/index.html` redirect page. Try where
        # the CMS serves its feed by default, a couple at most.
        generic = [] if defaults else [urljoin(self.home, path) for path in _ANY_FEEDS]
        fallbacks = [o.refresh for o in outcomes if o.refresh] + defaults + generic
        tried = set(feeds)
        for url in dict.fromkeys(u for u in fallbacks if u and u not in tried):
            if len(tried) - len(feeds) >= _FEED_FALLBACKS or not self.affordable():
                break
            tried.add(url)
            if (await self.feed(url)).ok:
                break

    async def wp_json(self, url: str) -> _FeedOutcome:
        response = await self.get(url, "wp-json")
        items = parse_wp_posts(response.body, response.url) if response else None
        if response and items is None:
            self.ev.problems.append(f"wp-json: bukan daftar tulisan ({url})")
        if items and self.watch is not None:
            items = self.watch.keep_dated(items, f"wp-json {url}", url)
        self.ev.dated.extend(items or [])
        return _FeedOutcome(items is not None)

    async def feed(self, url: str) -> _FeedOutcome:
        response = await self.get(url, "feed")
        if not response:
            return _FeedOutcome(False)
        result = parse_feed(response.body, response.url)
        if not result.ok:
            self.ev.problems.append(f"feed: tidak terbaca sebagai RSS/Atom ({url})")
            if response.content_type in _HTML_TYPES or "html" in response.content_type:
                return _FeedOutcome(False, (await self.html(response)).refresh)
            return _FeedOutcome(False)
        if result.undated and not result.items:
            self.ev.problems.append(f"feed: {result.undated} item tanpa tanggal ({url})")
        items = result.items
        if self.watch is not None:
            items = self.watch.keep_dated(items, f"RSS/Atom {url}", url)
        self.ev.dated.extend(items)
        return _FeedOutcome(True)

    async def list_pages(self, page: HtmlPage) -> None:
        """The berita list pages the menu offers, in order, until one gives a date: a static export's
        first candidate may be an empty category, an old mirror's a 404."""
        for n, url in enumerate(page.list_pages.get("berita", [])[:_LIST_CANDIDATES]):
            if n and not self.affordable():
                break
            listing = await self.get(url, "html:list")
            if not listing or listing.content_type not in _HTML_TYPES:
                continue
            if self.read_page(await self.html(listing), listing.url, "berita"):
                break

    async def sitemap(self, page: HtmlPage) -> None:
        robots_url = urljoin(self.home, "/robots.txt")
        # robots.txt may name its sitemaps relative to itself ("Sitemap: /sitemap.xml")
        urls = (
            [urljoin(robots_url, s.strip()) for s in (self.robots.site_maps() or [])] if self.robots else []
        )
        if not urls:
            urls = [urljoin(self.home, "/wp-sitemap.xml" if page.cms == "wordpress" else "/sitemap.xml")]
        response = await self.get(urls[0], "sitemap")
        if not response:
            return
        result = parse_sitemap(response.body, self.tz, response.url)
        planted = self.watch.sitemap(result, response.url) if self.watch is not None else set()
        fetches = 1
        while result.children:
            # An index: its newest post sitemaps, the next one only when the first gave no entries.
            for child in newest_post_sitemaps(result)[:2]:
                if fetches >= _SITEMAP_FETCHES or not self.affordable():
                    return
                fetches += 1
                response = await self.get(child, "sitemap")
                sub = parse_sitemap(response.body, self.tz, response.url) if response else None
                if sub and self.watch is not None and response:
                    planted |= self.watch.sitemap(sub, response.url)
                if sub and (sub.urls or sub.children):
                    result = sub
                    break
            else:
                return
        if not result.ok:
            self.ev.problems.append(f"sitemap: bukan XML sitemap ({response.url})")
        items = [
            (loc, lastmod)
            for loc, lastmod in result.urls
            if looks_like_item(loc, self.home) and loc not in planted
        ]
        for loc, lastmod in items:
            if lastmod is not None:
                self.ev.dated.append(
                    Dated(lastmod, "day", "sitemap:lastmod", loc, kind_of(loc), None, response.url)
                )
        if items and all(lastmod is None for _, lastmod in items):
            # WordPress core writes no lastmod and lists the oldest post first: its last entries are
            # the newest posts, to be opened like a slider's headlines.
            for n, (loc, _) in enumerate(reversed(items[-3:])):
                self.ev.undated_links.append(
                    Listed(
                        loc,
                        "",
                        None,
                        kind_of(loc),
                        newest=True,
                        position=n,
                        url_date=date_from_url(loc, self.tz),
                    )
                )

    def candidates(self, kind: str) -> list[str]:
        """The items worth opening, best first. Items whose printed date could change the answer
        (newer than the best trusted date); when nothing trusted is dated, undated ones too. And when
        the newest date is stale or missing, a careful reader looks at the headlines first: the
        slider, "Berita Terbaru", the links whose address names a newer day, then the rest."""
        mine, _ = usable(self.ev.dated, kind, self.now, self.tz)
        best = max((d.when for d in mine if SOURCE_RANK[d.source] > 2), default=None)
        weak = [d for d in mine if SOURCE_RANK[d.source] <= 2 and d.url and (best is None or d.when > best)]
        weak.sort(key=lambda d: d.when, reverse=True)
        weak_urls = [d.url for d in weak if d.url]
        undated = [item for item in self.ev.undated_links if item.kind == kind]
        newest = max((d.when for d in mine), default=None)
        if kind != "berita" or (newest is not None and newest >= self.warn_line()):
            return weak_urls + ([item.url for item in undated] if best is None else [])
        headlines = [item for item in undated if item.newest]
        hinted = [
            item
            for item in undated
            if not item.newest and item.url_date and (newest is None or item.url_date > newest)
        ]
        hinted.sort(key=lambda item: item.url_date or self.now, reverse=True)
        rest = [item for item in undated if not item.newest and item not in hinted]
        return [i.url for i in headlines + hinted] + weak_urls + [i.url for i in rest]

    async def verify(self, kind: str, count: int) -> None:
        """Open the best candidate items of `kind` and read their own date: page metadata beats a
        date printed in a list."""
        urls = [u for u in dict.fromkeys(self.candidates(kind)) if u not in self.ev.verified][:count]
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
            page = await self.html(response, article=True)
            if self.watch is not None and self.watch.planted_page(page):
                self.ev.dated = [d for d in self.ev.dated if d.url != url]
                continue
            own = page.own_dates
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
    spec: SiteSpec,
    fetcher: Fetcher,
    now: datetime,
    pool: Executor | None = None,
    watch: WatchSettings | None = None,
    *,
    injection_only: bool = False,
) -> SiteResult:
    """Measure one site. Never raises for what the site does: every failure becomes a finding.

    `pool`, when given, parses HTML in worker processes; `watch` reads the site for injected content
    as well (`injection_only`: for that alone, robots.txt, the home page and the watch's requests)."""
    started = time.monotonic()
    crawl = _Crawl(spec, fetcher, now, pool, watch)
    crawl.ev.injection_only = injection_only and crawl.watch is not None
    try:
        await crawl.run()
    except FetchError as exc:
        crawl.ev.fatal = exc
    except BudgetExceeded:
        crawl.ev.budget_exceeded = True
    if crawl.watch is not None:
        await crawl.watch.finish(crawl)
        crawl.ev.injection = crawl.watch.evidence()
    result = evaluate(spec, crawl.ev, now)
    result.requests = crawl.budget.requests
    result.bytes_read = crawl.budget.bytes_read
    result.elapsed_s = round(time.monotonic() - started, 3)
    return result
