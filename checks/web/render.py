"""The home page (and one list page) as a browser shows it, for sites whose HTML is an empty shell.

Off by default: only a site configured `render: javascript` is rendered, in Debian's headless Chromium
driven by Playwright (never a downloaded browser), one page at a time for the whole crawl, each page
bounded in time and in what it may load:

- the browser resolves the site's name to the address the crawler checked (`--host-resolver-rules`),
  so a rendered page cannot be steered by DNS to an address the crawl would refuse;
- every request to another host is aborted (analytics, CDNs, a gambling redirect): the page's own
  scripts and its own JSON API are what fill a pemda portal;
- JavaScript's heap is capped and the page's HTML is cut at `max_page_bytes`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("sigap.checks.web.render")

CHROMIUM = Path(os.environ.get("SIGAP_CHROMIUM", "/usr/bin/chromium"))
_ARGS = [
    "--headless",
    "--no-sandbox",  # as root in a unit without user namespaces; the page is still confined below
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-extensions",
    "--renderer-process-limit=1",
    "--js-flags=--max-old-space-size=128",
]
_ONE_AT_A_TIME = asyncio.Semaphore(1)  # a browser costs ~150 MiB: never two in a crawl


class RenderError(Exception):
    """The page could not be rendered: no browser, a timeout, a crash. The text says which."""


async def render(url: str, address: str, *, timeout_s: float, max_bytes: int) -> str:
    """The DOM of `url` after its scripts ran (until the network is idle or `timeout_s`)."""
    try:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright
    except ImportError:
        raise RenderError("Playwright is not installed (pip install playwright)") from None
    if not CHROMIUM.exists():
        raise RenderError(f"no browser at {CHROMIUM} (apt-get install chromium)")
    host = urlsplit(url).hostname or ""
    rules = f"--host-resolver-rules=MAP {host} {address}" if host and host != address else None
    async with _ONE_AT_A_TIME:
        try:
            async with asyncio.timeout(timeout_s + 10), async_playwright() as p:
                browser = await p.chromium.launch(
                    executable_path=str(CHROMIUM), args=[*_ARGS, *([rules] if rules else [])]
                )
                try:
                    page = await browser.new_page(java_script_enabled=True)

                    async def only_the_site(route) -> None:
                        if urlsplit(route.request.url).hostname == host:
                            await route.continue_()
                        else:
                            await route.abort()

                    await page.route("**/*", only_the_site)
                    try:
                        await page.goto(url, wait_until="networkidle", timeout=timeout_s * 1000)
                    except PlaywrightError as exc:
                        if "Timeout" not in str(exc):
                            raise
                        # Still loading at the deadline: what is on the page by now is what we read.
                    html = await page.content()
                finally:
                    await browser.close()
        except TimeoutError:
            raise RenderError(f"the browser gave no page in {timeout_s:.0f} s") from None
        except PlaywrightError as exc:
            raise RenderError(str(exc).strip().splitlines()[0][:300]) from None
    return html[:max_bytes]
