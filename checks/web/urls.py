"""Which addresses from a monitored site the crawler will follow. Pure: strings in, strings out.

Every link, feed entry, sitemap entry and redirect comes from the site, so it is untrusted: a page
may carry a 200 KB "link" (httpx refuses URLs over 64 KB with InvalidURL, which is no httpx.HTTPError)
or a port over 65535 (httpx passes it on, and the socket's OverflowError surfaced from anyio as an
ExceptionGroup). Both used to end the whole crawl. Such addresses are skipped when read, and refused
as a finding when fetched.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

# The sitemap protocol caps a URL at 2,048 characters; no OPD page links further than that.
MAX_URL_CHARS = 2048


def url_problem(url: str) -> str | None:
    """Why `url` cannot be fetched, in a few words; None when it can."""
    if len(url) > MAX_URL_CHARS:
        return f"URL too long ({len(url)} characters, limit {MAX_URL_CHARS})"
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when out of 0-65535 or not a number
    except ValueError as exc:
        return f"invalid URL: {exc}"
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return "not an http(s) URL"
    if port == 0:
        return "invalid URL: port 0"
    host = parts.hostname
    if len(host) > 253 or any(len(label) > 63 for label in host.split(".")):
        return "invalid URL: host name too long"  # the resolver's IDNA encoding would raise
    return None


def joined(base: str, href: str) -> str | None:
    """`href` resolved against `base`; None when it is too long or does not parse (an unclosed IPv6
    literal, a port over 65535). A mailto: or tel: link is kept: its words still show a section."""
    if len(href) > MAX_URL_CHARS:  # before urljoin: do not copy a huge string around
        return None
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return None
    return url if len(url) <= MAX_URL_CHARS else None


def clean_url(url: str) -> str:
    """The address without its fragment, host in lower case, an empty path as "/"."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def bounded(url: str) -> str:
    """An address as evidence or in a note: never longer than MAX_URL_CHARS."""
    return url if len(url) <= MAX_URL_CHARS else url[: MAX_URL_CHARS - 1] + "…"
