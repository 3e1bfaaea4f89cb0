"""Parse what a site serves into dated items. Pure: bytes, the page URL, `now` and a timezone in.

HTML pages (home, list pages, article pages) are read here with BeautifulSoup; feeds, WordPress REST
and sitemaps in `machine`, re-exported below so callers keep one entry point.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from .dates import FoundDate, find_dates, is_future, parse_machine_date
from .inject.model import PageScan, WatchOptions
from .inject.scan import scan_soup
from .links import (
    AGENDA_PAGE,
    LIST_WORDS,
    date_from_url,
    kind_of,
    looks_like_deep_item,
    looks_like_item,
    same_site,
    shape,
    slug_words,
)
from .machine import FeedResult, SitemapResult, parse_feed, parse_sitemap, parse_wp_posts
from .model import Dated
from .regions import HEADINGS, ident, in_agenda_section, in_chrome, newest_block
from .urls import clean_url, joined

__all__ = [
    "FeedResult",
    "HtmlPage",
    "Listed",
    "SitemapResult",
    "date_from_url",
    "decode_html",
    "kind_of",
    "looks_like_deep_item",
    "looks_like_item",
    "parse_feed",
    "parse_html",
    "parse_sitemap",
    "parse_wp_posts",
    "same_site",
]

_MAINTENANCE = re.compile(
    r"maintenance|sedang\s+dalam\s+perbaikan|sedang\s+perbaikan|dalam\s+pemeliharaan|sedang\s+dalam\s+pemeliharaan|"
    r"under\s+construction|coming\s+soon|segera\s+hadir|account\s+suspended|website\s+is\s+suspended|"
    r"apache2?\s+\w*\s*default\s+page|welcome\s+to\s+nginx|it\s+works!|index\s+of\s+/",
    re.IGNORECASE,
)
_ARTICLE_BOX = re.compile(
    r"post|entry|artikel|article|berita|news|content|detail|single|isi|konten", re.IGNORECASE
)
_QUICK_DATE = re.compile(r"(?:19|20)\d\d|lalu|ago|kemarin|hari ini|baru saja|yesterday|today", re.IGNORECASE)


def decode_html(body: bytes, declared: str | None) -> str:
    """Text of a page whose declared charset may be wrong.

    Valid UTF-8 with non-ASCII bytes is almost never anything else, so it beats a header that says
    ISO-8859-1 (a common misconfiguration); otherwise the declared charset (header, then <meta>),
    and Windows-1252 as the last resort, which never fails.
    """
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = [declared] if declared else []
    m = re.search(rb"""<meta[^>]+charset=["']?([\w\-]+)""", body[:4096], re.IGNORECASE)
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    for name in candidates:
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("windows-1252", errors="replace")


@dataclass
class Listed:
    """A link on a list or home page, with the date printed beside it (if any)."""

    url: str
    title: str
    date: FoundDate | None
    kind: str
    newest: bool = False  # in a block of the newest items (slider, "Berita Terbaru", a news ticker)
    position: int = 0  # order on the page
    url_date: datetime | None = None  # the day its address names (/2026/11/20/slug), a hint only


@dataclass
class HtmlPage:
    url: str
    title: str = ""
    cms: str | None = None
    feeds: list[str] = field(default_factory=list)
    wp_api: str | None = None
    list_pages: dict[str, list[str]] = field(default_factory=dict)  # "berita"/"agenda" -> list page URLs
    listed: list[Listed] = field(default_factory=list)
    own_dates: list[Dated] = field(default_factory=list)  # the page's own publication date(s)
    sections: dict[str, str] = field(default_factory=dict)  # section -> URL (or this page) showing it
    maintenance: str | None = None  # the words that show a maintenance / default / suspended page
    link_count: int = 0
    refresh: str | None = None  # where a <meta http-equiv="refresh"> sends the reader
    gate: str | None = None  # a splash page's one way in ("Masuk ke Website", "Ke Web Desa")
    scan: PageScan | None = None  # injected content and defacement (when the watch is on)


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


_INDEXED = {"a", "link", "meta", "h1", "h2", "script", "time", "article", "main", "iframe", "title"}
_ALL_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_TEXT = {"script", "style", "title", "noscript", "template"}


