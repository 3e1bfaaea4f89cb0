"""Is an element hidden from the people who open the page? Read from the markup alone: inline styles,
the `hidden` attribute, and the page's own <style> rules for a class or id. No browser, no cascade:
an external stylesheet is not fetched (a block hidden only there is not seen as hidden; its links
are still read as outbound links).

Hiding is no fault: menus, modals and tabs start with display:none. Only what a hidden element
carries (gambling words, outbound gambling links) makes it an injection.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

_PROPERTY = re.compile(r"[a-z-]{1,40}", re.IGNORECASE)
_NEG = re.compile(r"^-\s*(\d+(?:\.\d+)?)\s*(px|em|rem|pt|%|vw|vh)?", re.IGNORECASE)
_ZERO = re.compile(r"^0+(?:\.0+)?\s*(?:px|em|rem|pt|%|vw|vh)?\s*(?:!important)?$", re.IGNORECASE)
_TINY = re.compile(r"^(?:0+(?:\.0+)?(?:px)?|(?:0?\.\d+|1)\s*px)\s*(?:!important)?$", re.IGNORECASE)
# Accessibility helpers: hidden on purpose for screen readers (WordPress `screen-reader-text`,
# Bootstrap `sr-only`/`visually-hidden`, Drupal `element-invisible`). Not read as hiding.
_READER = re.compile(
    r"^(?:sr-only|screen-reader-text|screen-reader|visually-?hidden|element-invisible|assistive-text|"
    r"skip-link|hidden-accessible|a11y-hidden)$",
    re.IGNORECASE,
)
_NAMED = {"white": "#ffffff", "black": "#000000", "transparent": "transparent"}
_SIMPLE_SELECTOR = re.compile(r"^(?:[a-z0-9]*)([.#])([\w-]+)$", re.IGNORECASE)
_PLACED = {"absolute", "fixed"}


def _colour(value: str) -> str | None:
    value = value.strip().lower().replace("!important", "").strip()
    if value in _NAMED:
        return _NAMED[value]
    m = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", value)
    if m:
        h = m.group(1)
        return "#" + ("".join(c * 2 for c in h) if len(h) == 3 else h)
    m = re.fullmatch(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)(?:\s*,\s*([\d.]+))?\s*\)", value)
    if m:
        if m.group(4) is not None and float(m.group(4)) == 0:
            return "transparent"
        return "#" + "".join(f"{min(int(g), 255):02x}" for g in m.groups()[:3])
    return None


def declarations(style: str) -> dict[str, str]:
    """`color: red; display:none` as a dict; a site's style is bounded first (no real one is long)."""
    out = {}
    for part in style[:4000].split(";"):
        name, colon, value = part.partition(":")
        if colon and _PROPERTY.fullmatch(name.strip()):
            out[name.strip().lower()] = value.strip().lower()
    return out


def style_hiding(decl: dict[str, str], background: str | None = None) -> str | None:
    """Why declarations hide an element, or None: display:none, visibility:hidden, opacity:0,
    off-screen positioning, font-size:0, zero size with overflow hidden, text the colour of its
    background (its own, or `background`, the nearest one an ancestor declares)."""
    if decl.get("display", "").startswith("none"):
        return "display:none"
    if decl.get("visibility", "").startswith(("hidden", "collapse")):
        return "visibility:hidden"
    if _ZERO.match(decl.get("opacity", "1")):
        return "opacity:0"
    for prop in ("left", "top", "right", "bottom", "text-indent", "margin-left", "margin-top"):
        m = _NEG.match(decl.get(prop, ""))
        far = m is not None and float(m.group(1)) >= (100 if m.group(2) in {"%", "vw", "vh"} else 500)
        placed = prop in {"text-indent", "margin-left", "margin-top"} or decl.get("position") in _PLACED
        if m and far and placed:
            return f"{prop}:-{m.group(1)}{m.group(2) or ''}"
    if _ZERO.match(decl.get("font-size", "1em")):
        return "font-size:0"
    small = [p for p in ("height", "width", "max-height", "max-width") if _TINY.match(decl.get(p, "auto"))]
    if small and decl.get("overflow", "").startswith("hidden"):
        return f"{small[0]}:0;overflow:hidden"
    if "rect(0" in decl.get("clip", "").replace(" ", "") and decl.get("position") in {"absolute", "fixed"}:
        return "clip:rect(0)"
    colour = _colour(decl.get("color", ""))
    own = _colour(decl.get("background-color", decl.get("background", "").split(" ")[0]))
    ground = own if own and own != "transparent" else background
    if colour and ground and colour == ground:
        return f"color:{colour} on {ground}"
    return None


