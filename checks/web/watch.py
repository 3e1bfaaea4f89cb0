"""The injection watch inside the weekly crawl: judi online spam, cloaking, planted pages, redirects
and defacement (issue 21).

Every page the freshness crawl reads is also read for injected content (the parse workers do it on
the same tree; a page without one of the lexicon's stems costs a byte search). Items of the feed,
wp-json, the sitemap and the home page's lists whose title or address advertises gambling are
planted posts: kept out of the freshness count (a planted post is no publication) and reported.

Then, paid from the site's own request budget and at most `max_extra_requests` (3): the home page as
the Googlebot smartphone crawler gets it (after robots.txt allows Googlebot, and Sigap), as a visitor
coming from a Google search gets it, and one lead — a redirect off the site, an iframe of the site's
own, or a sitemap robots.txt names that the crawl did not read. A view that returns the same bytes
as the browser's costs no parse; one with no stem, none either. A view that differs only in what
rotates (banners, a bot-rendered copy of a JavaScript app) carries no gambling words and says
nothing; only gambling content that the browser's view lacks is cloaking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from .fetch import BudgetExceeded, FetchError, Response, SiteBudget
from .inject.lexicon import lexicon
from .inject.model import InjectionEvidence, PageScan, Redirect, Suspect, WatchOptions
from .inject.scan import scan_document
from .links import same_site
from .machine import SitemapResult, parse_sitemap
from .model import Dated, WatchSettings
from .parse import HtmlPage, Listed, decode_html

if TYPE_CHECKING:
    from .crawl import _Crawl

_HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
_BUDGET = "batas permintaan situs"


def options_of(settings: WatchSettings) -> WatchOptions:
    return WatchOptions(
        tuple(settings.extra_terms), tuple(settings.extra_counter_words), tuple(settings.allowed_domains)
    )


def scan_view(body: bytes, url: str, home: str, charset: str | None, options: WatchOptions) -> PageScan:
    """A second view, an iframe or a redirect's target read for injected content (in a parse worker)."""
    return scan_document(body, decode_html(body, charset), url, home, options)


def _words(url: str) -> str:
    parts = urlsplit(url)
    return " ".join(re.split(r"[/\-_.?=&+%:;,]+", f"{parts.path} {parts.query}")).strip()