class _Index:
    """One walk over the tree collects what every reading needs; each find_all would walk it again."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.tags: dict[str, list[Tag]] = {name: [] for name in _INDEXED}
        self.date_texts: list[NavigableString] = []
        # For each link, the last two headings that began before it: what `find_all_previous` would
        # give, without walking the document backwards once per link.
        self.headings_before: dict[int, tuple[Tag, ...]] = {}
        recent: tuple[Tag, ...] = ()
        for node in soup.descendants:
            if isinstance(node, Tag):
                if node.name in _ALL_HEADINGS:
                    recent = (node, *recent[:1])
                elif node.name == "a":
                    self.headings_before[id(node)] = recent
                if node.name in _INDEXED:
                    self.tags[node.name].append(node)
            elif (
                type(node) is NavigableString
                and node.parent is not None
                and node.parent.name not in _SKIP_TEXT
                and _QUICK_DATE.search(node)
            ):
                self.date_texts.append(node)


def _detect_cms(index: _Index, html: str) -> str | None:
    generator = next((m for m in index.tags["meta"] if (m.get("name") or "").lower() == "generator"), None)
    gen = (generator.get("content") or "") if generator else ""
    lowered = html[:200_000].lower()
    if "wordpress" in gen.lower() or "/wp-content/" in lowered or "api.w.org" in lowered:
        return "wordpress"
    if "joomla" in gen.lower() or "/media/jui/" in lowered or "option=com_" in lowered:
        return "joomla"
    if "opensid" in lowered:
        return "opensid"
    if "lokomedia" in lowered or "semua-agenda.html" in lowered:
        return "lokomedia"
    if "datagoe" in lowered:
        return "codeigniter"
    if "laravel" in lowered or "csrf-token" in lowered:
        return "laravel"
    return gen.split()[0].lower() if gen.split() else None


_PUBLISHED_META: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("property", lambda v: v == "article:published_time"),
    ("property", lambda v: v == "og:article:published_time"),
    ("name", lambda v: v == "article:published_time"),
    ("itemprop", lambda v: v == "datePublished"),
)
# Looser names some CMSes print on every page (even with today's date): trusted on an article page
# only, where the caller already knows the page is one item.
_LOOSE_META = (
    "name",
    re.compile(r"^(?:pubdate|publish[-_]?date|publication_date|dc\.date\.issued|date)$", re.I).search,
)
_ARTICLE_TYPES = re.compile(r"article|posting|report", re.IGNORECASE)


def _is_modified(t: Tag) -> bool:
    """A <time> of the last edit. WordPress themes write `entry-date published updated` on a post never
    edited: "published" among its names makes it the publication time."""
    names = ((t.get("itemprop") or "") + " " + ident(t)).lower()
    return ("modified" in names or "updated" in names) and "published" not in names


def _structured_dates(
    index: _Index, url: str, tz: tzinfo, *, strict: bool = False, used: set[int] | None = None
) -> list[Dated]:
    """The page's own publication date from metadata, strongest first.

    `strict` reads a page not known to be an article (a list page that may be one): only an article's
    metadata counts (JSON-LD of an Article type, `article:published_time`), and a <time> only when it
    dates no listed item of the page (`used`: the date texts attached to other items)."""
    out: list[Dated] = []
    for attr, matches in (*_PUBLISHED_META, *(() if strict else (_LOOSE_META,))):
        for meta in index.tags["meta"]:
            value = meta.get(attr)
            if not isinstance(value, str) or not matches(value):
                continue
            when = parse_machine_date(meta.get("content") or "", tz)
            if when:
                out.append(Dated(when, "second", "meta:article:published_time", url, found_on=url))
    for script in (t for t in index.tags["script"] if t.get("type") == "application/ld+json"):
        try:
            data = json.loads(script.string or "")
        except ValueError:
            continue
        for node in _ld_nodes(data):
            if strict and not _ARTICLE_TYPES.search(str(node.get("@type") or "")):
                continue  # a WebPage's datePublished is when the page was made, not a post
            raw = node.get("datePublished")
            if isinstance(raw, str) and (when := parse_machine_date(raw, tz)):
                out.append(Dated(when, "second", "json-ld", url, found_on=url))
    if strict and out:
        return out
    for t in (t for t in index.tags["time"] if t.get("datetime") is not None):
        if in_chrome(t) or _is_modified(t):
            continue
        if used is not None and any(id(s) in used for s in t.find_all(string=True)):
            break  # the first <time> dates a listed item: a list page, not one article
        when = parse_machine_date(t["datetime"], tz)
        if when:
            precision = "day" if len(t["datetime"].strip()) <= 10 else "second"
            out.append(Dated(when, precision, "time[datetime]", url, found_on=url))
            break  # the first <time> of the content is the post's; later ones are comments, sidebars
    return out


def _ld_nodes(data: object) -> list[dict]:
    if isinstance(data, list):
        return [n for item in data for n in _ld_nodes(item)]
    if isinstance(data, dict):
        return [data, *_ld_nodes(data.get("@graph", []))]
    return []


@dataclass
class _Link:
    tag: Tag
    url: str  # absolute, fragment dropped
    text: str
    path: str
    item: bool  # can be one article or agenda item
    in_heading: bool
    longer: str  # the title attribute or an image's alt: a truncated or image-only link's full title


def _links(index: _Index, base: str, home: str) -> list[_Link]:
    """Every <a href> of the page, resolved once: the page's link-based readings all start here."""
    out = []
    for a in index.tags["a"]:
        target = joined(base, a["href"]) if isinstance(a.get("href"), str) and a["href"] else None
        if target is None:
            continue  # no link, or one no crawler can follow (a 200 KB "URL", a port over 65535)
        href = clean_url(target)
        text = a.get_text(" ", strip=True)
        heading = a.parent is not None and a.parent.name in HEADINGS
        longer = a.get("title") if isinstance(a.get("title"), str) else ""
        if not longer and (img := a.find("img")) is not None and isinstance(img.get("alt"), str):
            longer = img["alt"]
        longer = " ".join(longer.split())[:300]
        # rel="category tag" (WordPress), rel="author": a taxonomy or author page, never one item
        rel = {r.lower() for r in (a.get("rel") or [])}
        item = looks_like_item(href, home) and not rel & {"tag", "category", "author"}
        out.append(_Link(a, href, text, urlsplit(href).path, item, heading, longer))
    return out


