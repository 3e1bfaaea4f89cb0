"""Parse what a site serves into dated items. Pure: bytes, the page URL, `now` and a timezone in.

One function per source kind: feeds (RSS/Atom via feedparser), WordPress REST, sitemaps, and HTML
pages (home, list pages, article pages) read with BeautifulSoup.
"""

from __future__ import annotations

import calendar
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from urllib.parse import urlsplit

import feedparser
from bs4 import BeautifulSoup, NavigableString, Tag

from .dates import FoundDate, find_dates, is_future, parse_machine_date
from .model import Dated
from .urls import clean_url, joined

_AGENDA_WORDS = re.compile(r"agenda|kegiatan|jadwal|event|kalender", re.IGNORECASE)
_LIST_WORDS = re.compile(
    r"berita|artikel|news|warta|kabar|indeks|index(?!\.php)|arsip|archive|post|blog|rilis|siaran-pers",
    re.IGNORECASE,
)
_NOT_ARTICLE_PATH = re.compile(
    r"^/?$|/(?:tag|tags|category|kategori|author|penulis|page|halaman|search|cari|login|wp-admin|wp-login|feed|"
    r"rss|cdn-cgi|assets|files?|uploads?|images?|img|css|js)(?:/|$)|\.(?:jpe?g|png|gif|pdf|docx?|xlsx?|zip|css|js)$",
    re.IGNORECASE,
)
# /2024/10/05/slug (WordPress), /artikel/2024/10/5/slug (OpenSID: not zero-padded)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)/([01]?\d)/([0-3]?\d)/[^/]")
_MAINTENANCE = re.compile(
    r"maintenance|sedang\s+dalam\s+perbaikan|sedang\s+perbaikan|dalam\s+pemeliharaan|sedang\s+dalam\s+pemeliharaan|"
    r"under\s+construction|coming\s+soon|segera\s+hadir|account\s+suspended|website\s+is\s+suspended|"
    r"apache2?\s+\w*\s*default\s+page|welcome\s+to\s+nginx|it\s+works!|index\s+of\s+/",
    re.IGNORECASE,
)
# Parts of a page that carry today's date or site-wide dates, not an item's.
_CHROME = re.compile(
    r"header|footer|topbar|top-bar|navbar|menu|clock|jam|today|hari-ini|tanggal-sekarang|"
    r"copyright|widget-calendar|ticker|marquee",
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


def same_site(url: str, home: str) -> bool:
    a, b = urlsplit(url).hostname or "", urlsplit(home).hostname or ""
    return a.removeprefix("www.") == b.removeprefix("www.")


def looks_like_item(url: str, home: str) -> bool:
    """An address that can be one article or agenda item (not home, a tag page, a file, ...)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not same_site(url, home):
        return False
    if _NOT_ARTICLE_PATH.search(parts.path) and not parts.query:
        return False
    if parts.query and re.search(r"(?:^|&)(?:p|id|page_id|artikel|berita)=\d+", parts.query):
        return True  # WordPress without permalinks (?p=123), old PHP CMS
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return False
    last = segments[-1]
    return "-" in last or "_" in last or any(c.isdigit() for c in last) or len(segments) >= 2


_AGENDA_SEGMENTS = {
    "agenda",
    "agendas",
    "kegiatan",
    "jadwal",
    "event",
    "events",
    "kalender",
    "semua-agenda.html",
}


def kind_of(url: str, title: str | None = None) -> str:
    """berita or agenda, from the address's folders or an "Agenda ..." title. A slug that merely
    contains "kegiatan" (a common word in news titles) is not an agenda."""
    segments = [seg.lower() for seg in urlsplit(url).path.split("/") if seg]
    if any(seg in _AGENDA_SEGMENTS or seg.startswith(("agenda-", "agenda_")) for seg in segments):
        return "agenda"
    if title and re.match(r"\s*agenda\b", title, re.IGNORECASE):
        return "agenda"
    return "berita"


def date_from_url(url: str, tz: tzinfo) -> datetime | None:
    m = _URL_DATE.search(urlsplit(url).path)
    if not m:
        return None
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=tz)
    except ValueError:
        return None


# --- feeds -----------------------------------------------------------------------------------------


@dataclass
class FeedResult:
    items: list[Dated]
    undated: int  # entries with no date: a Lokomedia static rss.xml has only these
    ok: bool  # parsed as a feed at all


def parse_feed(body: bytes, url: str) -> FeedResult:
    try:
        parsed = feedparser.parse(body)
    except (UnicodeError, LookupError, ValueError):
        # Found by fuzzing: feedparser itself raises on a mangled XML declaration (an encoding
        # name that is no UTF-8). A feed it cannot read is no feed, not a failed site.
        return FeedResult([], 0, False)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        return FeedResult([], 0, False)
    items: list[Dated] = []
    undated = 0
    for entry in parsed.entries:
        # feedparser normalises every date form to a UTC struct_time; `published` is the posting date
        # (for Joomla the creation date), `updated` the last edit when nothing else is given.
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        link = joined(url, entry["link"]) if isinstance(entry.get("link"), str) else None
        if not stamp:
            undated += 1
            continue
        when = datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)
        tags = " ".join(t.get("term", "") for t in entry.get("tags", []) if isinstance(t, dict))
        kind = "agenda" if _AGENDA_WORDS.search(tags) else kind_of(link or "", entry.get("title"))
        items.append(Dated(when, "second", "feed", link, kind, entry.get("title"), url))
    return FeedResult(items, undated, True)


# --- WordPress REST --------------------------------------------------------------------------------


def parse_wp_posts(body: bytes, url: str) -> list[Dated] | None:
    """`/wp-json/wp/v2/posts`: `date_gmt` is the publication time in UTC. None if not that API."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, list):
        return None
    items = []
    for post in data:
        if not isinstance(post, dict) or post.get("status", "publish") != "publish":
            continue
        raw = post.get("date_gmt")
        when = parse_machine_date(raw, UTC) if isinstance(raw, str) and raw else None
        if when is None:
            continue  # a site's JSON is untrusted: a date_gmt that is no string is no date
        title = post.get("title", {})
        title = title.get("rendered") if isinstance(title, dict) else None
        title = title[:500] if isinstance(title, str) else None
        link = joined(url, post["link"]) if isinstance(post.get("link"), str) else None
        items.append(Dated(when, "second", "wp-json", link, "berita", title, url))
    return items


# --- sitemaps --------------------------------------------------------------------------------------


@dataclass
class SitemapResult:
    urls: list[tuple[str, datetime | None]] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # a sitemap index points to more sitemaps
    ok: bool = True


def parse_sitemap(body: bytes, tz: tzinfo) -> SitemapResult:
    # Python's expat refuses entity-expansion bombs; a truncated (capped) file fails to parse and is
    # read as "no sitemap" rather than half a list.
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, LookupError, ValueError):  # LookupError: an encoding="UTF78" (fuzzing)
        return SitemapResult(ok=False)
    result = SitemapResult()
    tag = root.tag.rsplit("}", 1)[-1]
    for node in root:
        loc = lastmod = None
        for child in node:
            name = child.tag.rsplit("}", 1)[-1]
            if name == "loc" and child.text:
                loc = joined("", child.text.strip())  # None when too long or unparsable
            elif name == "lastmod" and child.text:
                lastmod = parse_machine_date(child.text, tz)
        if not loc:
            continue
        if tag == "sitemapindex":
            result.children.append(loc)
        else:
            result.urls.append((loc, lastmod))
    if tag not in {"sitemapindex", "urlset"}:
        result.ok = False
    return result


