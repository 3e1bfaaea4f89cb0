"""A real browser for the console tests: Debian's chromium driven by Playwright's python package.

No browser is ever downloaded (`playwright install` is never run): the package's driver starts
/usr/bin/chromium, headless, with every background fetch it would make switched off, so the test sends
nothing beyond 127.0.0.1. The console runs as `sigap serve` runs it: uvicorn in its own thread
(agents/service/http.py) on a free loopback port.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agents.service.http import HealthState, HttpEndpoint, make_app
from agents.service.metrics import ServiceMetrics

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"


def chromium_missing() -> str | None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        return "Debian's chromium is not installed (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright python package is not installed (pip install -e '.[test]')"
    return None


@contextmanager
def served(world) -> Iterator[str]:
    """The world's console on 127.0.0.1:<free port>, beside /healthz and /metrics."""
    state = HealthState()
    app = make_app(lambda: state, world.engine, ServiceMetrics(world.engine), world.app)
    endpoint = HttpEndpoint(("127.0.0.1", 0), app)
    endpoint.start()
    try:
        yield f"http://127.0.0.1:{endpoint.port}"
    finally:
        endpoint.stop()


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


def login(page, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/cases*")


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