_CLIMB = 5  # levels above a date searched for its item's link
_TITLE_IN_DATE = 60  # characters: a longer text with a date in a link or heading is a title


def _is_title(text: str, dates: list[FoundDate]) -> bool:
    """A link's or heading's text that is a title with a date in it ("Rapat Paripurna DPRD 20
    November 2026"), not a date line. Judged on the trimmed text: the indentation a template or a
    saved copy puts around "22:00:26, 08 Agu 2024" is no title."""
    text = " ".join(text.split())
    if len(text) > _TITLE_IN_DATE:
        return True
    for d in dates:
        text = text.replace(d.text, " ")
    words = [w for w in re.findall(r"[^\W\d_]{2,}", text) if w.lower() not in _DATE_WORDS]
    return len(words) >= 3


# Words that stand beside a date in a date line, not in a title.
_DATE_WORDS = {
    *("senin", "selasa", "rabu", "kamis", "jumat", "jum", "at", "sabtu", "minggu", "ahad"),
    *("pukul", "jam", "wib", "wita", "wit", "oleh", "admin", "diposting", "diterbitkan", "dibaca"),
    *("kali", "pada", "tanggal", "posted", "on"),
}


def _link_score(link: _Link) -> int:
    """How well a link names its item: the longer title, one in a heading first."""
    return len(link.text) + (20 if link.in_heading else 0)


def _date_rank(d: FoundDate) -> tuple[bool, datetime]:
    return (d.label == "published", d.when)


def _title_of(link: _Link) -> str:
    """A link's title: its text, or the full title a truncated ("Forum Perangkat ...") or image-only
    link carries in its title attribute or image alt."""
    text = link.text
    if (len(text) < 20 or text.endswith(("...", "…"))) and len(link.longer) > len(text):
        return link.longer
    return text


def _headline_shaped(path: str) -> bool:
    """An address only an item has: a date in it, a long slug, or a slug under a berita folder
    (`/berita/rapat-koordinasi`), so that a short title ("Rapat koordinasi") still counts."""
    if looks_like_deep_item(path) or re.search(r"/(?:19|20)\d\d/", path):
        return True
    segments = [s for s in shape(path).split("/") if s]
    return (
        len(segments) >= 2 and bool(LIST_WORDS.search("/".join(segments[:-1]))) and len(slug_words(path)) >= 2
    )


