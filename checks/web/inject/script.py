"""What a page's inline scripts write or where they send the reader, read without running them.

Spam kits hide their block from a plain search by writing it at load time: `document.write(atob(
"PGRpdi…"))`, `String.fromCharCode(60,100,…)`, `unescape("%3Cdiv…")`, `"\\x3cdiv…"`. The encoded
literals are decoded here (bounded) and read like markup. Redirects: `location.href = "…"`,
`location.replace("…")`, `window.location = "…"`, possibly behind a check of the user agent (phones
only) or of `document.referrer` (visitors from Google only).
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

MARKERS = re.compile(
    r"atob|fromcharcode|document\.write|unescape|decodeuricomponent|innerhtml|insertadjacenthtml|"
    r"location|\\x[0-9a-f]{2}|\\u00[0-9a-f]{2}",
    re.IGNORECASE,
)
_ATOB = re.compile(r"""atob\(\s*(["'])([A-Za-z0-9+/=\s\\]{8,})\1\s*\)""")
_B64_LITERAL = re.compile(r"""(["'])([A-Za-z0-9+/]{40,}={0,2})\1""")
_CHARCODES = re.compile(r"fromCharCode\(\s*([\d\s,x+a-fA-F]{6,})\)", re.IGNORECASE)
_UNESCAPE = re.compile(
    r"""(?:unescape|decodeURIComponent|decodeURI)\(\s*(["'])((?:%[0-9a-fA-F]{2}|[^"'%]){6,})\1"""
)
_ESCAPED = re.compile(r"""(["'])((?:\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|[^"'\\]){6,})\1""")
_LITERAL = re.compile(r"""(["'`])((?:\\.|(?!\1)[^\\]){3,}?)\1""", re.DOTALL)
_REDIRECT = re.compile(
    r"""(?:(?:window|document|top|self|parent)\s*\.\s*)?location(?:\s*\.\s*href)?\s*=\s*(["'])([^"']{4,2048})\1|"""
    r"""location\s*\.\s*(?:replace|assign)\(\s*(["'])([^"']{4,2048})\3""",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"android|iphone|ipad|ipod|mobile|opera mini|blackberry|webos|matchmedia|innerwidth", re.I
)
_REFERRER = re.compile(r"document\s*\.\s*referrer", re.IGNORECASE)
_SEARCH_ENGINE = re.compile(r"google|bing|yahoo|yandex", re.IGNORECASE)
MAX_DECODED = 256 * 1024  # characters decoded from one page's scripts


def decoded_texts(script: str) -> list[str]:
    """The markup and text a script carries encoded (base64, character codes, %-escapes, \\x escapes)
    or writes as plain literals into the page (`document.write("<a href=…>")`)."""
    out: list[str] = []
    budget = MAX_DECODED

    def keep(text: str) -> None:
        nonlocal budget
        if text and budget > 0:
            out.append(text[:budget])
            budget -= len(out[-1])

    for m in _ATOB.finditer(script):
        keep(_b64(m.group(2)))
    if "atob" in script:  # the base64 may sit in a variable: atob(s) with s = "PGRpdi..."
        for m in _B64_LITERAL.finditer(script):
            keep(_b64(m.group(2)))
    for m in _CHARCODES.finditer(script):
        keep(_charcodes(m.group(1)))
    for m in _UNESCAPE.finditer(script):
        keep(unquote(m.group(2)))
    for m in _ESCAPED.finditer(script):
        if "\\x" in m.group(2) or "\\u" in m.group(2):
            keep(_unescape_js(m.group(2)))
    if re.search(r"document\.write|innerhtml|insertadjacenthtml", script, re.IGNORECASE):
        keep(" ".join(m.group(2) for m in _LITERAL.finditer(script[:MAX_DECODED]) if "<" in m.group(2)))
    return out


def _b64(text: str) -> str:
    text = re.sub(r"[\s\\]", "", text)
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=False)
    except (binascii.Error, ValueError):
        return ""
    decoded = raw.decode("utf-8", "replace")
    # A literal that is no text (an image, a key) decodes to noise: keep only mostly-printable text.
    printable = sum(c.isprintable() or c.isspace() for c in decoded)
    return decoded if decoded and printable >= 0.9 * len(decoded) else ""


def _charcodes(text: str) -> str:
    chars = []
    for part in text.split(","):
        part = part.strip()
        try:
            code = int(part, 16) if part.lower().startswith("0x") else int(part)
        except ValueError:
            continue
        if 0 < code < 0x110000:
            chars.append(chr(code))
    return "".join(chars)


def _unescape_js(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        return chr(int(m.group(1) or m.group(2), 16))

    return re.sub(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})", one, text)


def redirects(script: str) -> list[tuple[str, str]]:
    """(target, condition) for each redirect the script makes; condition "mobile" when the script
    looks at the device, "referer" when it looks at where the visitor came from, else ""."""
    found = []
    for m in _REDIRECT.finditer(script):
        target = m.group(2) or m.group(4)
        if not target or target.startswith(("#", "javascript:")):
            continue
        condition = ""
        if "useragent" in script.lower().replace(" ", "") and _MOBILE.search(script):
            condition = "mobile"
        elif _REFERRER.search(script) and _SEARCH_ENGINE.search(script):
            condition = "referer"
        found.append((target.strip(), condition))
    return found
