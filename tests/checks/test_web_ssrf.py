"""A site cannot send the crawler where it is not itself: redirects and discovered URLs are checked by
address class before any socket is opened. Traffic stays on 127/8; refused targets are never dialled."""

import asyncio
import socket

import httpx
import pytest
from helpers.webfixtures import NOW, TZ
from helpers.websrv import Site, ThreadedWebServer

from checks.web import CrawlSettings, SiteSpec, crawl_sites, result_as_dict
from checks.web.addresses import allowed, classify
from checks.web.crawl import _Crawl
from checks.web.fetch import Fetcher, FetchError, make_client
from checks.web.messages import render

FAST = CrawlSettings(timeout_s=2, backoff_s=0.05, site_budget_s=20, retries=0)
FRESH = (
    '<html><head><title>OPD</title>{head}</head><body><div class="post">'
    '<a href="/berita/rapat-koordinasi-opd">Rapat Koordinasi OPD Bersama Diskominfo</a> '
    "<span>20 November 2026</span></div></body></html>"
)
METADATA = "http://169.254.169.254/latest/meta-data/"


# --- the rule: pure ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", "loopback"),
        ("127.9.8.7", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.10", "private"),
        ("100.64.0.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link_local"),
        ("fe80::1", "link_local"),
        ("fe80::1%eth0", "link_local"),
        ("::ffff:169.254.169.254", "link_local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.1", "reserved"),  # documentation range: never a real site
        ("8.8.8.8", "public"),
        ("172.32.0.1", "public"),
        ("2001:4860::8888", "public"),
    ],
)
def test_address_classes(address: str, expected: str) -> None:
    assert classify(address) == expected


@pytest.mark.parametrize("site", ["loopback", "private", "public", "link_local"])
def test_link_local_unspecified_multicast_are_never_allowed(site) -> None:
    for target in ("link_local", "unspecified", "multicast", "reserved"):
        assert not allowed(site, target)
    assert allowed(site, "public")


def test_loopback_and_private_only_from_their_own_kind() -> None:
    assert allowed("loopback", "loopback") and allowed("loopback", "private")
    assert allowed("private", "private") and not allowed("private", "loopback")
    assert not allowed("public", "loopback") and not allowed("public", "private")


# --- the crawler on loopback -----------------------------------------------------------------------


@pytest.fixture
def dialled(monkeypatch) -> list:
    """Every address a socket in this process connects to (asyncio's sock_connect calls it)."""
    seen: list = []
    real = socket.socket.connect

    def connect(self, address):
        seen.append(address[0])
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return seen


def crawl(sites: dict[str, Site]):
    with ThreadedWebServer(sites) as srv:
        specs = [SiteSpec(url=srv.url(h), timezone=TZ, respect_robots=False) for h in sites]
        return srv, [result_as_dict(r) for r in asyncio.run(crawl_sites(specs, FAST, NOW))]


def test_redirect_to_link_local_metadata_is_refused_without_connecting(dialled) -> None:
    site = Site().add("/", b"", status=302, headers={"Location": METADATA})
    _srv, out = crawl({"127.0.26.1": site})
    finding = out[0]["findings"][0]
    assert (out[0]["status"], finding["code"]) == ("unknown", "redirect_refused")
    assert "169.254.169.254/latest/meta-data/" in finding["message"]
    assert "link-local" in finding["message"]
    assert "127.0.26.1" in dialled  # the edge records: the site itself was dialled
    assert not any(str(a).startswith("169.254.") for a in dialled)


def test_redirect_to_file_is_invalid_not_a_loop(dialled) -> None:
    site = Site().add("/", b"", status=301, headers={"Location": "file:///etc/passwd"})
    _srv, out = crawl({"127.0.26.2": site})
    finding = out[0]["findings"][0]
    assert (out[0]["status"], finding["code"]) == ("unknown", "redirect_invalid")
    assert "file:///etc/passwd" in finding["message"]


def test_redirect_to_another_loopback_address_is_followed(dialled) -> None:
    sites = {"127.0.26.3": Site(), "127.0.26.4": Site().add("/", FRESH.format(head=""))}
    with ThreadedWebServer(sites) as srv:
        sites["127.0.26.3"].add("/", b"", status=302, headers={"Location": srv.url("127.0.26.4")})
        spec = SiteSpec(url=srv.url("127.0.26.3"), timezone=TZ, respect_robots=False)
        out = result_as_dict(asyncio.run(crawl_sites([spec], FAST, NOW))[0])
    assert (out["status"], out["findings"][0]["code"]) == ("ok", "content_fresh")
    assert out["final_url"] == srv.url("127.0.26.4")
    assert sites["127.0.26.4"].hits[0] == "/"


