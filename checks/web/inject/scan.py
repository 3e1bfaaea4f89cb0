"""Read one page for injected gambling content and defacement. Pure: the parsed tree (or the bytes),
the page's URL and the site's home in, a PageScan out.

A lexicon hit is not an injection. What makes one is the context the words are in: hidden from the
reader, after </html> or before <!DOCTYPE>, in <noscript>, written by a script, an outbound link with
gambling words or to a gambling host, many such links in one block, advertising text with no word
of reporting or warning around it, look-alike letters. An OPD article on "Sosialisasi Bahaya Judi
Online", a police release on togel arrests, a link to the national complaint page, a display:none
menu and a list of other go.id sites are read and let be.
"""

from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString, Tag

from .edges import (
    merge_outside,
    read_defacement,
    read_iframes,
    read_meta,
    read_outside,
    read_redirects,
    read_scripts,
)
from .hidden import StyleSheet, background_of, css_path, hiding
from .lexicon import Verdict
from .model import PageScan, Suspect, WatchOptions
from .reader import MAX_SUSPECTS, Reader

_BLOCKS = {"div", "ul", "ol", "p", "section", "aside", "footer", "header", "nav", "td", "table", "article",
           "main", "body", "center", "span", "font", "marquee", "li"}  # fmt: skip
_CONTAINERS = {"article", "main", "section"}
_SKIP_TEXT = {"script", "style", "title", "noscript", "template", "head"}
_FARM = 3  # outbound gambling links in one block: a link farm
_MAX_TEXTS = 300  # texts with a stem read closely per page (a page of 3,000 such paragraphs: 2 s)
_SCRIPT_MARKS = (
    *(b"atob", b"fromcharcode", b"unescape(", b"\\x3c", b"\\u003c"),
    *(b"document.write", b"innerhtml"),
)


def scan_soup(
    soup: BeautifulSoup,
    html: str,
    body: bytes,
    url: str,
    home: str,
    options: WatchOptions,
    tags: dict[str, list[Tag]] | None = None,
) -> PageScan:
    """The page's injected blocks, redirect, own iframes and defacement. `tags` (name -> elements in
    document order) saves a walk when the caller already made one."""
    r = Reader(url, home, options)
    lowered = body[:4_000_000].lower()

    def found(name: str) -> list[Tag]:
        return tags[name] if tags is not None and name in tags else soup.find_all(name)

    read_iframes(r, found("iframe"))
    if b"location" in lowered or b"refresh" in lowered:
        read_redirects(r, found("meta"), found("script"))
    stems = r.lex.quick(body)
    if any(mark in lowered for mark in _SCRIPT_MARKS):
        read_scripts(r, found("script"))
    if not stems:
        return r.scan
    r.scan.read = True
    raw = read_outside(r, html)
    _walk(r, soup)
    read_meta(r, found("title"), found("meta"), found("link"))
    read_defacement(r, soup)
    merge_outside(r, raw)
    return r.scan


def scan_document(body: bytes, html: str, url: str, home: str, options: WatchOptions) -> PageScan:
    """A page read for injected content only (a second view, an iframe, a redirect's target);
    `html` is `body` decoded (parse.decode_html)."""
    return scan_soup(BeautifulSoup(html, "lxml"), html, body, url, home, options)


# --- the tree ------------------------------------------------------------------------------------


def _walk(r: Reader, soup: BeautifulSoup) -> None:
    """Hidden and <noscript> blocks, outbound links, and visible advertising or disguised text."""
    sheet = StyleSheet(soup)
    roots: list[tuple[Tag, str, str]] = []  # (element, technique, how hidden), outermost only
    anchors: list[Tag] = []
    texts: list[NavigableString] = []
    stack: list[tuple[Tag, str | None]] = [(soup, None)]
    while stack:
        node, background = stack.pop()
        children: list[tuple[Tag, str | None]] = []
        for child in node.children:
            if isinstance(child, Tag):
                if child.name in {"script", "style", "template", "head"}:
                    continue
                if child.name == "noscript":
                    roots.append((child, "noscript", "noscript"))
                    continue
                reason = hiding(child, sheet, background)
                if reason:
                    roots.append((child, "hidden_css", reason))
                    continue
                if child.name == "a":
                    anchors.append(child)
                children.append((child, background_of(child, background)))
            elif type(child) is NavigableString and child.strip():
                texts.append(child)
        stack.extend(reversed(children))
    _hidden_blocks(r, roots)
    _links(r, anchors)
    _visible_text(r, texts)


