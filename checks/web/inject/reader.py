"""What every reading of a page shares: the page, the site's home, the lexicon, and the scan being
filled. Pure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bs4 import Tag

from ..links import same_site
from ..urls import joined
from .lexicon import Lexicon, Verdict, lexicon, printable
from .model import MAX_ITEMS, PageScan, Suspect, WatchOptions

# Outbound hosts whose names are never read as gambling: government and the national complaint
# service (aduankonten.id), plus the office's own list.
_ALLOWED_SUFFIXES = ("go.id", "aduankonten.id")
MAX_SUSPECTS = 20
PLAIN_TAG = re.compile(r"<[^<>]*>")  # [^<>]: a run of "<" without ">" stays linear
HREF = re.compile(r"""href\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def allowed(host: str, options: WatchOptions) -> bool:
    host = host.lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in (*_ALLOWED_SUFFIXES, *options.allowed_domains))


def words_of(url: str) -> str:
    """An address as words: path and query split on punctuation ("/situs-slot-gacor/": "situs slot gacor")."""
    parts = urlsplit(url)
    return " ".join(re.split(r"[/\-_.?=&+%:;,]+", f"{parts.path} {parts.query}")).strip()


class Reader:
    def __init__(self, url: str, home: str, options: WatchOptions) -> None:
        self.url, self.home, self.options = url, home, options
        self.lex: Lexicon = lexicon(options.extra_terms, options.extra_counter)
        self.scan = PageScan(url)
        self.contexts: dict[int, tuple[str, ...]] = {}  # container -> its counter words, read once

    def add(self, suspect: Suspect) -> None:
        if len(self.scan.suspects) < MAX_SUSPECTS:
            suspect.links = list(dict.fromkeys(suspect.links))[:MAX_ITEMS]
            suspect.terms = [printable(t, 80) for t in dict.fromkeys(suspect.terms)][:MAX_ITEMS]
            self.scan.suspects.append(suspect)

    def href(self, tag: Tag, attr: str = "href") -> str | None:
        value = tag.get(attr)
        if not isinstance(value, str) or not value.strip():
            return None
        target = joined(self.url, value.strip())
        if target is None or urlsplit(target).scheme not in {"http", "https"}:
            return None
        return target

    def offsite(self, url: str) -> bool:
        return not same_site(url, self.home)

    def gambling_link(self, url: str, text: str) -> bool:
        """An outbound link that is gambling: its words advertise, its host is a gambling site's, or
        its address is made of advertising words."""
        host = urlsplit(url).hostname or ""
        if self.lex.quick_text(text) and self.lex.verdict(text).advert:
            return True
        if not allowed(host, self.options) and self.lex.gambling_host(host):
            return True
        words = words_of(url)
        return self.lex.quick_text(words) and self.lex.verdict(words).advert

    def verdict(self, text: str) -> Verdict:
        return self.lex.verdict(text) if self.lex.quick_text(text) else Verdict()