def test_discovered_feed_on_link_local_is_skipped_and_counted(dialled) -> None:
    head = f'<link rel="alternate" type="application/rss+xml" href="{METADATA}feed">'
    site = Site().add("/", FRESH.format(head=head))

    async def go(url: str):
        async with make_client(FAST) as client:
            spec = SiteSpec(url=url, timezone=TZ, respect_robots=False)
            crawl = _Crawl(spec, Fetcher(client, FAST), NOW, None)
            await crawl.run()
            return crawl.ev

    with ThreadedWebServer({"127.0.26.5": site}) as srv:
        ev = asyncio.run(go(srv.url("127.0.26.5")))
    assert ev.fatal is None
    refused = [p for p in ev.problems if "address_refused" in p]
    assert len(refused) == 1 and "169.254.169.254" in refused[0] and "meta-data" not in refused[0]
    assert not any(str(a).startswith("169.254.") for a in dialled)


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(dialled) -> None:
    """No second lookup: the request is made by name (Host, SNI, the pool's key) and the socket is
    connected to the pinned address by the crawl's network backend."""
    site = Site().add("/", "ok", content_type="text/plain")
    seen: list[httpx.Request] = []

    async def go(url: str):
        async with make_client(FAST) as client:
            client.event_hooks["request"].append(lambda r: _record(seen, r))
            fetcher = Fetcher(client, FAST)
            budget = fetcher.budget()
            budget.pinned["opd.example.test"] = "127.0.26.6"  # as if resolved once, for this site
            return await fetcher.get(url.replace("127.0.26.6", "opd.example.test"), budget)

    with ThreadedWebServer({"127.0.26.6": site}) as srv:
        response = asyncio.run(go(srv.url("127.0.26.6")))
    assert response.status == 200 and response.url == srv.url("opd.example.test")
    assert seen[0].url.host == "opd.example.test"
    assert seen[0].headers["host"] == f"opd.example.test:{srv.port}"
    assert "127.0.26.6" in dialled


async def _record(seen: list, request: httpx.Request) -> None:
    seen.append(request)


def test_refused_redirect_renders_in_both_languages() -> None:
    from checks.finding import Finding

    f = Finding("redirect_refused", "unknown", {"target": METADATA, "detail": "link-local address"})
    assert render(f, "id").startswith("Pengalihan (redirect) situs ke alamat terlarang tidak diikuti")
    assert render(f, "en").startswith("Site redirect to a forbidden address not followed")
    assert isinstance(FetchError("redirect_refused", "x", "u", target="t" * 1000).target, str)
    assert len(FetchError("redirect_refused", "x", "u", target="t" * 1000).target) == 300


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_name_that_rebinds_after_the_check_is_still_connected_to_the_checked_address(
    scheme, dialled, monkeypatch
) -> None:
    """DNS rebinding: the name answers a loopback address to the check and the metadata address to
    any later lookup. The connection goes to the address that was checked, by http and by https (for
    https the connection was made by name before, and so looked the name up a second time)."""
    import ssl

    from helpers.tlsserver import self_signed

    lookups: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "opd.rebind.test":
            lookups.append(host)
            answer = "127.0.26.21" if len(lookups) == 1 else "169.254.169.254"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    tls = None
    if scheme == "https":
        cert, key = self_signed("opd.rebind.test")
        from helpers.tlsserver import TlsServer

        holder = TlsServer([cert], key)  # writes the PEM files; its own socket is not used
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(holder.dir / "chain.pem", holder.dir / "key.pem")
        holder.sock.close()
    target = Site().add("/", FRESH.format(head=""))
    with ThreadedWebServer({"127.0.26.21": target}, tls=tls) as srv:
        url = f"{scheme}://opd.rebind.test:{srv.port}/"
        spec = SiteSpec(url=url, timezone=TZ, respect_robots=False)
        out = result_as_dict(asyncio.run(crawl_sites([spec], FAST, NOW))[0])
    assert (out["status"], out["findings"][0]["code"]) == ("ok", "content_fresh"), out
    assert target.hits and target.hits[0] == "/"
    assert not any(str(a).startswith("169.254.") for a in dialled), dialled
    assert lookups == ["opd.rebind.test"]  # looked up once, by the check