def _listed(
    index: _Index, links: list[_Link], now: datetime, tz: tzinfo, page_url: str
) -> tuple[list[Listed], set[int]]:
    """Links with a date printed in the same list item: how list and home pages show news; then the
    item links without a date, which the crawl may open. Also the date texts given to other pages'
    items (so the page's own <time> is not mistaken for one of theirs)."""
    # For each element near an item link, the link that names the item (the longest title, one in
    # a heading first) and how many item links it holds: a block with many is the list, not an item.
    best: dict[int, tuple[int, _Link]] = {}
    count: dict[int, int] = {}
    for link in links:
        if not link.item:
            continue
        score = _link_score(link)
        node: Tag | None = link.tag
        for _ in range(_CLIMB + 1):
            if node is None:
                break
            key = id(node)
            count[key] = count.get(key, 0) + 1
            if key not in best or score > best[key][0]:
                best[key] = (score, link)
            node = node.parent
    for link in links:  # the rest of the item counts, for the agenda sections further up
        if link.item:
            for depth, parent in enumerate(link.tag.parents):
                if depth <= _CLIMB - 1:
                    continue
                if depth > 8:
                    break
                count[id(parent)] = count.get(id(parent), 0) + 1
    here = clean_url(page_url)
    found: dict[str, Listed] = {}
    used: set[int] = set()

    def before(link: _Link) -> tuple[Tag, ...]:
        return index.headings_before.get(id(link.tag), ())

    for text_node in index.date_texts:
        parent = text_node.parent
        found_dates = find_dates(str(text_node), now, tz)
        if (parent.name == "a" or parent.find_parent(HEADINGS)) and _is_title(str(text_node), found_dates):
            continue  # a date inside a title is what the item is about, not when it was posted
        dates = [d for d in found_dates if not is_future(d.when, d.precision, now, tz)]
        if not dates or in_chrome(parent):
            continue
        # Climb to the smallest block around the date that holds an item link: the list entry. A
        # short link found first (Joomla's "Kategori: Berita" beside the date) gives way to the
        # entry's title link a level or two up, while the block is still one entry.
        node, link = parent, None
        for _ in range(_CLIMB):
            if node is None or count.get(id(node), 0) > 3:
                break
            if id(node) in best:
                candidate = best[id(node)][1]
                if link is None or (candidate.in_heading and not link.in_heading):
                    link = candidate
                if link.in_heading or len(link.text) >= 20:
                    break
            node = node.parent
        if link is None:
            continue
        if link.url != here:
            used.add(id(text_node))
        # A labelled posting date beats an unlabelled one; among equals the newest.
        date = max((d for d in dates if not d.is_event), key=_date_rank, default=None)
        prev = found.get(link.url)
        if prev is None or prev.date is None or (date and _date_rank(date) > _date_rank(prev.date)):
            found[link.url] = Listed(link.url, _title_of(link), date, _kind(link, count, before(link)))
    # Links without a printed date still matter: the newest ones are opened to read their date.
    for position, link in enumerate(links):
        if not link.item or link.url == here or in_chrome(link.tag, for_links=True):
            continue
        prev = found.get(link.url)
        if prev is not None:
            if prev.date is None and not prev.newest and newest_block(link.tag, count, before(link)):
                prev.newest = True  # the same item again, in the slider
            continue
        title = _title_of(link)
        newest = newest_block(link.tag, count, before(link))
        words = len(title.split())
        if len(title) >= 20 or (words >= 2 and (newest or _headline_shaped(link.path))):
            found[link.url] = Listed(
                link.url,
                title,
                None,
                _kind(link, count, before(link)),
                newest=bool(newest),
                position=position,
                url_date=date_from_url(link.url, tz),
            )
    return list(found.values()), used


def _kind(link: _Link, count: dict[int, int], before: tuple[Tag, ...]) -> str:
    """berita or agenda: an agenda section of the page ("Agenda" widget, tab, table) makes its items
    agenda items; otherwise the address and title say."""
    if in_agenda_section(link.tag, count, before):
        return "agenda"
    return kind_of(link.url, link.text)