class Watch:
    def __init__(self, settings: WatchSettings) -> None:
        self.settings = settings
        self.options = options_of(settings)
        self.lex = lexicon(self.options.extra_terms, self.options.extra_counter)
        self.ev = InjectionEvidence()
        self.landing: str | None = None  # where the browser's request for the home page landed
        self.home_body: bytes | None = None
        self.home_scan: PageScan | None = None
        self.scans: list[PageScan] = []
        self.sitemaps_read: set[str] = set()
        # where -> (technique, the document, the planted items, their words)
        self._planted: dict[str, tuple[str, str, list[str], list[str]]] = {}
        self._redirect: tuple[Redirect, str] | None = (
            None  # a redirect off the site, and the view that had it
        )

    # --- what the crawl reads -----------------------------------------------------------------------

    def page(self, page: HtmlPage) -> None:
        """Every page the crawl parsed (home, lists, articles, splash)."""
        if page.scan is None:
            return
        self.scans.append(page.scan)
        self.ev.suspects.extend(page.scan.suspects)
        if page.scan.redirect and self._redirect is None:
            self._redirect = (page.scan.redirect, "browser")

    def home(self, response: Response, page: HtmlPage) -> None:
        """The home page as the crawl's own request got it (after page())."""
        self.ev.checked = True
        self.landing, self.home_body, self.home_scan = response.url, response.body, page.scan
        self._defaced(page)

    def entered(self, page: HtmlPage) -> None:
        """The real home behind a splash page."""
        self._defaced(page)

    def _defaced(self, page: HtmlPage) -> None:
        if page.scan and page.scan.defacement and self.ev.defacement is None:
            words, where = page.scan.defacement
            self.ev.defacement = (words, where, page.url)

    def planted(self, title: str | None, url: str | None) -> tuple[str, ...]:
        """The advertising words of an item whose title or address sells gambling (a planted post);
        () for any other item, an article about gambling included."""
        text = " ".join(t for t in (title or "", _words(url) if url else "") if t)
        if not text or not self.lex.quick_text(text):
            return ()
        verdict = self.lex.verdict(text)
        return verdict.written if verdict.advert else ()

    def _plant(self, where: str, page: str, url: str, words: tuple[str, ...], technique: str) -> None:
        _, _, urls, terms = self._planted.setdefault(where, (technique, page, [], []))
        if url not in urls:
            urls.append(url)
            self.ev.planted.append(url)
        terms.extend(w for w in words if w not in terms)
        if technique == "doorway":
            self._planted[where] = ("doorway", page, urls, terms)

    def _technique(self, url: str | None) -> str:
        """A doorway kit answers one script with a keyword in its query (/?produk=slot-gacor): the
        words are in the query, not in the page's own address."""
        parts = urlsplit(url or "")
        if parts.query and self.planted(None, f"/?{parts.query}") and not self.planted(None, parts.path):
            return "doorway"
        return "planted_page"

    def keep_dated(self, items: list[Dated], where: str, page: str) -> list[Dated]:
        """The feed's or wp-json's items without the planted ones."""
        kept = []
        for item in items:
            words = self.planted(item.title, item.url)
            if words:
                self._plant(where, page, item.url or page, words, self._technique(item.url))
            else:
                kept.append(item)
        return kept

    def keep_listed(self, items: list[Listed], page: str) -> list[Listed]:
        kept = []
        for item in items:
            words = self.planted(item.title, item.url)
            if words:
                self._plant(f"daftar tautan {page}", page, item.url, words, self._technique(item.url))
            else:
                kept.append(item)
        return kept

    def sitemap(self, result: SitemapResult, url: str) -> set[str]:
        """A sitemap the crawl (or the watch) read: its planted entries, and an index's children whose
        names advertise. Returns the planted entries, to keep them out of the freshness count."""
        self.sitemaps_read.add(url)
        out = set()
        for child in result.children:
            if words := self.planted(None, child):
                self._plant(f"sitemap {url}", url, child, words, "planted_page")
        for loc, _ in result.urls:
            if words := self.planted(None, loc):
                self._plant(f"sitemap {url}", url, loc, words, self._technique(loc))
                out.add(loc)
        return out

    def planted_page(self, page: HtmlPage) -> bool:
        """An opened item that turns out to be a gambling page: its date is no publication."""
        if page.scan is None or not page.scan.planted:
            return False
        words = tuple(t for s in page.scan.suspects if s.technique == "meta" for t in s.terms)
        self._plant(f"halaman {page.url}", page.url, page.url, words, self._technique(page.url))
        return True

    # --- after the freshness crawl: the second views and one lead -------------------------------

    async def finish(self, crawl: _Crawl) -> None:
        if not self.ev.checked or self.landing is None:
            return
        self.ev.views.append("browser")
        robots = crawl.robots
        for url in self._robots_sitemaps(crawl):
            if words := self.planted(None, url):
                self._plant("robots.txt Sitemap:", url, url, words, "planted_page")
        extras = min(self.settings.max_extra_requests, crawl.budget.requests_left)
        used = 0
        views = (
            ("googlebot", {"User-Agent": self.settings.googlebot_user_agent}),
            ("referer", {"Referer": self.settings.referer}),
        )
        for n, (view, headers) in enumerate(views):
            left = extras - used
            if left <= 0:
                self.ev.skipped[view] = _BUDGET
                continue
            if view == "googlebot" and robots is not None and not robots.can_fetch("Googlebot", self.landing):
                self.ev.skipped[view] = "robots.txt melarang Googlebot"
                continue
            # Googlebot may follow one redirect (phones only) while a request stays for the next view.
            allowed = left if n == len(views) - 1 else max(1, min(2, left - 1))
            response, spent, why = await self._fetch(crawl, self.landing, allowed, headers)
            used += spent
            if response is None:
                self.ev.skipped[view] = why
                continue
            await self._view(crawl, view, response)
        used += await self._lead(crawl, extras - used)
        self.ev.requests = used

    def _robots_sitemaps(self, crawl: _Crawl) -> list[str]:
        """Every Sitemap: line of robots.txt, resolved (an injected one may name a sitemap of spam)."""
        names = (crawl.robots.site_maps() or []) if crawl.robots is not None else []
        base = urljoin(self.landing or "", "/robots.txt")
        return [u for n in names if (u := urljoin(base, n.strip()))]

    async def _fetch(
        self,
        crawl: _Crawl,
        url: str,
        allowed: int,
        headers: Mapping[str, str] | None = None,
        *,
        own_robots: bool = True,
        html: bool = True,
    ) -> tuple[Response | None, int, str]:
        """One request (and its redirects) from the site's budget, at most `allowed` of them."""
        parent = crawl.budget
        child = SiteBudget(
            parent.deadline,
            min(allowed, parent.requests_left),
            site_host=parent.site_host,
            site_class=parent.site_class,
            pinned=parent.pinned,
        )
        response, why = None, ""
        try:
            response = await crawl.fetcher.get(
                url, child, robots=crawl.robots if own_robots else None, headers=headers
            )
        except BudgetExceeded:
            why = _BUDGET
        except FetchError as exc:
            why = exc.code
        finally:
            parent.requests += child.requests
            parent.requests_left -= child.requests
            parent.bytes_read += child.bytes_read
        wrong_type = html and response is not None and response.content_type not in _HTML_TYPES
        if response is not None and (response.status >= 400 or wrong_type):
            why, response = f"HTTP {response.status} {response.content_type}".strip(), None
        return response, child.requests, why

    async def _view(self, crawl: _Crawl, view: str, response: Response) -> None:
        assert self.landing is not None
        self.ev.views.append(view)
        browser = self.home_scan.suspects if self.home_scan else []
        off = not same_site(response.url, self.landing)
        if not off and response.body == self.home_body:
            for s in browser:
                s.views.append(view)
            return
        if not off and not self.lex.quick(response.body):
            return  # it differs, but not by anything gambling (a rotating banner, a rendered app)
        scan = await crawl.scan(response, self.options)
        if off:
            self._redirected(view, response.url, scan)
            return
        # The same block, or one in the same place by the same means (kits rotate their links
        # between requests), is what the browser saw too: not cloaking.
        known = {s.key: s for s in browser} | {(s.technique, s.location): s for s in browser}
        for s in scan.suspects:
            twin = known.get(s.key) or known.get((s.technique, s.location))
            if twin is not None:
                twin.views.append(view)
            else:
                self.ev.suspects.append(
                    Suspect("cloaking", s.location, self.landing, s.links, s.terms, s.technique, [view])
                )
        if scan.redirect and (self._redirect is None or self._redirect[1] == "browser"):
            self._redirect = (scan.redirect, view)

    def _redirected(self, view: str, target: str, scan: PageScan | None) -> bool:
        """The view was sent to another site: gambling if its host's name or its page says so."""
        assert self.landing is not None
        host = urlsplit(target).hostname or ""
        stem = self.lex.gambling_host(host)
        terms = sorted(scan.terms)[:10] if scan else []
        if not (stem or (scan and (scan.suspects or scan.planted))):
            return False
        seen = "mobile" if view == "googlebot" else view
        self.ev.suspects.append(
            Suspect(
                "redirect",
                f"dialihkan ke {host}",
                self.landing,
                [target],
                terms or [stem or host],
                view,
                [seen],
            )
        )
        return True

    async def _lead(self, crawl: _Crawl, left: int) -> int:
        """One more request where it can show the most: a redirect off the site, an iframe of the
        site's own, a sitemap robots.txt names that nobody read. Returns the requests spent."""
        if self._redirect is not None:
            redirect, view = self._redirect
            seen = {"mobile": "mobile", "referer": "referer"}.get(redirect.condition, view)
            if self.lex.gambling_host(urlsplit(redirect.target).hostname or ""):
                self._redirected(seen if seen != "mobile" else "googlebot", redirect.target, None)
                self.ev.suspects[-1].location = redirect.location or redirect.via
                return 0
            if left <= 0:
                self.ev.skipped["redirect"] = _BUDGET
                return 0
            response, spent, why = await self._fetch(crawl, redirect.target, min(left, 2), own_robots=False)
            if response is None:
                self.ev.skipped["redirect"] = why
                return spent
            scan = await crawl.scan(response, self.options)
            if self._redirected(seen if seen != "mobile" else "googlebot", redirect.target, scan):
                self.ev.suspects[-1].location = redirect.location or redirect.via
            return spent
        if left <= 0:
            return 0
        frames = self.home_scan.iframes if self.home_scan else []
        if frames:
            response, spent, why = await self._fetch(crawl, frames[0], 1)
            if response is None:
                self.ev.skipped["iframe"] = why
                return spent
            scan = await crawl.scan(response, self.options)
            for s in scan.suspects:
                self.ev.suspects.append(
                    Suspect(
                        "iframe",
                        f"iframe {frames[0]}",
                        self.landing or frames[0],
                        s.links,
                        s.terms,
                        s.technique,
                    )
                )
            return spent
        # Only the site's own: a sitemap robots.txt names on another host is read by its name alone.
        unread = [
            u
            for u in self._robots_sitemaps(crawl)
            if u not in self.sitemaps_read and same_site(u, self.landing or "")
        ]
        if not unread:
            return 0
        response, spent, why = await self._fetch(crawl, unread[0], 1, html=False)
        if response is None:
            self.ev.skipped["sitemap"] = why
        else:
            self.sitemap(parse_sitemap(response.body, crawl.tz, response.url), response.url)
        return spent

    def evidence(self) -> InjectionEvidence:
        for where, (technique, page, urls, words) in self._planted.items():
            self.ev.suspects.append(Suspect(technique, where, page, urls, words))
        self._planted = {}
        return self.ev