_INLINE = {"a", "span", "font", "b", "strong", "small", "em", "i"}


def _hidden_blocks(r: Reader, roots: list[tuple[Tag, str, str]]) -> None:
    """Hidden elements read together when they sit side by side in one block (each link of a spam
    block hidden with its own style="display:none"), else each alone."""
    groups: dict[tuple[int, str], list[tuple[Tag, str]]] = {}
    for root, technique, reason in roots:
        key = id(_block_of(root)) if root.name in _INLINE else id(root)
        groups.setdefault((key, technique), []).append((root, reason))
    for (_, technique), members in groups.items():
        first, reason = members[0]
        where = css_path(_block_of(first)) if len(members) > 1 else css_path(first)
        text = " ".join(m.get_text(" ", strip=True) for m, _ in members)[:20_000]
        links: list[str] = []
        gambling = False
        for member, _ in members:
            for a in [member] if member.name == "a" else member.find_all("a"):
                target = r.href(a)
                if target is None:
                    continue
                links.append(target)
                words = a.get_text(" ", strip=True)
                gambling = gambling or (r.offsite(target) and r.gambling_link(target, words))
        verdict = r.verdict(text)
        if verdict.hidden_spam or gambling:
            r.add(Suspect(technique, where, r.url, links, list(verdict.written), reason))


def _block_of(tag: Tag) -> Tag:
    for parent in tag.parents:
        if isinstance(parent, Tag) and parent.name in _BLOCKS and parent.name != "li":
            return parent
    return tag


def _links(r: Reader, anchors: list[Tag]) -> None:
    groups: dict[int, tuple[Tag, list[str], list[str]]] = {}
    for a in anchors:
        target = r.href(a)
        if target is None:
            continue
        title = a.get("title") if isinstance(a.get("title"), str) else ""
        text = f"{a.get_text(' ', strip=True)} {title}".strip()
        if r.offsite(target):
            if not r.gambling_link(target, text):
                continue
            block = _block_of(a)
            _, links, terms = groups.setdefault(id(block), (block, [], []))
            links.append(target)
            terms.extend(r.verdict(text).written)
        else:
            verdict = r.verdict(text)
            if verdict.advert:
                r.add(Suspect("planted_page", css_path(a), r.url, [target], list(verdict.written)))
    for block, links, terms in groups.values():
        technique = "link_farm" if len(set(links)) >= _FARM else "spam_link"
        r.add(Suspect(technique, css_path(block), r.url, links, terms))


def _container_counter(r: Reader, tag: Tag) -> tuple[str, ...]:
    """The counter words of the article, section or page a text stands in (read once per container)."""
    for parent in tag.parents:
        if isinstance(parent, Tag) and (parent.name in _CONTAINERS or parent.name == "body"):
            if id(parent) not in r.contexts:
                r.contexts[id(parent)] = r.lex.verdict(parent.get_text(" ", strip=True)[:6000]).counter
            return r.contexts[id(parent)]
    return ()


def _in_context(r: Reader, verdict: Verdict, tag: Tag) -> Verdict:
    """The text's words judged with the counter words of the article or section around it: a
    paragraph quoting "slot gacor" in a report on the Satgas is editorial."""
    around = _container_counter(r, tag)
    return Verdict(verdict.promo, verdict.topic, verdict.marketing, around or verdict.counter)


def _visible_text(r: Reader, texts: list[NavigableString]) -> None:
    seen: set[int] = set()
    read: dict[str, bool] = {}
    for node in texts:
        if len(r.scan.suspects) >= MAX_SUSPECTS or len(read) >= _MAX_TEXTS:
            return
        parent = node.parent
        if parent is None or parent.name in _SKIP_TEXT or id(parent) in seen or not r.lex.quick_text(node):
            continue
        if parent.name == "a" or parent.find_parent("a") is not None:
            continue  # links were read as links
        seen.add(id(parent))
        text = parent.get_text(" ", strip=True)[:4000]
        if text in read:
            continue
        read[text] = True
        verdict = r.lex.verdict(text)
        if not verdict.any:
            continue
        if r.lex.disguised(text):
            r.add(Suspect("lookalike", css_path(parent), r.url, [], list(verdict.written), "huruf tersamar"))
        elif verdict.advert and _in_context(r, verdict, parent).advert:
            r.add(Suspect("visible_spam", css_path(parent), r.url, [], list(verdict.written)))