def _list_pages(links: list[_Link], url: str, home: str) -> dict[str, list[str]]:
    """Menu entries that open a berita or agenda list; entries named by their words ("Berita",
    "Indeks") before those only their address names."""
    pages: dict[str, list[tuple[bool, str]]] = {"berita": [], "agenda": []}
    here = clean_url(url)
    for link in links:
        if len(link.text) > 40 or link.text.endswith(("...", "…")) or link.url == here:
            continue  # a long (or cut-off) text is an article title, not a menu entry
        if not same_site(link.url, home):
            continue
        path = shape(link.path).lower()
        words = f"{link.text} {path}"
        if AGENDA_PAGE.search(words):
            key, by_text = "agenda", bool(AGENDA_PAGE.search(link.text))
        elif LIST_WORDS.search(words) and (not looks_like_deep_item(link.path) or _menu_words(link.text)):
            # A menu entry "Berita" may link one post: it is opened like a list page, and its own
            # date counts when it turns out to be an article.
            key, by_text = "berita", bool(LIST_WORDS.search(link.text))
            if not by_text and re.search(r"/\d+/?$", path):
                continue  # only the address says "artikel", and it ends in an id: one page (OpenSID)
        else:
            continue
        if link.url not in (u for _, u in pages[key]):
            pages[key].append((by_text, link.url))
    return {key: [u for _, u in sorted(found, key=lambda p: not p[0])] for key, found in pages.items()}


def _menu_words(text: str) -> bool:
    """A menu entry's words ("Berita", "Berita Terbaru", "Artikel"), not a headline's."""
    return bool(LIST_WORDS.search(text)) and len(text.split()) <= 3 and not text.endswith(("...", "…"))


@lru_cache(maxsize=64)
def _section_re(keys: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(k.lower()) for k in keys) + r")(?![a-z])")


def _sections(links: list[_Link], sections: dict[str, list[str]]) -> dict[str, str]:
    present: dict[str, str] = {}
    patterns = {name: _section_re(tuple(keys)) for name, keys in sections.items()}
    for link in links:
        words = f"{link.text} {link.path}".lower()
        for name, pattern in patterns.items():
            if name not in present and pattern.search(words):
                present[name] = link.url
        if len(present) == len(patterns):
            break
    return present


def _own_text_dates(index: _Index, soup: BeautifulSoup, url: str, now: datetime, tz: tzinfo) -> list[Dated]:
    """Dates in an article page's text, for sites with no metadata: a labelled posting date, or the
    first date of the article box that is not an event date ("Kamis (11/7/2019)")."""
    h1 = index.tags["h1"][0] if index.tags["h1"] else None
    box = None
    if h1 is not None:
        for parent in h1.parents:
            if parent.name in {"article", "main"} or _ARTICLE_BOX.search(ident(parent)):
                box = parent
                break
    box = box or next(iter(index.tags["article"] + index.tags["main"]), None) or soup.body
    if box is None:
        return []
    labelled: list[FoundDate] = []
    plain: list[FoundDate] = []
    for node in index.date_texts:
        if not any(parent is box for parent in node.parents) or in_chrome(node.parent):
            continue
        for d in find_dates(str(node), now, tz):
            (labelled if d.label == "published" else plain if d.label is None else []).append(d)
    chosen = labelled[:1] or plain[:1]
    source = "html:label" if labelled else "html:article"
    return [Dated(d.when, d.precision, source, url, found_on=url) for d in chosen]


_REFRESH = re.compile(
    r"^\s*(\d+(?:\.\d+)?)?\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]+)['\"]?\s*$", re.IGNORECASE
)


def _refresh(index: _Index, url: str) -> str | None:
    """Where `<meta http-equiv="refresh" content="0;url=index.xml">` sends the reader, if soon and
    somewhere else (a page that reloads itself every five minutes goes nowhere)."""
    for meta in index.tags["meta"]:
        if (meta.get("http-equiv") or "").lower() != "refresh":
            continue
        m = _REFRESH.match(meta.get("content") or "")
        if not m or "url" not in (meta.get("content") or "").lower() or float(m.group(1) or 0) > 10:
            continue
        target = joined(url, m.group(2).strip())
        if target and clean_url(target) != clean_url(url):
            return target
    return None