# --- HTML ------------------------------------------------------------------------------------------


@dataclass
class Listed:
    """A link on a list or home page, with the date printed beside it (if any)."""

    url: str
    title: str
    date: FoundDate | None
    kind: str


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


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


_INDEXED = {"a", "link", "meta", "h1", "h2", "script", "time", "article", "main"}
_SKIP_TEXT = {"script", "style", "title", "noscript", "template"}


class _Index:
    """One walk over the tree collects what every reading needs; each find_all would walk it again."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.tags: dict[str, list[Tag]] = {name: [] for name in _INDEXED}
        self.date_texts: list[NavigableString] = []
        for node in soup.descendants:
            if isinstance(node, Tag):
                if node.name in _INDEXED:
                    self.tags[node.name].append(node)
            elif (
                type(node) is NavigableString
                and node.parent is not None
                and node.parent.name not in _SKIP_TEXT
                and _QUICK_DATE.search(node)
            ):
                self.date_texts.append(node)


def _in_chrome(node: Tag) -> bool:
    for parent in [node, *node.parents]:
        if not isinstance(parent, Tag):
            continue
        if parent.name in {"header", "nav", "footer", "aside"}:
            return True
        ident = " ".join(parent.get("class") or []) + " " + (parent.get("id") or "")
        if ident.strip() and _CHROME.search(ident):
            return True
    return False


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
    return gen.split()[0].lower() if gen else None


_PUBLISHED_META: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("property", lambda v: v == "article:published_time"),
    ("property", lambda v: v == "og:article:published_time"),
    ("name", lambda v: v == "article:published_time"),
    ("itemprop", lambda v: v == "datePublished"),
    (
        "name",
        re.compile(r"^(?:pubdate|publish[-_]?date|publication_date|dc\.date\.issued|date)$", re.I).search,
    ),
)


def _structured_dates(index: _Index, url: str, tz: tzinfo) -> list[Dated]:
    """The page's own publication date from metadata, strongest first."""
    out: list[Dated] = []
    for attr, matches in _PUBLISHED_META:
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
            raw = node.get("datePublished")
            if isinstance(raw, str) and (when := parse_machine_date(raw, tz)):
                out.append(Dated(when, "second", "json-ld", url, found_on=url))
    for t in (t for t in index.tags["time"] if t.get("datetime") is not None):
        if _in_chrome(t):
            continue
        itemprop = (t.get("itemprop") or "") + " " + " ".join(t.get("class") or [])
        if "modified" in itemprop.lower() or "updated" in itemprop.lower():
            continue
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


