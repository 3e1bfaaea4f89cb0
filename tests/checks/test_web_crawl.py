"""The crawler against sites served on loopback: every CMS family and the faults real sites have."""

import asyncio
import time

import pytest
from helpers.webfixtures import FAMILIES, NOW, TZ
from helpers.websrv import Site, ThreadedWebServer

from checks.web import CrawlSettings, SiteSpec, crawl_sites, result_as_dict

FAST = CrawlSettings(timeout_s=2, backoff_s=0.05, site_budget_s=20)
HTML = "<html><head><title>{t}</title></head><body>{b}</body></html>"
FRESH = HTML.format(
    t="OPD",
    b='<div class="post"><a href="/berita/rapat-koordinasi-opd">Rapat Koordinasi OPD '
    "Bersama Diskominfo</a> <span>20 November 2026</span></div>",
)


def crawl(sites: dict[str, Site], settings: CrawlSettings = FAST, **spec_kw):
    with ThreadedWebServer(sites) as srv:
        specs = [SiteSpec(url=srv.url(h), timezone=TZ, **spec_kw) for h in sites]
        results = asyncio.run(crawl_sites(specs, settings, NOW))
        return srv, [result_as_dict(r) for r in results]


def test_every_cms_family_on_loopback() -> None:
    sites = {f"127.0.20.{i + 1}": make() for i, make in enumerate(FAMILIES.values())}
    srv, out = crawl(sites)
    got = {
        name: (r["status"], r["latest_published"], r["source"], r["agenda_updated"], r["agenda_source"])
        for name, r in zip(FAMILIES, out, strict=True)
    }
    assert got == {
        "wordpress": (
            "ok",
            "2026-11-20T09:30:00+08:00",
            "wp-json",
            "2026-11-16T00:00:00+08:00",
            "html:label",
        ),
        "opensid": ("warn", "2026-11-05T03:00:00+08:00", "feed", "2026-11-01T08:15:00+08:00", "html:label"),
        "datagoe": ("crit", "2026-08-25T00:00:00+08:00", "html:article", None, None),
        # the static rss.xml says 2013; the berita list says yesterday
        "lokomedia": (
            "ok",
            "2026-11-20T11:30:00+08:00",
            "html:list",
            "2026-10-20T00:00:00+08:00",
            "html:label",
        ),
        "laravel": ("ok", "2026-11-19T14:00:00+08:00", "json-ld", None, None),  # gzip-served
        "joomla": ("crit", "2025-04-17T10:00:00+08:00", "feed", None, None),
        "static": ("crit", "2026-08-25T16:00:41+08:00", "html:list", None, None),
    }
    assert out[0]["item_url"].endswith("/2026/11/20/sosialisasi-keamanan-informasi/")
    assert out[0]["age_days"] == 1
    assert all(r["requests"] <= FAST.max_requests_per_site for r in out)
    assert max(srv.max_in_flight.values()) <= 2  # politeness: never more than 2 requests per host


def _fault_sites() -> dict[str, Site]:
    big = Site().add("/", FRESH.encode(), mode="huge", huge_bytes=50 * 1024 * 1024)
    return {
        "127.0.21.1": Site().add("/", b"", mode="hang"),
        "127.0.21.2": Site().add("/", b"<h1>Internal Server Error</h1>", status=500),
        "127.0.21.3": Site()
        .add("/", b"", status=302, headers={"Location": "/a"})
        .add("/a", b"", status=302, headers={"Location": "/"}),
        "127.0.21.4": big,
        "127.0.21.5": Site().add("/", b"%PDF-1.4 ...", content_type="application/pdf"),
        "127.0.21.6": Site().add("/", b"", mode="reset"),
        "127.0.21.7": Site().add(
            "/", HTML.format(t="Maintenance", b="<h1>Website sedang dalam perbaikan</h1>")
        ),
        "127.0.21.8": Site().add("/", FRESH, gzip=True),
        "127.0.21.9": Site()
        .add("/", FRESH)
        .add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain"),
        "127.0.21.10": Site().add("/", FRESH.encode(), mode="trickle"),
        "127.0.21.11": Site().add(
            "/", HTML.format(t="Maintenance Mode", b="<h1>Sedang dalam pemeliharaan</h1>"), status=503
        ),
    }


def test_faults_become_findings_and_the_run_goes_on() -> None:
    sites = _fault_sites()
    started = time.monotonic()
    _srv, out = crawl(sites, CrawlSettings(timeout_s=1.5, backoff_s=0.05, max_page_bytes=256 * 1024))
    elapsed = time.monotonic() - started
    codes = {
        h: (r["status"], next(f["code"] for f in r["findings"])) for h, r in zip(sites, out, strict=True)
    }
    assert codes == {
        "127.0.21.1": ("unknown", "site_timeout"),
        "127.0.21.2": ("unknown", "site_http_error"),
        "127.0.21.3": ("unknown", "redirect_loop"),
        # a 50 MiB page is read up to the cap and still measured
        "127.0.21.4": ("ok", "content_fresh"),
        "127.0.21.5": ("unknown", "site_not_html"),
        "127.0.21.6": ("unknown", "site_unreachable"),
        "127.0.21.7": ("unknown", "site_maintenance"),
        "127.0.21.8": ("ok", "content_fresh"),
        "127.0.21.9": ("unknown", "robots_disallowed"),
        "127.0.21.10": ("unknown", "site_timeout"),
        "127.0.21.11": ("unknown", "site_maintenance"),  # a 503 with a notice (after its retries)
    }
    assert out[3]["bytes_read"] <= 2 * 256 * 1024
    assert "HTTP 500" in out[1]["findings"][0]["message"]
    assert elapsed < 15  # sites are crawled concurrently: one hang does not hold the others


