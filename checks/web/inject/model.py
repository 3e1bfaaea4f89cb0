"""What the injection watch finds on a page, and what it carries from page to finding. No I/O here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# How the spam was put where it is. The keys are contracts (the finding's `techniques`, the ledger);
# the words a person reads are in checks/web/messages.py.
TECHNIQUES = (
    "hidden_css",  # in an element hidden by CSS: display:none, off-screen, font-size:0, ...
    "noscript",  # in <noscript>
    "after_html",  # after the closing </html>
    "before_doctype",  # before <!DOCTYPE>
    "link_farm",  # a block of many outbound gambling links
    "spam_link",  # an outbound link with gambling words or to a gambling host
    "planted_page",  # a gambling page on the site itself: a link, a feed or wp-json item, a sitemap entry
    "doorway",  # a doorway kit: one script, a keyword per query (/?produk=KEYWORD)
    "meta",  # <title>, meta description/keywords, an off-site amphtml/canonical
    "script_written",  # written by a script (atob, document.write, String.fromCharCode)
    "lookalike",  # gambling words in look-alike or disguised letters (𝐒𝐋𝐎𝐓 𝐆𝐀𝐂𝐎𝐑, s1ot, zero-width)
    "visible_spam",  # advertising text shown on the page
    "iframe",  # in an iframe of the site's own, or one from a gambling host
    "cloaking",  # only in the view a search engine or a visitor from Google gets
    "redirect",  # visitors (or only phones) sent to another domain with gambling content
)
# Who saw it: Sigap's own request, the Googlebot smartphone crawler, a visitor coming from a Google
# search, a phone (a redirect served to the smartphone user agent, or a script that checks for one).
VIEWS = ("browser", "googlebot", "referer", "mobile")
MAX_ITEMS = 10  # links and words kept as evidence per block
ITEM_CHARS = 200


@dataclass(frozen=True)
class WatchOptions:
    """What the parse workers need to read pages for injected content (hashable, picklable)."""

    extra_terms: tuple[str, ...] = ()
    extra_counter: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()  # outbound hosts never taken as gambling by their name


@dataclass
class Suspect:
    """One injected block: how it was put there, where, and what it carries."""

    technique: str
    location: str  # a CSS-like path, "after </html>", "<title>", a sitemap's address ...
    page: str  # the document it was found in
    links: list[str] = field(default_factory=list)  # absolute URLs, as the site wrote them
    terms: list[str] = field(default_factory=list)  # gambling words, as the page wrote them
    detail: str = ""  # how it was hidden ("display:none"), where a redirect led, the first technique
    views: list[str] = field(default_factory=lambda: ["browser"])

    @property
    def key(self) -> str:
        """The same injection next week gives the same key: its links (host and path) and words,
        sorted, whatever the page around them or the order they come in."""
        parts = sorted({_link_key(u) for u in self.links} | {" ".join(t.lower().split()) for t in self.terms})
        return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()[:16]

    def items(self) -> list[str]:
        """Up to MAX_ITEMS links then words, unescaped and undefanged (the finding defangs them)."""
        out = list(dict.fromkeys(u[:ITEM_CHARS] for u in self.links))
        out += [t for t in dict.fromkeys(t[:ITEM_CHARS] for t in self.terms) if t not in out]
        return out[:MAX_ITEMS]


def _link_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}{'?' + parts.query if parts.query else ''}".lower()


@dataclass(frozen=True)
class Redirect:
    """A script or meta refresh that sends the reader to another site."""

    target: str
    via: str  # "script" | "meta refresh"
    condition: str = ""  # "mobile" (the script checks for a phone), "referer" (for visitors from Google)
    location: str = ""


@dataclass
class PageScan:
    """What one page showed of injected content."""

    url: str
    suspects: list[Suspect] = field(default_factory=list)
    defacement: tuple[str, str] | None = None  # (the defacer's words, where: "<title>", "h1", "script")
    redirect: Redirect | None = None
    iframes: list[str] = field(default_factory=list)  # the site's own iframes, worth a look
    planted: bool = False  # the page itself is a gambling page (its title or heading advertises)
    read: bool = False  # read closely (the quick look found a stem)

    @property
    def terms(self) -> set[str]:
        return {" ".join(t.lower().split()) for s in self.suspects for t in s.terms}

    @property
    def keys(self) -> set[str]:
        return {s.key for s in self.suspects}


@dataclass
class InjectionEvidence:
    """Everything the watch learnt about one site, for evaluate."""

    checked: bool = False  # the home page was read
    suspects: list[Suspect] = field(default_factory=list)
    defacement: tuple[str, str, str] | None = None  # (the defacer's words, where, the page)
    views: list[str] = field(default_factory=list)  # the views read: browser, googlebot, referer
    skipped: dict[str, str] = field(default_factory=dict)  # view or lead -> why it was not read
    planted: list[str] = field(default_factory=list)  # gambling items kept out of the freshness count
    requests: int = 0  # the watch's own requests