def _links(index: _Index, base: str, home: str) -> list[_Link]:
    """Every <a href> of the page, resolved once: the page's link-based readings all start here."""
    out = []
    for a in index.tags["a"]:
        target = joined(base, a["href"]) if isinstance(a.get("href"), str) and a["href"] else None
        if target is None:
            continue  # no link, or one no crawler can follow (a 200 KB "URL", a port over 65535)
        href = clean_url(target)
        text = a.get_text(" ", strip=True)
        heading = a.parent is not None and a.parent.name in _HEADINGS
        out.append(_Link(a, href, text, urlsplit(href).path, looks_like_item(href, home), heading))
    return out


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CLIMB = 5  # levels above a date searched for its item's link


def _date_rank(d: FoundDate) -> tuple[bool, datetime]:
    return (d.label == "published", d.when)


def _listed(index: _Index, links: list[_Link], now: datetime, tz: tzinfo) -> list[Listed]:
    """Links with a date printed in the same list item: how list and home pages show news."""
    # For each element near an item link, the link that names the item (the longest title, one in
    # a heading first) and how many item links it holds: a block with many is the list, not an item.
    best: dict[int, tuple[int, _Link]] = {}
    count: dict[int, int] = {}
    for link in links:
        if not link.item:
            continue
        score = len(link.text) + (20 if link.in_heading else 0)
        node: Tag | None = link.tag
        for _ in range(_CLIMB + 1):
            if node is None:
                break
            key = id(node)
            count[key] = count.get(key, 0) + 1
            if key not in best or score > best[key][0]:
                best[key] = (score, link)
            node = node.parent
    found: dict[str, Listed] = {}
    for text_node in index.date_texts:
        parent = text_node.parent
        if len(text_node) > 60 and (parent.name == "a" or parent.find_parent(_HEADINGS)):
            continue  # a date inside a title is what the item is about, not when it was posted
        dates = [
            d for d in find_dates(str(text_node), now, tz) if not is_future(d.when, d.precision, now, tz)
        ]
        if not dates or _in_chrome(parent):
            continue
        # Climb to the smallest block around the date that holds an item link: the list entry.
        node, link = parent, None
        for _ in range(_CLIMB):
            if node is None or count.get(id(node), 0) > 3:
                break
            if id(node) in best:
                link = best[id(node)][1]
                break
            node = node.parent
        if link is None:
            continue
        # A labelled posting date beats an unlabelled one; among equals the newest.
        date = max((d for d in dates if not d.is_event), key=_date_rank, default=None)
        prev = found.get(link.url)
        if prev is None or prev.date is None or (date and _date_rank(date) > _date_rank(prev.date)):
            found[link.url] = Listed(link.url, link.text, date, kind_of(link.url, link.text))
    # Links without a printed date still matter: the newest ones are opened to read their date.
    for link in links:
        if link.item and link.url not in found and len(link.text) >= 20 and not _in_chrome(link.tag):
            found[link.url] = Listed(link.url, link.text, None, kind_of(link.url, link.text))
    return list(found.values())


