"""Each target fails alone: a bug or an unexpected exception on one target is an UNKNOWN
`internal_error` finding for it (class and short message, the traceback logged once), and every other
target of the same batch is measured as usual. Real servers on loopback; where a fault is injected, it
is at the edge of the batch (the per-target function), and the batch logic under test is real."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from datetime import UTC, datetime

import pytest
from helpers.netservers import Nsd
from helpers.tlsserver import Issuer, TlsServer, pem
from helpers.webfixtures import NOW, TZ
from helpers.websrv import Site, ThreadedWebServer

from agents.config import load_config
from checks.dns import DnsSettings, InventoryHost, Nameserver, check_dns
from checks.link import LinkSettings, LinkState, LinkTarget, evaluate, probe_all
from checks.link import probe as link_probe
from checks.tls import TlsSettings, TlsTarget, TlsThresholds, check_tls
from checks.web import CrawlSettings, SiteSpec, crawl_sites, result_as_dict
from checks.web import crawl as web_crawl
from sop_registry.errors import InputError

FAST = CrawlSettings(timeout_s=2, backoff_s=0.05, site_budget_s=20)
HTML = "<html><head><title>{t}</title></head><body>{b}</body></html>"
FRESH_ITEM = (
    '<div class="post"><a href="/berita/rapat-koordinasi-opd">Rapat Koordinasi OPD '
    "Bersama Diskominfo</a> <span>20 November 2026</span></div>"
)
HUGE_HREF = "/berita/" + "x" * 200 * 1024  # 200 KB: httpx refuses any URL over 64 KB


def _codes(result: dict) -> list[str]:
    return [f["code"] for f in result["findings"]]


def _logged(caplog: pytest.LogCaptureFixture, kind: str) -> list[logging.LogRecord]:
    # only the check's own log: the test web server's shutdown may log asyncio noise
    return [r for r in caplog.records if r.name == f"sigap.checks.{kind}"]


def test_one_crawl_three_sites_good_long_link_bad_port(caplog: pytest.LogCaptureFixture) -> None:
    sites = {
        "127.0.41.1": Site().add("/", HTML.format(t="OPD", b=FRESH_ITEM)),
        # the same fresh item, beside two undated item links of 200 KB: the crawler opens undated
        # items to read their date, and httpx's InvalidURL on them used to end the whole crawl
        "127.0.41.2": Site().add(
            "/",
            HTML.format(
                t="OPD",
                b=FRESH_ITEM
                + f'<div class="post"><a href="{HUGE_HREF}">Berita dengan alamat sangat panjang</a></div>'
                f'<div class="post"><a href="{HUGE_HREF}-2">Berita lain yang judulnya juga panjang</a></div>',
            ),
        ),
    }
    with ThreadedWebServer(sites) as srv:
        specs = [SiteSpec(url=srv.url(h), timezone=TZ) for h in sites]
        # a port no socket can have, bypassing config (which refuses it: see the test below)
        specs.append(SiteSpec(url="http://127.0.41.3:99999/", timezone=TZ))
        with caplog.at_level(logging.ERROR, logger="sigap.checks.web"):
            results = asyncio.run(crawl_sites(specs, FAST, NOW))
    good, long_links, bad_port = (result_as_dict(r) for r in results)

    assert (good["status"], good["age_days"], _codes(good)[0]) == ("ok", 1, "content_fresh")
    assert good["latest_published"] == "2026-11-20T00:00:00+08:00"
    # the 200 KB links are skipped as the page is read; the site is measured on its normal item
    assert (long_links["status"], long_links["age_days"], _codes(long_links)[0]) == ("ok", 1, "content_fresh")
    assert long_links["item_url"].endswith("/berita/rapat-koordinasi-opd")
    assert all(len(path) < 100 for path in sites["127.0.41.2"].hits)  # never requested
    assert len(json.dumps(long_links)) < 5000  # nothing from the site's junk reaches the result
    # the bad port is a clear finding about the site's address, not a crash of the batch
    assert (bad_port["status"], _codes(bad_port)) == ("unknown", ["site_url_invalid"])
    assert "Port out of range 0-65535" in bad_port["findings"][0]["message"]
    assert bad_port["requests"] == 0
    assert not _logged(caplog, "web")  # these are findings, not bugs


def test_a_bug_on_one_site_is_internal_error_for_it_alone(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = web_crawl.parse_html

    def parse(body, url, *args, **kw):  # the fault: a parser bug on one site's pages only
        if "127.0.42.2" in url:
            raise KeyError("x" * 1000)
        return real(body, url, *args, **kw)

    monkeypatch.setattr(web_crawl, "parse_html", parse)
    page = HTML.format(t="OPD", b=FRESH_ITEM)
    sites = {f"127.0.42.{i}": Site().add("/", page) for i in (1, 2, 3)}
    with ThreadedWebServer(sites) as srv, caplog.at_level(logging.ERROR, logger="sigap.checks.web"):
        got = []
        specs = [SiteSpec(url=srv.url(h), timezone=TZ) for h in sites]
        results = asyncio.run(crawl_sites(specs, FAST, NOW, on_result=lambda i, r: got.append(i)))
    out = [result_as_dict(r, "en") for r in results]
    assert [r["status"] for r in out] == ["ok", "unknown", "ok"]
    assert sorted(got) == [0, 1, 2]  # progress is reported for the failed site too
    [finding] = out[1]["findings"]
    assert (finding["code"], finding["status"]) == ("internal_error", "unknown")
    assert finding["message"].startswith("Internal error while checking: KeyError: 'xxx")
    assert len(finding["message"]) < 300  # the exception's text is bounded
    assert result_as_dict(results[1], "id")["findings"][0]["message"].startswith("Galat internal")
    [logged] = _logged(caplog, "web")  # once, with the traceback
    assert logged.exc_info is not None and srv.url("127.0.42.2") in logged.getMessage()


def test_config_refuses_a_website_port_over_65535(tmp_path) -> None:
    path = tmp_path / "sigap.yaml"
    path.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        "database:\n  url: sqlite:///sigap.db\n"
        "targets:\n  websites:\n    - {id: a, opd: X, url: 'http://127.0.0.1:99999/'}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        load_config(path)
    assert "targets.websites[0].url" in str(err.value)
    assert "Port out of range 0-65535" in str(err.value)


# --- TLS: a real fault (a port no socket can have) beside a real certificate ---------------------


def test_tls_bad_port_is_internal_error_and_the_good_endpoint_is_measured(tmp_path, caplog) -> None:
    root = Issuer("Sigap Test Root CA")
    ca_file = tmp_path / "root.pem"
    ca_file.write_bytes(pem(root.cert))
    name = "sso.pemda.test"
    leaf, key = root.leaf([name], days_left=90.5)
    targets = [TlsTarget("127.0.0.1", 99999, name), None, TlsTarget("127.0.0.1", 99999, name, "kedua")]
    with TlsServer([leaf], key) as srv, caplog.at_level(logging.ERROR, logger="sigap.checks.tls"):
        targets[1] = TlsTarget("127.0.0.1", srv.port, name)
        settings = TlsSettings(timeout_s=3, ca_file=ca_file)
        results = asyncio.run(check_tls(targets, settings, datetime.now(UTC), [TlsThresholds()] * 3))
    assert [(r.status, [f.code for f in r.findings]) for r in results] == [
        ("unknown", ["internal_error"]),
        ("ok", ["cert_ok"]),
        ("unknown", ["internal_error"]),
    ]
    assert results[1].days_left == 90
    assert results[0].findings[0].params["error"] == "OverflowError"
    assert len(_logged(caplog, "tls")) == 2  # once per failing endpoint


# --- links: the per-target probe raises for one link ---------------------------------------------


def test_link_probe_bug_is_internal_error_and_the_state_is_kept(monkeypatch, caplog) -> None:
    real = link_probe.probe_target

    async def probe(target, *args):
        if target.id == "rusak":
            raise RuntimeError("bug in the probe")
        return await real(target, *args)

    monkeypatch.setattr(link_probe, "probe_target", probe)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    targets = [
        LinkTarget("dinkes", "127.0.0.1", "tcp", port),
        LinkTarget("rusak", "127.0.0.1", "tcp", port),
        LinkTarget("anak", "127.0.0.1", "tcp", port, parent="rusak"),
    ]
    settings = LinkSettings(probe_interval_s=0.01)
    with caplog.at_level(logging.ERROR, logger="sigap.checks.link"):
        probes = asyncio.run(probe_all(targets, settings))
    listener.close()
    was_down = LinkState(state="DOWN", fails=5, history=[True, False], changed_at="2026-11-23T00:00:00+00:00")
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    ok, broken, child = evaluate(targets, probes, {"rusak": was_down}, now, settings)
    assert (ok.status, ok.state, ok.findings[0].code) == ("ok", "UP", "link_up")
    assert (broken.status, broken.state, [f.code for f in broken.findings]) == (
        "unknown",
        "UNKNOWN",
        ["internal_error"],
    )
    assert broken.findings[0].params == {"error": "RuntimeError", "detail": "bug in the probe"}
    assert broken.link_state is not None and broken.link_state.to_json() == was_down.to_json()  # kept
    assert (child.status, child.state) == ("ok", "UP")  # it answers: judged on its own
    assert len(_logged(caplog, "link")) == 1


# --- DNS: a host name the DNS cannot carry, beside hosts answered by a real server --------------

ZONE = "pemda.test"
ZONE_TEXT = f"""$ORIGIN {ZONE}.
$TTL 300
@    IN SOA ns1 hostmaster 2026112301 3600 600 86400 300
@    IN NS  ns1
ns1  IN A   127.0.0.1
www  IN A   192.0.2.10
mail IN A   192.0.2.20
"""


def _host(name: str, ip: str) -> InventoryHost:
    return InventoryHost(name, (ipaddress.ip_address(ip),))


def test_dns_host_name_with_a_64_character_label_fails_alone(caplog) -> None:
    hosts = [
        _host(f"www.{ZONE}", "192.0.2.10"),
        _host(f"{'a' * 64}.{ZONE}", "192.0.2.30"),  # a DNS label holds at most 63 octets
        _host(f"mail.{ZONE}", "192.0.2.21"),
    ]
    settings = DnsSettings(timeout_s=1, zone_transfer=False)
    with Nsd({ZONE: ZONE_TEXT}) as nsd, caplog.at_level(logging.ERROR, logger="sigap.checks.dns"):
        results, _obs = asyncio.run(check_dns(hosts, [Nameserver(nsd.host, nsd.port)], [ZONE], settings))
    by_target = {r.target: (r.status, [f.code for f in r.findings]) for r in results if r.kind == "host"}
    assert by_target == {
        f"www.{ZONE}": ("ok", ["dns_ok"]),
        f"{'a' * 64}.{ZONE}": ("unknown", ["internal_error"]),
        f"mail.{ZONE}": ("crit", ["dns_wrong_address"]),
    }
    failed = next(r for r in results if r.status == "unknown")
    assert failed.findings[0].params["error"] == "LabelTooLong"
    assert len(_logged(caplog, "dns")) == 1  # its A and AAAA questions failed: logged once
