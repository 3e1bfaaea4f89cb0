"""The pages added after the first ones, in Debian's chromium (as test_browser.py drives it): on a
390x844 phone the controls a person taps are thumb-sized and the SVG charts draw without script; no
CSP violation; what a site sent stays text. Screenshots go to tests/output/screenshots/."""

from __future__ import annotations

import os

import pytest
from helpers.console import make_world
from helpers.console_browser import PHONE, browser, chromium_missing, login, served, shoot
from helpers.console_week import make_week_world, password

from agents.console import home

pytestmark = pytest.mark.skipif(
    chromium_missing() is not None and not os.environ.get("CI"), reason=chromium_missing() or ""
)


def _page(instance, base: str, *, phone: bool = True):
    context = instance.new_context(
        viewport=PHONE if phone else {"width": 1280, "height": 900}, locale="id-ID"
    )
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type in ("error", "warning") and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    return page


def _thumb(page, selector: str, min_width: float = 44) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= min_width, (selector, box)


def test_the_new_pages_on_a_phone(tmp_path):
    home._cache.clear()
    world = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    from agents.console.app import build_console

    world.app = build_console(world.config, world.registry, world.engine, world.clock, public_status=True)
    try:
        with served(world) as base, browser() as instance:
            page = _page(instance, base)
            login(page, base, "admin", world.passwords["admin"])
            page.goto(base + "/")
            assert "Ringkasan" in page.inner_text("main")
            shoot(page, "home-phone")
            page.goto(base + "/websites/dishub")
            _thumb(page, "#check-now", 300)
            assert page.locator(".strip .cell").count() == 12
            assert page.evaluate("typeof window.__pwned") == "undefined"
            shoot(page, "site-history-phone")
            page.goto(base + "/websites?bucket=passive")
            _thumb(page, ".site-filters button", 100)
            shoot(page, "websites-filtered-phone")
            page.goto(base + "/sop")
            shoot(page, "sop-phone")
            page.goto(base + "/maintenance")
            _thumb(page, "form.form button[type=submit]", 300)
            shoot(page, "maintenance-phone")
            page.goto(base + "/users")
            _thumb(page, "#user-tek button", 300)
            shoot(page, "users-phone")
            page.goto(base + "/websites/dinkes")
            page.click("#check-now")
            page.wait_for_selector("#check-result", timeout=30000)
            shoot(page, "site-checked-phone")
            assert page.problems == [], page.problems
            public = _page(instance, base)
            public.goto(base + "/status")
            assert "Status layanan" in public.inner_text("main") and "dinkes" not in public.inner_text("main")
            shoot(public, "status-public-phone")
            assert public.problems == [], public.problems
    finally:
        world.close()


def test_links_dns_and_certificates(tmp_path):
    home._cache.clear()
    world = make_week_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        with served(world) as base, browser() as instance:
            for phone in (True, False):
                page = _page(instance, base, phone=phone)
                login(page, base, "admin", password("admin"))
                page.goto(base + "/links?week=2026-W47")
                assert page.locator("svg.heat rect").count() == 14
                assert page.locator("svg.spark polyline").count() >= 1
                _thumb(page, ".weeknav a")
                suffix = "-phone" if phone else ""
                shoot(page, "links" + suffix)
                page.goto(base + "/dns")
                shoot(page, "dns" + suffix)
                page.goto(base + "/certificates")
                shoot(page, "certificates" + suffix)
                page.goto(base + "/lang/en?next=/links?week=2026-W47")
                assert "Availability per day" in page.inner_text("main")
                page.goto(base + "/lang/id?next=/links")
                assert page.problems == [], page.problems
    finally:
        world.engine.dispose()
