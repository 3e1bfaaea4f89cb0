"""Which part of a page an element is in: the page's frame (site header, menus, footer, a clock), an
entry's own header, a block of the newest news (slider, "Berita Terbaru"), an older-news block
("Populer", "Arsip"), or an agenda section. Pure reading of a BeautifulSoup tree."""

from __future__ import annotations

import re

from bs4 import Tag

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}

# The page's frame: site header, menus, footer. Elements named so carry site-wide links and dates.
_FRAME = re.compile(r"header|footer|topbar|top-bar|navbar|menu|copyright", re.IGNORECASE)
# Parts that print today's date or a clock, not an item's date (their links are still news links).
_CLOCK = re.compile(
    r"clock|jam|today|hari-ini|tanggal-sekarang|widget-calendar|ticker|marquee", re.IGNORECASE
)
# An entry's own header or footer, which holds its title and date: WordPress `entry-header` /
# `entry-footer`, Jekyll `post-header`, K2 `itemHeader` / `catItemHeader`, `article-header`.
_ENTRY_PART = re.compile(
    r"(?:entry|post|article|item|artikel|berita|news|blog)[-_]?(?:header|footer|meta|info)", re.IGNORECASE
)
_HEADER_FOOTER = re.compile(r"header|footer", re.IGNORECASE)
# Blocks that show the newest items, and blocks that show old or unrelated ones.
_NEWEST = re.compile(
    r"slide|carousel|headline|berita[-_ ]?utama|terbaru|terkini|latest|recent|breaking|ticker|"
    r"marquee|scroll|news[-_ ]?update|highlight",
    re.IGNORECASE,
)
# ("archive" is left out: themes name layouts so, natra's `archive_style_1` holds its headline too.)
_OLDER = re.compile(
    r"popul|acak|random|arsip|terkait|related|komentar|comment|most[-_ ]?read|terbanyak|pilihan",
    re.IGNORECASE,
)
_AGENDA = re.compile(r"agenda", re.IGNORECASE)
_CLIMB_SECTION = 8  # levels above a link searched for the block it belongs to


def ident(node: Tag) -> str:
    classes = node.get("class") or []
    classes = classes if isinstance(classes, list) else [str(classes)]
    return (" ".join(classes) + " " + str(node.get("id") or "")).strip()


def _entry_part(node: Tag, name: str) -> bool:
    """A header or footer that belongs to one entry, not to the page: named as an entry's part, or
    inside an `<article>` (WordPress, Hugo and Jekyll themes write `<article><header>…<time>`)."""
    return bool(_ENTRY_PART.search(name)) or node.find_parent("article") is not None


def in_chrome(node: Tag, *, for_links: bool = False) -> bool:
    """In the page's frame, where dates are today's or site-wide. With `for_links`, only the frame
    counts (nav, site header, footer, menus): a ticker's or sidebar's links are still news links."""
    for parent in [node, *node.parents]:
        if not isinstance(parent, Tag) or parent.name in {"body", "html"}:
            continue  # <body class="has-header-image"> (WordPress) names the page, not a region of it
        if parent.name == "nav" or (parent.name == "aside" and not for_links):
            return True
        name = ident(parent)
        frame = parent.name in {"header", "footer"} or bool(name and _FRAME.search(name))
        if frame:
            if (parent.name in {"header", "footer"} or _HEADER_FOOTER.search(name)) and _entry_part(
                parent, name
            ):
                continue
            return True
        if not for_links and name and _CLOCK.search(name):
            return True
    return False


def _block_heading(link: Tag, items_in: dict[int, int] | None, limit: int, before: tuple[Tag, ...]) -> str:
    """The title of the small block a link sits in: the nearest heading before the link (`before`,
    the headings that began before it, nearest first), when it lies within a few levels above it
    ("Agenda", "Berita Terbaru", a widget's `box-title`). A block that holds many item links is the
    page, not a section, and gives nothing."""
    link_parents = {id(p) for p in link.parents}
    heading = next((h for h in before if id(h) not in link_parents), None)  # not the link's own title
    if heading is None:
        return ""
    heading_parents = {id(p) for p in heading.parents}  # ancestry, not a walk over big blocks
    for depth, parent in enumerate(link.parents):
        if depth >= _CLIMB_SECTION or not isinstance(parent, Tag) or parent.name in {"body", "html"}:
            return ""
        if items_in is not None and items_in.get(id(parent), 0) > limit:
            return ""
        if id(parent) in heading_parents:
            return heading.get_text(" ", strip=True)[:80]
    return ""


def newest_block(
    link: Tag, items_in: dict[int, int] | None = None, before: tuple[Tag, ...] = (), limit: int = 12
) -> bool | None:
    """True when the link sits in a block of the newest items (a slider, "Berita Terbaru", a news
    ticker), False in one of old or unrelated ones ("Terpopuler", "Arsip", "Berita Terkait"), None
    when the page does not say. The nearest block that names itself wins, then the block's title."""
    for depth, parent in enumerate(link.parents):
        if depth >= _CLIMB_SECTION or not isinstance(parent, Tag) or parent.name in {"body", "html"}:
            break
        if parent.name == "marquee":
            return True
        name = ident(parent)
        if name:
            if _OLDER.search(name):
                return False
            if _NEWEST.search(name):
                return True
    title = _block_heading(link, items_in, limit, before)
    if _OLDER.search(title):
        return False
    if _NEWEST.search(title):
        return True
    return None


def in_agenda_section(
    link: Tag, items_in: dict[int, int], before: tuple[Tag, ...] = (), limit: int = 12
) -> bool:
    """In a block the page names "Agenda" (a widget, a tab, a table): its items are agenda items
    whatever their address says. Blocks holding many item links are the page, not a section."""
    for depth, parent in enumerate(link.parents):
        if depth >= _CLIMB_SECTION or not isinstance(parent, Tag) or parent.name in {"body", "html"}:
            break
        if items_in.get(id(parent), 0) > limit:
            break
        if _AGENDA.search(ident(parent)):
            return True
    return bool(re.match(r"\W*agenda\b", _block_heading(link, items_in, limit, before), re.IGNORECASE))
