"""Sites that only JavaScript fills: a real Vite build (tests/fixtures/web/spa, built from src/ with
vite 7.3.8) whose news comes from a JSON endpoint. As HTML it is an empty shell; rendered in Debian's
headless Chromium it shows its berita with their dates."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from helpers.websrv import Site, ThreadedWebServer

from checks.web.render import CHROMIUM, render
from checks.web.shell import javascript_shell

SPA = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "spa"
BERITA = [
    {
        "slug": "rapat-koordinasi-tik",
        "judul": "Rapat Koordinasi TIK Perangkat Daerah",
        "tanggal": "20 November 2026",
    },
    {"slug": "pelatihan-admin-web", "judul": "Pelatihan Admin Website OPD", "tanggal": "17 November 2026"},
]


NUXT = SPA.parent / "spa_nuxt"  # a real Nuxt 4.4.5 build (ssr: false) of spa_nuxt/src
NEXT = SPA.parent / "spa_next"  # the shell of a real Next.js 15.5 static export of spa_next/src


def nuxt_site() -> Site:
    site = Site().add("/", (NUXT / "index.html").read_bytes())
    for path in (NUXT / "_nuxt").rglob("*"):
        if path.is_file():
            kind = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}[path.suffix]
            site.add("/" + path.relative_to(NUXT).as_posix(), path.read_bytes(), content_type=kind)
    site.add("/api/berita.json", json.dumps(BERITA), content_type="application/json")
    return site


def spa_site(api_hits: list[str] | None = None) -> Site:
    [bundle] = (SPA / "assets").glob("index-*.js")
    site = Site().add("/", (SPA / "index.html").read_bytes())
    site.add(f"/assets/{bundle.name}", bundle.read_bytes(), content_type="text/javascript")
    site.add("/api/berita.json", json.dumps(BERITA), content_type="application/json")
    return site


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ((SPA / "index.html").read_text(), "vite"),
        (
            '<html><body><div id="__nuxt"></div><script src="/_nuxt/entry.3f2a.js"></script></body></html>',
            "nuxt",
        ),
        (
            '<html><body><div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{}'
            '</script><script src="/_next/static/chunks/main-abc123.js"></script></body></html>',
            "next",
        ),
        (
            '<html><body><div id="root"></div><script src="/static/js/main.9f8e7d6c.js"></script>'
            "</body></html>",
            "react",
        ),
        ('<html><body><div id="app"></div><script src="/app.js"></script></body></html>', "javascript"),
    ],
)
def test_an_empty_shell_is_told_from_a_page(html: str, expected: str) -> None:
    assert javascript_shell(html) == expected


@pytest.mark.parametrize(
    ("shell", "expected"),
    [(SPA / "index.html", "vite"), (NUXT / "index.html", "nuxt"), (NEXT / "index.html", "next")],
)
def test_real_build_shells_are_told_by_their_framework(shell: Path, expected: str) -> None:
    """What the build tools really emit: Nuxt's `<div id="__nuxt"></div><div id="teleports"></div>`
    with `window.__NUXT__` and `__NUXT_DATA__`; Next's `<div id="__next"></div>` with `__NEXT_DATA__`
    and `/_next/static/chunks/*`; the page title is the only text."""
    html = shell.read_text()
    assert javascript_shell(html) == expected
    mount = {"vite": "app", "nuxt": "__nuxt", "next": "__next"}[expected]
    filled = html.replace(
        f'<div id="{mount}"></div>', f'<div id="{mount}"><main><h1>Berita</h1></main></div>'
    )
    assert filled != html and javascript_shell(filled) is None  # rendered (by a server or a browser)


@pytest.mark.parametrize(
    "html",
    [
        # Server-side rendered Nuxt: the bundle is there, and so is the content.
        '<html><body><div id="__nuxt"><main>'
        + "<p>Berita kegiatan dinas hari ini.</p>" * 20
        + '</main></div><script src="/_nuxt/entry.js"></script></body></html>',
        # A classic page with a jQuery slider: scripts, but content and links of its own.
        "<html><body>"
        + "".join(f'<a href="/berita/{i}">Berita {i}</a>' for i in range(12))
        + '<script src="/js/jquery.min.js"></script></body></html>',
        "<html><body><p>Situs dalam perbaikan.</p></body></html>",  # empty, but no JavaScript either
    ],
)
def test_a_page_with_content_is_no_shell(html: str) -> None:
    assert javascript_shell(html) is None


needs_browser = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"), reason="Debian's chromium is not installed"
)


@needs_browser
def test_the_browser_shows_what_the_shell_hides_and_loads_only_the_site() -> None:
    site = spa_site()
    with ThreadedWebServer({"127.0.31.1": site}) as srv:
        url = srv.url("127.0.31.1")
        html = asyncio.run(render(url, "127.0.31.1", timeout_s=20, max_bytes=2 * 1024 * 1024))
    assert "Rapat Koordinasi TIK Perangkat Daerah" in html and "20 November 2026" in html
    assert "/api/berita.json" in site.hits  # the page's own API, fetched by its own script
    assert javascript_shell(html) is None  # what the browser shows is a page


@needs_browser
def test_the_browser_connects_to_the_checked_address_not_to_a_lookup() -> None:
    """The name resolves nowhere (.test): the browser still reaches the site, at the address given."""
    site = spa_site()
    with ThreadedWebServer({"127.0.31.2": site}) as srv:
        url = f"http://portal.pemda.test:{srv.port}/"
        html = asyncio.run(render(url, "127.0.31.2", timeout_s=20, max_bytes=2 * 1024 * 1024))
    assert "Pelatihan Admin Website OPD" in html


def _crawl(url: str, render: str):
    from helpers.webfixtures import NOW

    from checks.web import CrawlSettings, SiteSpec, crawl_sites, result_as_dict

    settings = CrawlSettings(timeout_s=20, backoff_s=0.05, site_budget_s=60, retries=0)
    spec = SiteSpec(url=url, timezone="Asia/Makassar", respect_robots=False, render=render)
    return result_as_dict(asyncio.run(crawl_sites([spec], settings, NOW))[0])


def test_an_empty_shell_is_needs_javascript_not_no_date_found() -> None:
    """Before: `no_date_found`, as if the site published nothing."""
    with ThreadedWebServer({"127.0.31.3": spa_site()}) as srv:
        out = _crawl(srv.url("127.0.31.3"), "html")
    [finding] = [f for f in out["findings"] if f["status"] == "unknown"]
    assert (out["status"], finding["code"]) == ("unknown", "needs_javascript"), out
    assert "vite" in finding["message"] and "render: javascript" in finding["message"]


@pytest.mark.parametrize(("family", "make"), [("nuxt", nuxt_site), ("next", None)])
def test_a_nuxt_or_next_shell_is_needs_javascript(family: str, make) -> None:
    site = make() if make else Site().add("/", (NEXT / "index.html").read_bytes())
    with ThreadedWebServer({"127.0.31.6": site}) as srv:
        out = _crawl(srv.url("127.0.31.6"), "html")
    [finding] = [f for f in out["findings"] if f["status"] == "unknown"]
    assert (out["status"], finding["code"]) == ("unknown", "needs_javascript"), out
    assert family in finding["message"]


@needs_browser
def test_with_render_javascript_a_nuxt_app_is_read_as_the_browser_shows_it() -> None:
    site = nuxt_site()
    with ThreadedWebServer({"127.0.31.7": site}) as srv:
        out = _crawl(srv.url("127.0.31.7"), "javascript")
    assert out["latest_published"] and out["latest_published"].startswith("2026-11-20"), out
    assert out["item_url"].endswith("/berita/rapat-koordinasi-tik")
    assert "/api/berita.json" in site.hits


@needs_browser
def test_with_render_javascript_the_crawl_reads_the_dates_the_browser_shows() -> None:
    with ThreadedWebServer({"127.0.31.4": spa_site()}) as srv:
        out = _crawl(srv.url("127.0.31.4"), "javascript")
    assert out["latest_published"] and out["latest_published"].startswith("2026-11-20"), out
    assert out["item_url"].endswith("/berita/rapat-koordinasi-tik")
    assert out["elapsed_s"] < 60  # within site_budget_s


@needs_browser
def test_check_web_says_needs_javascript_and_reads_it_with_render(tmp_path) -> None:
    from helpers.cli import sigap

    with ThreadedWebServer({"127.0.31.5": spa_site()}) as srv:
        url = srv.url("127.0.31.5")
        plain = sigap("check", "web", url, "--json")
        rendered = sigap("check", "web", url, "--json", "--render", "javascript")
    [line] = [json.loads(x) for x in plain.stdout.splitlines() if x.strip()]
    assert "needs_javascript" in {f["code"] for f in line["findings"]}, plain.stdout + plain.stderr
    [line] = [json.loads(x) for x in rendered.stdout.splitlines() if x.strip()]
    assert line["latest_published"].startswith("2026-11-20"), rendered.stdout + rendered.stderr
