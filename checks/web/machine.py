"""Machine sources a site offers: RSS/Atom feeds, the WordPress REST API and XML sitemaps. Pure:
bytes and the document's own URL in, dated items out."""

from __future__ import annotations

import calendar
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlsplit

import feedparser

from .dates import parse_machine_date
from .links import kind_of
from .model import Dated
from .urls import joined

# A feed category that names a schedule. "Kegiatan Kelurahan" is the news of what the kelurahan did,
# not a calendar: only a category that *is* an agenda ("Agenda", "Agenda Kegiatan", "Jadwal Kegiatan",
# "Kalender", "Event") makes its entries agenda items.
_AGENDA_CATEGORY = re.compile(
    r"^\s*(?:agenda|jadwal\s+kegiatan|kalender(?:\s+kegiatan)?|events?)(?:\s|$)", re.IGNORECASE
)


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
        terms = [t.get("term") or "" for t in entry.get("tags", []) if isinstance(t, dict)]
        agenda = any(_AGENDA_CATEGORY.match(term) for term in terms if isinstance(term, str))
        kind = "agenda" if agenda else kind_of(link or "", entry.get("title"))
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
    child_lastmod: dict[str, datetime] = field(default_factory=dict)  # what an index says of each


def parse_sitemap(body: bytes, tz: tzinfo, base: str = "") -> SitemapResult:
    """`<loc>`s are resolved against `base`, the sitemap's own URL, as every crawler does: a static
    export written with relative URLs (Simply Static, Hugo with `baseURL = "/"`) has `<loc>/a/</loc>`."""
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
                loc = joined(base, child.text.strip())  # None when too long or unparsable
            elif name == "lastmod" and child.text:
                lastmod = parse_machine_date(child.text, tz)
        if not loc:
            continue
        if tag == "sitemapindex":
            result.children.append(loc)
            if lastmod is not None:
                result.child_lastmod[loc] = lastmod
        else:
            result.urls.append((loc, lastmod))
    if tag not in {"sitemapindex", "urlset"}:
        result.ok = False
    return result


_NOT_POSTS = re.compile(r"page|categor|kategori|tag|taxonom|author|user|penulis|image|video", re.IGNORECASE)
_POSTS = re.compile(r"post|berita|artikel|article|news|warta", re.IGNORECASE)


def newest_post_sitemaps(index: SitemapResult) -> list[str]:
    """The children of a sitemap index most likely to list the newest posts, best first.

    WordPress core lists `wp-sitemap-posts-post-1.xml` *and* `wp-sitemap-posts-page-1.xml` (both say
    "post"), oldest posts on page 1; Yoast numbers `post-sitemap.xml`, `post-sitemap2.xml` and gives
    each a lastmod. So: post sitemaps before pages and taxonomies, the newest lastmod first, then the
    highest number."""

    def name(url: str) -> str:
        return urlsplit(url).path.rsplit("/", 1)[-1]

    def number(url: str) -> int:
        digits = re.findall(r"\d+", name(url))
        return int(digits[-1]) if digits else 0

    def key(url: str) -> tuple:
        posts = bool(_POSTS.search(name(url))) and not _NOT_POSTS.search(name(url).replace("posts-", ""))
        lastmod = index.child_lastmod.get(url)
        return (posts, lastmod is not None, lastmod.timestamp() if lastmod else 0.0, number(url))

    return sorted(index.children, key=key, reverse=True)