_AGENDA_PAGE = re.compile(r"\bagenda\b|semua-agenda|jadwal\s+kegiatan|/kegiatan\b", re.IGNORECASE)


def _list_pages(links: list[_Link], url: str, home: str) -> dict[str, list[str]]:
    pages: dict[str, list[str]] = {"berita": [], "agenda": []}
    here = clean_url(url)
    for link in links:
        if len(link.text) > 40 or link.url == here or not same_site(link.url, home):
            continue  # a long text is an article title, not a menu entry
        words = f"{link.text} {link.path.lower()}"
        if _AGENDA_PAGE.search(words):
            key = "agenda"
        elif _LIST_WORDS.search(words) and not looks_like_deep_item(link.path):
            key = "berita"
        else:
            continue
        if link.url not in pages[key]:
            pages[key].append(link.url)
    return pages


def looks_like_deep_item(path: str) -> bool:
    segments = [s for s in path.split("/") if s]
    return len(segments) >= 2 and ("-" in segments[-1] and len(segments[-1]) > 25)


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
            ident = " ".join(parent.get("class") or []) + " " + (parent.get("id") or "")
            if parent.name in {"article", "main"} or _ARTICLE_BOX.search(ident):
                box = parent
                break
    box = box or next(iter(index.tags["article"] + index.tags["main"]), None) or soup.body
    if box is None:
        return []
    labelled: list[FoundDate] = []
    plain: list[FoundDate] = []
    for node in index.date_texts:
        if not any(parent is box for parent in node.parents) or _in_chrome(node.parent):
            continue
        for d in find_dates(str(node), now, tz):
            (labelled if d.label == "published" else plain if d.label is None else []).append(d)
    chosen = labelled[:1] or plain[:1]
    source = "html:label" if labelled else "html:article"
    return [Dated(d.when, d.precision, source, url, found_on=url) for d in chosen]


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
) -> HtmlPage:
    """Read one page. Home and list pages give links, list pages and dated items; an article page
    (`article=True`) gives its own publication date."""
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
    headings = (index.tags["h1"] + index.tags["h2"])[:3]
    visible = page.title + " " + " ".join(h.get_text(" ", strip=True) for h in headings)
    m = _MAINTENANCE.search(visible)
    if m and page.link_count < 15:
        page.maintenance = m.group(0)
    if not article:
        links = _links(index, url, home)
        page.list_pages = _list_pages(links, url, home)
        page.listed = _listed(index, links, now, tz)
        page.sections = _sections(links, sections) if sections else {}
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
