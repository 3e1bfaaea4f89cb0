"""Around the page's text: before <!DOCTYPE> and after </html>, the <title> and meta tags, inline
scripts (what they write, where they send the reader), iframes, and a defacer's signature. Pure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, Tag

from ..urls import joined
from .hidden import css_path
from .lexicon import printable
from .model import Redirect, Suspect
from .reader import HREF, PLAIN_TAG, Reader
from .script import MARKERS, decoded_texts, redirects

_HEADINGS = ("title", "h1", "marquee")  # not h2/h3: a news headline may quote a defacer
_DOCTYPE = re.compile(r"<!doctype|<html[\s>]", re.IGNORECASE)
_CLOSE_HTML = re.compile(r"</html\s*>", re.IGNORECASE)
_COMMENTS = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_META_NAMES = {
    "description",
    "keywords",
    "og:title",
    "og:description",
    "twitter:title",
    "twitter:description",
}
_DATA_SCRIPTS = {"application/ld+json", "text/template", "application/json"}


# --- outside the document ------------------------------------------------------------------------


def read_outside(r: Reader, html: str) -> list[Suspect]:
    """Blocks before <!DOCTYPE>/<html> and after the last </html>: no template puts anything there."""
    out = []
    start = _DOCTYPE.search(html, 0, 200_000)
    head = html[: start.start()] if start else ""
    if head and (suspect := _fragment(r, head, "before_doctype", "sebelum <!DOCTYPE>")):
        out.append(suspect)
    ends = list(_CLOSE_HTML.finditer(html, max(0, len(html) - 2_000_000)))
    if ends and (suspect := _fragment(r, html[ends[-1].end() :], "after_html", "setelah </html>")):
        out.append(suspect)
    return out


def _fragment(r: Reader, markup: str, technique: str, location: str) -> Suspect | None:
    markup = _COMMENTS.sub(" ", markup)
    if not markup.strip() or not r.lex.quick_text(markup):
        return None
    links = [u for h in HREF.findall(markup) if (u := joined(r.url, h))]
    text = PLAIN_TAG.sub(" ", markup)
    verdict = r.verdict(text)
    gambling = [u for u in links if r.offsite(u) and r.gambling_link(u, "")]
    if not (verdict.hidden_spam or verdict.advert or gambling):
        return None
    return Suspect(technique, location, r.url, links, list(verdict.written))


def merge_outside(r: Reader, raw: list[Suspect]) -> None:
    """A block after </html> is also in the tree (the parser moves it into <body>): one suspect, named
    by where it really is, with how it was hidden."""
    for suspect in raw:
        mine = set(suspect.links)
        kept = []
        for other in r.scan.suspects:
            if (other.links and set(other.links) <= mine) or (
                not other.links and set(other.terms) <= set(suspect.terms)
            ):
                if other.technique == "hidden_css" and not suspect.detail:
                    suspect.detail = other.detail
                continue
            kept.append(other)
        r.scan.suspects = kept
        r.add(suspect)


# --- head, scripts, frames, redirects -------------------------------------------------------------


def read_meta(r: Reader, titles: list[Tag], metas: list[Tag], links: list[Tag]) -> None:
    texts = [("<title>", t.get_text(" ", strip=True)) for t in titles[:1]]
    for meta in metas:
        name = str(meta.get("name") or meta.get("property") or "").lower()
        if name in {
            "description",
            "keywords",
            "og:title",
            "og:description",
            "twitter:title",
            "twitter:description",
        }:
            texts.append((f'<meta name="{name}">', str(meta.get("content") or "")[:2000]))
    for where, text in texts:
        verdict = r.verdict(text)
        if verdict.advert:
            r.add(Suspect("meta", where, r.url, [], list(verdict.written)))
            if where == "<title>":
                r.scan.planted = True
    for link in links:
        rel = " ".join(link.get("rel") or []).lower()
        target = r.href(link)
        if target and rel in {"amphtml", "canonical"} and r.offsite(target) and r.gambling_link(target, ""):
            r.add(Suspect("meta", f'<link rel="{rel}">', r.url, [target], []))


def read_scripts(r: Reader, scripts: list[Tag]) -> None:
    for script in scripts:
        if script.get("src") or str(script.get("type") or "js").lower() in {
            "application/ld+json",
            "text/template",
        }:
            continue
        code = script.string or script.get_text()
        if not code or not MARKERS.search(code):
            continue
        for decoded in decoded_texts(code[:1_000_000]):
            if (sig := r.lex.defacer(decoded)) and r.scan.defacement is None:
                r.scan.defacement = (printable(PLAIN_TAG.sub(" ", decoded), 120) or sig, "script")
            if not r.lex.quick_text(decoded):
                continue
            links = [u for h in HREF.findall(decoded) if (u := joined(r.url, h))]
            verdict = r.lex.verdict(PLAIN_TAG.sub(" ", decoded))
            gambling = [u for u in links if r.offsite(u) and r.gambling_link(u, "")]
            if verdict.hidden_spam or verdict.advert or gambling:
                r.add(Suspect("script_written", css_path(script), r.url, links, list(verdict.written)))
            for target, condition in redirects(decoded):
                _redirect_to(r, target, "script", condition, css_path(script))


def read_redirects(r: Reader, metas: list[Tag], scripts: list[Tag]) -> None:
    for meta in metas:
        if str(meta.get("http-equiv") or "").lower() != "refresh":
            continue
        m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", str(meta.get("content") or ""), re.IGNORECASE)
        if m:
            _redirect_to(r, m.group(1).strip(), "meta refresh", "", '<meta http-equiv="refresh">')
    for script in scripts:
        code = script.string or ""
        if script.get("src") or "location" not in code:
            continue
        for target, condition in redirects(code[:1_000_000]):
            _redirect_to(r, target, "script", condition, css_path(script))


def _redirect_to(r: Reader, target: str, via: str, condition: str, location: str) -> None:
    url = joined(r.url, target)
    if url is None or urlsplit(url).scheme not in {"http", "https"} or not r.offsite(url):
        return
    if r.scan.redirect is None or (condition and not r.scan.redirect.condition):
        r.scan.redirect = Redirect(url, via, condition, location)


def read_iframes(r: Reader, frames: list[Tag]) -> None:
    for frame in frames:
        src = r.href(frame, "src")
        if src is None:
            continue
        if not r.offsite(src):
            if src.split("#")[0].rstrip("/") != r.url.split("#")[0].rstrip("/"):
                r.scan.iframes.append(src)
        elif r.gambling_link(src, ""):
            r.add(Suspect("iframe", css_path(frame), r.url, [src], []))


def read_defacement(r: Reader, soup: BeautifulSoup) -> None:
    """The home page replaced: a defacer's signature in its title or headings, and the site's own
    content gone (a handful of links of its own, where an OPD home has dozens)."""
    for name in _HEADINGS:
        for tag in soup.find_all(name, limit=5):
            text = tag.get_text(" ", strip=True)
            if not text or not r.lex.defacer(text):
                continue
            own = sum(1 for a in soup.find_all("a", limit=400) if (u := r.href(a)) and not r.offsite(u))
            if own < 10:
                r.scan.defacement = (printable(text, 120), name if name != "title" else "<title>")
                return
            return