def test_owned_site_ignores_robots() -> None:
    site = (
        Site().add("/", FRESH).add("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain")
    )
    _srv, out = crawl({"127.0.22.1": site}, respect_robots=False)
    assert out[0]["status"] == "ok"
    assert "/robots.txt" not in site.hits


def test_transient_errors_are_retried_permanent_ones_are_not() -> None:
    flaky = Site().add("/", FRESH)
    gone = Site().add("/", b"<h1>Not Found</h1>", status=404)
    calls = {"n": 0}
    # first answer 503, then the page: the retry recovers
    orig = flaky.routes["/"]
    from helpers.websrv import Route

    class Flaky(dict):
        def get(self, key, default=None):
            if key == "/":
                calls["n"] += 1
                if calls["n"] == 1:
                    return Route(b"busy", 503, headers={"Retry-After": "0"})
                return orig
            return super().get(key, default)

    flaky.routes = Flaky(flaky.routes)
    _srv, out = crawl({"127.0.23.1": flaky, "127.0.23.2": gone}, respect_robots=False)
    assert out[0]["status"] == "ok" and calls["n"] == 2
    assert out[1]["findings"][0]["code"] == "site_http_error"
    assert gone.hits == ["/"]  # a 404 is not retried


def test_wrong_charset_is_read() -> None:
    body = HTML.format(
        t="Berita",
        b='<div class="post"><a href="/berita/kunjungan-kerja-ke-kecamatan">Kunjungan '
        "Kerja Bupati ke Kecamatan Tengah</a> Jum\u2019at, 20 Nopember 2026 \u2013 Caf\u00e9</div>",
    )
    site = Site().add("/", body.encode("cp1252"), content_type="text/html; charset=utf-8")
    _, out = crawl({"127.0.24.1": site}, respect_robots=False)
    assert (out[0]["status"], out[0]["latest_published"]) == ("ok", "2026-11-20T00:00:00+08:00")


@pytest.mark.parametrize("n_sites", [40])
def test_many_sites_share_one_client_and_stay_polite(n_sites: int) -> None:
    sites = {f"127.0.25.{i + 1}": Site().add("/", FRESH, delay_s=0.05) for i in range(n_sites)}
    srv, out = crawl(sites, CrawlSettings(concurrency=16), respect_robots=False)
    assert [r["status"] for r in out] == ["ok"] * n_sites
    assert [r["target"] for r in out] == [srv.url(h) for h in sites]  # input order
    assert max(srv.max_in_flight.values()) <= 2


def test_forty_subdomains_on_one_server_share_per_server_requests_in_flight(monkeypatch) -> None:
    """Shared hosting: forty OPD subdomains resolve to one pemda server, which serves each by its Host
    name: WordPress and OpenSID sites (the fixture families), and hand-written ones. The crawl never has
    more than `per_server` requests in flight to that address (the server counts), however many hosts,
    and every site still gets its own date."""
    import socket

    from helpers.webfixtures import opensid, wordpress

    server_address = "127.0.27.1"
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".pemda.test"):  # the pemda's DNS: one A record
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (server_address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    page = (
        "<html><body><div class='post'><a href='/berita/rapat-koordinasi'>Rapat koordinasi perangkat "
        "daerah bersama Diskominfo</a> <span>20 November 2026</span></div></body></html>"
    )
    site = Site().add("/", page, delay_s=0.1).add("/berita/rapat-koordinasi", page, delay_s=0.1)
    families = {0: ("wordpress", wordpress), 1: ("opensid", opensid)}
    vhosts, expected = {}, {}
    for i in range(40):
        name, make = families.get(i % 4, ("page", None))
        if make is not None:
            vhosts[f"opd{i}.pemda.test"] = make()
            for route in vhosts[f"opd{i}.pemda.test"].routes.values():
                route.delay_s = 0.1
        expected[i] = {"wordpress": "2026-11-20", "opensid": "2026-11-05", "page": "2026-11-20"}[name]
    settings = CrawlSettings(timeout_s=5, backoff_s=0.05, site_budget_s=60, concurrency=32, per_server=4)
    with ThreadedWebServer({server_address: site}, vhosts=vhosts) as srv:
        srv.missing_delay_s = lambda: 0.1
        specs = [
            SiteSpec(url=f"http://opd{i}.pemda.test:{srv.port}/", timezone=TZ, respect_robots=False)
            for i in range(40)
        ]
        results = asyncio.run(crawl_sites(specs, settings, NOW))
        peak = srv.max_in_flight[server_address]
    got = {i: (result_as_dict(r)["latest_published"] or "")[:10] for i, r in enumerate(results)}  # WITA
    assert got == expected
    assert all(vhosts[f"opd{i}.pemda.test"].hits for i in range(40) if i % 4 < 2)  # served by name
    assert 2 <= peak <= 4, peak  # shared, and never more: before, up to the crawl's 32