class StyleSheet:
    """The page's own <style> rules that hide a class or an id (`.x9{display:none}`)."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.classes: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        for style in soup.find_all("style"):
            css = re.sub(r"/\*.*?\*/", " ", style.get_text(), flags=re.DOTALL)
            if len(css) > 200_000:
                css = css[:200_000]
            # Split by hand: a regular expression over 200 KB of braceless text backtracks for minutes.
            for rule in css.split("}"):
                selectors, brace, body = rule.rpartition("{")
                if not brace or len(selectors) > 2000:
                    continue
                reason = style_hiding(declarations(body))
                if reason is None:
                    continue
                for selector in selectors.split(","):
                    m = _SIMPLE_SELECTOR.match(selector.strip())
                    if m and not _READER.match(m.group(2)):
                        (self.classes if m.group(1) == "." else self.ids)[m.group(2)] = reason

    def __bool__(self) -> bool:
        return bool(self.classes or self.ids)


def hiding(tag: Tag, sheet: StyleSheet, background: str | None) -> str | None:
    """Why `tag` itself is hidden, or None. `background`: the nearest ancestor's declared colour."""
    if tag.name in {"script", "style", "template", "head", "title", "meta", "link"}:
        return None
    classes = tag.get("class") or []
    classes = classes if isinstance(classes, list) else str(classes).split()
    if any(_READER.match(c) for c in classes):
        return None
    if tag.has_attr("hidden"):
        return "hidden"
    style = tag.get("style")
    if isinstance(style, str) and style:
        reason = style_hiding(declarations(style), background)
        if reason:
            return reason
    if sheet:
        for c in classes:
            if c in sheet.classes:
                return f".{c}{{{sheet.classes[c]}}}"
        ident = tag.get("id")
        if isinstance(ident, str) and ident in sheet.ids:
            return f"#{ident}{{{sheet.ids[ident]}}}"
    return None


def background_of(tag: Tag, inherited: str | None) -> str | None:
    style = tag.get("style")
    if not isinstance(style, str) or "background" not in style.lower():
        return inherited
    decl = declarations(style)
    own = _colour(decl.get("background-color", decl.get("background", "").split(" ")[0]))
    return own if own and own != "transparent" else inherited


def css_path(tag: Tag, limit: int = 160) -> str:
    """A CSS-like path an admin can find in the page's source: `body > div#footer > div.x9`."""
    parts = []
    node: Tag | None = tag
    while isinstance(node, Tag) and node.name not in {"[document]", "html"}:
        part = node.name
        ident = node.get("id")
        classes = node.get("class") or []
        if isinstance(ident, str) and ident:
            part += f"#{ident[:40]}"
        elif isinstance(classes, list) and classes:
            part += f".{str(classes[0])[:40]}"
        elif node.parent is not None and node.name not in {"body", "head"}:
            same = [c for c in node.parent.find_all(node.name, recursive=False)]
            if len(same) > 1:
                part += f":nth-of-type({next(i for i, c in enumerate(same, 1) if c is node)})"
        parts.append(part)
        if part.startswith("body") or len(parts) >= 8:
            break
        node = node.parent
    path = " > ".join(reversed(parts))
    return path if len(path) <= limit else "… " + path[-(limit - 2) :]
