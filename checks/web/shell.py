"""An empty JavaScript shell: a page whose HTML holds no content, only a mount point and a bundle.

Newer pemda portals are Nuxt, Next, Vue, React or Vite builds: the server sends `<div id="app"></div>`
and a script, and the news arrives later from a JSON API. Read as HTML such a page has no date at all,
which is not "no date found" (the site may publish daily) but "cannot be read without JavaScript". Pure:
a string in, the framework's name (or None) out.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

# Mount points the frameworks write into, by id.
_MOUNTS = re.compile(r"^(app|root|__nuxt|__next|q-app|___gatsby|svelte|main-app|vue-app)$", re.I)
# Bundle paths each build tool names its scripts with.
_BUNDLES = (
    ("nuxt", re.compile(r"/_nuxt/")),
    ("next", re.compile(r"/_next/static/")),
    ("vite", re.compile(r"/assets/(index|main|app)-[\w-]{6,}\.js")),
    ("vue-cli", re.compile(r"/js/(app|chunk-vendors)\.[0-9a-f]{6,}\.js")),
    ("react", re.compile(r"/static/js/main\.[0-9a-f]{6,}\.js")),
    ("angular", re.compile(r"/main[.-][0-9a-f]{6,}\.js|/runtime[.-][0-9a-f]{6,}\.js")),
)
MAX_SHELL_TEXT = 200  # characters of visible text: a real home page has thousands
MAX_SHELL_LINKS = 5


def javascript_shell(html: str) -> str | None:
    """The framework (nuxt, next, vite, vue-cli, react, angular, or "javascript") when `html` is an
    empty shell that only JavaScript fills; None when the page carries content of its own."""
    soup = BeautifulSoup(html[:512 * 1024], "lxml")
    sources = [s.get("src") or "" for s in soup.find_all("script")]
    framework = next((name for name, pattern in _BUNDLES for src in sources if pattern.search(src)), None)
    if framework is None and soup.find(id="__NEXT_DATA__"):
        framework = "next"
    for tag in soup(["script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    body = soup.body or soup
    text = body.get_text(" ", strip=True)
    links = body.find_all("a", href=True)
    mount = body.find(id=_MOUNTS)
    empty_mount = mount is not None and not mount.get_text(strip=True)
    if mount is not None and not empty_mount:
        return None  # the mount point holds the page: rendered (by the server, or by a browser)
    if len(text) > MAX_SHELL_TEXT or len(links) > MAX_SHELL_LINKS:
        return None  # content of its own, whatever the scripts add
    if framework or (empty_mount and sources):
        return framework or "javascript"
    return None
