"""What a link's address and words say about it: one item or a list, berita or agenda, a site's own
page or another's. Pure string work on URLs and link texts; no HTML tree here."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from urllib.parse import urlsplit

# Words that make a menu entry a berita list page. "index" only as a word of its own: a static export
# (Simply Static, HTTrack, Hugo with uglyURLs) ends every address in `…/index.html`, and those are not
# all news indexes.
LIST_WORDS = re.compile(
    r"berita|artikel|news|warta|kabar|indeks|\bindex\b(?!\.(?:php|html?|aspx?|jsp))|arsip|archive|post|blog|"
    r"rilis|siaran-pers",
    re.IGNORECASE,
)
AGENDA_PAGE = re.compile(r"\bagenda\b|semua-agenda|jadwal\s+kegiatan|kalender\s+kegiatan", re.IGNORECASE)
_NOT_ARTICLE_PATH = re.compile(
    r"^/?$|/(?:tag|tags|category|kategori|author|penulis|page|halaman|search|cari|login|wp-admin|wp-login|feed|"
    r"rss|cdn-cgi|assets|files?|uploads?|images?|img|css|js)(?:/|$)|\.(?:jpe?g|png|gif|pdf|docx?|xlsx?|zip|css|js)$",
    re.IGNORECASE,
)
# /2024/10/05/slug (WordPress), /artikel/2024/10/5/slug (OpenSID: not zero-padded)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)/([01]?\d)/([0-3]?\d)/[^/]")
# `/index.php/berita` (Joomla, CodeIgniter without rewriting) and `/berita/index.html` (a static copy)
# are the folder `/berita/`: the file name says nothing about what the page is.
_FRONT_SCRIPT = re.compile(r"^/index\.php(?=/)", re.IGNORECASE)
_DIR_INDEX = re.compile(r"(?:^|/)index\.(?:html?|php|aspx?)$", re.IGNORECASE)
# A list page's own name: "semua-berita.html", "indeks-berita", "arsip".
_LIST_SLUG_START = {
    "semua",
    "indeks",
    "index",
    "arsip",
    "archive",
    "daftar",
    "kategori",
    "category",
    "list",
    "all",
}

_AGENDA_SEGMENTS = {"agenda", "agendas", "jadwal", "event", "events", "kalender", "semua-agenda.html"}


def shape(path: str) -> str:
    """The path as a folder structure: the front script and a directory's index file dropped."""
    path = _FRONT_SCRIPT.sub("", path)
    path = _DIR_INDEX.sub("/", path)
    return path or "/"


def same_site(url: str, home: str) -> bool:
    a, b = urlsplit(url).hostname or "", urlsplit(home).hostname or ""
    return a.removeprefix("www.") == b.removeprefix("www.")


def looks_like_item(url: str, home: str) -> bool:
    """An address that can be one article or agenda item (not home, a tag page, a file, ...)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not same_site(url, home):
        return False
    path = shape(parts.path)
    if _NOT_ARTICLE_PATH.search(path) and not parts.query:
        return False
    if parts.query and re.search(r"(?:^|&)(?:p|id|page_id|artikel|berita)=\d+", parts.query):
        return True  # WordPress without permalinks (?p=123), old PHP CMS
    segments = [s for s in path.split("/") if s]
    if not segments:
        return False
    last = segments[-1]
    return "-" in last or "_" in last or any(c.isdigit() for c in last) or len(segments) >= 2


def slug_words(path: str) -> list[str]:
    """The words of the address's last segment: "berita-rapat-koordinasi.html" -> berita rapat koordinasi."""
    segments = [s for s in shape(path).split("/") if s]
    if not segments:
        return []
    last = re.sub(r"\.(?:html?|php|aspx?)$", "", segments[-1], flags=re.IGNORECASE)
    return [w for w in re.split(r"[-_+]+", last) if w]


def looks_like_deep_item(path: str) -> bool:
    """An item's address even when it holds a list word: `/berita/142-penerimaan-peserta-didik-baru`,
    or Lokomedia's one-segment `berita-forum-perangkat-daerah-rkpd-2027.html`."""
    segments = [s for s in shape(path).split("/") if s]
    if len(segments) >= 2 and ("-" in segments[-1] and len(segments[-1]) > 25):
        return True
    words = slug_words(path)
    return len(words) >= 3 and words[0].lower() not in _LIST_SLUG_START


def kind_of(url: str, title: str | None = None) -> str:
    """berita or agenda, from the address's folders or an "Agenda ..." title. "Kegiatan" (activities)
    is news of what an office did, not its schedule: neither a folder nor a slug of that word is an
    agenda."""
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