_GATE_WORDS = re.compile(
    r"\b(?:masuk|website|web|situs|beranda|home|homepage|portal|kunjungi|lanjut(?:kan)?|enter|resmi)\b",
    re.IGNORECASE,
)
_NOT_GATE = re.compile(
    r"toko|lapak|shop|belanja|pasar|market|login|log in|admin|daftar|register|e-?mail|whatsapp|facebook|"
    r"instagram|twitter|youtube|tiktok|pdf|unduh|download|siteman|auth|pengaduan|survei",
    re.IGNORECASE,
)
_GATE_MAX_LINKS = 6  # internal addresses: a splash page offers a way in or two, not a menu


def _gate(links: list[_Link], listed: list[Listed], url: str, home: str) -> str | None:
    """The one prominent way into the real site, when this page is a splash or landing page ("Masuk ke
    Website"; "Ke Web Desa / Ke Toko Desa"; a portal gate): no news, no list pages, a handful of
    internal links of which one leads in. None for an ordinary page."""
    if listed:
        return None
    here = clean_url(url)
    internal: dict[str, _Link] = {}
    for link in links:
        parts = urlsplit(link.url)
        if link.url == here or parts.scheme not in {"http", "https"} or not same_site(link.url, home):
            continue
        if re.search(r"\.(?:jpe?g|png|gif|pdf|docx?|xlsx?|zip|css|js)$", parts.path, re.IGNORECASE):
            continue
        internal.setdefault(link.url, link)
    if not internal or len(internal) > _GATE_MAX_LINKS:
        return None

    def score(link: _Link) -> int:
        words = f"{link.text} {link.longer}"
        return 2 * bool(_GATE_WORDS.search(words)) - 5 * bool(_NOT_GATE.search(f"{words} {link.path}"))

    ranked = sorted(internal.values(), key=score, reverse=True)
    if score(ranked[0]) > 0 or (len(ranked) == 1 and score(ranked[0]) == 0):
        return ranked[0].url
    return None


def parse_html(
    body: bytes,
    url: str,
    home: str,
    now: datetime,
    tz: tzinfo,
    *,
    declared_charset: str | None = None,
    sections: dict[str, list[str]] | None = None,
    article: bool = False,
    watch: WatchOptions | None = None,
) -> HtmlPage:
    """Read one page. Home and list pages give links, list pages and dated items, and the page's own
    metadata date when the page turns out to be one article; an article page (`article=True`) gives
    its own publication date. With `watch`, the page is also read for injected content."""
    html = decode_html(body, declared_charset)
    soup = _soup(html)
    page = HtmlPage(url=url)
    page.title = soup.title.get_text(strip=True) if soup.title else ""
    index = _Index(soup)
    page.cms = _detect_cms(index, html)
    for link in index.tags["link"]:
        rel = " ".join(link.get("rel") or []).lower()
        typ = (link.get("type") or "").lower()
        href = joined(url, link["href"]) if isinstance(link.get("href"), str) else None
        if not href:
            continue
        if "alternate" in rel and ("rss" in typ or "atom" in typ):
            page.feeds.append(href)
        if "https://api.w.org/" in rel:
            page.wp_api = href
    page.link_count = sum(1 for a in index.tags["a"] if a.get("href"))
    page.refresh = _refresh(index, url)
    headings = (index.tags["h1"] + index.tags["h2"])[:3]
    visible = page.title + " " + " ".join(h.get_text(" ", strip=True) for h in headings)
    m = _MAINTENANCE.search(visible)
    if m and page.link_count < 15:
        page.maintenance = m.group(0)
    if watch is not None:
        page.scan = scan_soup(soup, html, body, url, home, watch, index.tags)
    if not article:
        links = _links(index, url, home)
        page.list_pages = _list_pages(links, url, home)
        page.listed, used = _listed(index, links, now, tz, url)
        page.sections = _sections(links, sections) if sections else {}
        page.own_dates = _structured_dates(index, url, tz, strict=True, used=used)
        if not page.list_pages.get("berita") and not page.feeds:
            page.gate = _gate(links, page.listed, url, home)
        return page
    # Strongest evidence first, and only that: metadata, then a labelled posting date, then the date
    # in the address, then the first plain date of the article. So body-text event dates never
    # outvote metadata.
    own = _structured_dates(index, url, tz)
    text = [] if own else _own_text_dates(index, soup, url, now, tz)
    url_date = date_from_url(url, tz)
    if text and text[0].source == "html:label":
        own = text
    elif url_date:
        own = own or [Dated(url_date, "day", "url:date", url, found_on=url)]
    page.own_dates = own or text
    return page
