"""The one Finding and Status: the ranking every package uses, the internal_error finding, and the
shape of observed values and limits that each kind's evaluate step writes ({value, unit})."""

from __future__ import annotations

import ipaddress
import logging
from datetime import UTC, datetime, timedelta

import pytest
from helpers.snmpdata import MB, link, port, run, steady, table
from helpers.webfixtures import NOW, TZ

from checks.dns import InventoryHost, Observation
from checks.dns import evaluate as dns_evaluate
from checks.dns.messages import TEMPLATES as DNS_TEMPLATES
from checks.dns.model import Answer, ZoneData
from checks.finding import RANK, STATUSES, Finding, internal_error, render, severity, worst
from checks.link import LinkSettings, LinkState, LinkTarget, ProbeResult
from checks.link import evaluate as link_evaluate
from checks.link.messages import TEMPLATES as LINK_TEMPLATES
from checks.snmp import Device
from checks.snmp.messages import TEMPLATES as SNMP_TEMPLATES
from checks.tls import TlsTarget, TlsThresholds
from checks.tls.evaluate import evaluate as tls_evaluate
from checks.tls.messages import TEMPLATES as TLS_TEMPLATES
from checks.tls.model import CertInfo, Probe
from checks.web.crawl import Evidence
from checks.web.evaluate import evaluate as web_evaluate
from checks.web.fetch import FetchError
from checks.web.messages import TEMPLATES as WEB_TEMPLATES
from checks.web.messages import render as web_render
from checks.web.model import Dated, SiteSpec
from sop_registry.ledger.store import worst_status


def assert_value_unit(findings: list[Finding]) -> set[str]:
    """Every observed value and limit is None or {value, unit}; the codes checked are returned."""
    checked = set()
    for f in findings:
        checked.add(f.code)
        for what in (f.observed, f.limit):
            assert what is None or (
                isinstance(what, dict) and {"value", "unit"} <= set(what) and isinstance(what["unit"], str)
            ), (f.code, what)
    return checked


# --- the ranking -------------------------------------------------------------------------------


def test_crit_is_worse_than_unknown_is_worse_than_warn_is_worse_than_ok() -> None:
    assert sorted(STATUSES, key=severity) == ["ok", "warn", "unknown", "crit"]
    assert severity("crit") > severity("unknown") > severity("warn") > severity("ok")
    assert set(RANK) == set(STATUSES)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "ok"),
        (["ok"], "ok"),
        (["ok", "warn"], "warn"),
        (["warn", "unknown", "ok"], "unknown"),
        (["unknown", "crit", "warn"], "crit"),
    ],
)
def test_worst_is_the_same_for_checks_and_the_ledger(statuses: list[str], expected: str) -> None:
    assert worst(statuses) == expected
    assert worst_status(statuses) == expected  # the ledger's run status, from the same ranking


def test_a_finding_refuses_a_status_outside_the_four() -> None:
    with pytest.raises(ValueError, match="'bad'"):
        Finding("x", "bad")  # type: ignore[arg-type]


# --- internal_error ----------------------------------------------------------------------------


def test_internal_error_names_the_cause_bounded_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("sigap.checks.test")
    # how anyio reports a socket's OverflowError for a port over 65535
    group = ExceptionGroup("unhandled errors in a TaskGroup", [OverflowError("port must be 0-65535.")])
    with caplog.at_level(logging.ERROR, logger="sigap.checks.test"):
        f = internal_error(group, log, "http://opd.test:99999/")
        long = internal_error(ValueError("x" * 5000 + "\n" + "y"), log, "t2")
    assert (f.code, f.status, f.observed, f.limit) == ("internal_error", "unknown", None, None)
    assert f.params == {"error": "OverflowError", "detail": "port must be 0-65535."}
    assert len(long.params["detail"]) == 200 and "\n" not in long.params["detail"]
    mine = [r for r in caplog.records if r.name == "sigap.checks.test"]
    assert len(mine) == 2 and mine[0].exc_info[1] is group  # once each, with the traceback


@pytest.mark.parametrize(
    "templates", [WEB_TEMPLATES, DNS_TEMPLATES, TLS_TEMPLATES, LINK_TEMPLATES, SNMP_TEMPLATES]
)
def test_every_kind_says_internal_error_in_both_languages(templates) -> None:
    f = Finding("internal_error", "unknown", {"error": "KeyError", "detail": "'x'"})
    assert render(templates, f, "id") == "Galat internal saat memeriksa: KeyError: 'x'"
    assert render(templates, f, "en") == "Internal error while checking: KeyError: 'x'"


# --- observed and limit: {value, unit} ---------------------------------------------------------


def test_web_findings() -> None:
    spec = SiteSpec(url="http://opd.test/", timezone=TZ)
    day = NOW - timedelta(days=23)
    dated = [
        Dated(day, "day", "feed", "http://opd.test/berita/a", "berita"),
        Dated(NOW - timedelta(days=3), "day", "html:label", "http://opd.test/agenda/b", "agenda"),
    ]
    stale = web_evaluate(spec, Evidence(dated=dated, sections={"berita": "http://opd.test/berita"}), NOW)
    fatal = web_evaluate(spec, Evidence(fatal=FetchError("invalid_url", "port", spec.url)), NOW)
    findings = stale.findings + fatal.findings
    assert assert_value_unit(findings) == {
        "content_stale",
        "agenda_fresh",
        "content_incomplete",
        "site_url_invalid",
    }
    assert stale.findings[0].observed == {"value": 23, "unit": "day"}
    assert web_render(stale.findings[0], "en").startswith("Newest news/article is 23 days old")


def _cert(not_before: datetime, not_after: datetime) -> CertInfo:
    return CertInfo("opd.test", "Test CA", not_before, not_after, ["opd.test"], "01", False)


def test_tls_findings() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    target, limits = TlsTarget("127.0.0.1", 443, "opd.test"), TlsThresholds()
    good = _cert(now - timedelta(days=10), now + timedelta(days=90, hours=1))
    own = CertInfo("opd.test", "CN=opd.test", good.not_before, good.not_after, ["opd.test"], "02", True)
    probes = [
        Probe(True, good),
        Probe(True, _cert(now - timedelta(days=100), now - timedelta(days=2))),
        Probe(True, _cert(now + timedelta(days=1), now + timedelta(days=300))),
        Probe(False, error="koneksi ditolak (port tertutup)"),
        Probe(True, _cert(now - timedelta(days=10), now + timedelta(days=5, hours=1))),
        Probe(False, _cert(good.not_before, good.not_after), 62, "hostname mismatch"),
        Probe(False, own, 18, "self-signed certificate"),
        Probe(False, good, 20, "unable to get local issuer certificate"),
        Probe(False, good, 7, "certificate signature failure"),
    ]
    results = [tls_evaluate(target, p, now, limits) for p in probes]
    findings = [f for r in results for f in r.findings]
    assert assert_value_unit(findings) == {
        "cert_ok",
        "cert_expired",
        "cert_not_yet_valid",
        "tls_unreachable",
        "cert_expiring",
        "cert_hostname_mismatch",
        "cert_self_signed",
        "cert_chain_incomplete",
        "cert_invalid",
    }
    assert (results[0].findings[0].observed, results[0].findings[0].limit) == (
        {"value": 90, "unit": "day"},
        {"value": 30, "unit": "day"},
    )
    assert [r.findings[0].observed for r in results[3:]] == [
        {"value": "koneksi ditolak (port tertutup)", "unit": "error"},
        {"value": 5, "unit": "day"},
        {"value": ["opd.test"], "unit": "name"},
        {"value": "CN=opd.test", "unit": "issuer"},
        {"value": 20, "unit": "verify_code", "issuer": "Test CA"},
        {"value": 7, "unit": "verify_code"},
    ]
    expiring = results[4].findings[0]
    assert expiring.limit == {"value": 7, "unit": "day", "warn_days": 30, "crit_days": 7}
    assert results[5].findings[0].limit == {"value": "opd.test", "unit": "name"}


def test_link_findings() -> None:
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    settings = LinkSettings()
    targets = [
        LinkTarget("up", "127.0.0.1"),
        LinkTarget("lossy", "127.0.0.2"),
        LinkTarget("down", "127.0.0.3"),
        LinkTarget("behind", "127.0.0.4", parent="down"),
        LinkTarget("soft", "127.0.0.5"),
    ]
    probes = [
        ProbeResult(3, 3, [10.0, 11.0, 12.0]),
        ProbeResult(4, 2, [700.0, 800.0]),
        ProbeResult(3, 0),
        ProbeResult(3, 0),
        ProbeResult(3, 0),
    ]
    previous = {"down": LinkState(state="UP", fails=2), "up": LinkState(state="UP")}
    results = link_evaluate(targets, probes, previous, now, settings)
    findings = [f for r in results for f in r.findings]
    assert assert_value_unit(findings) == {
        "link_up",
        "link_loss",
        "link_rtt_high",
        "link_down",
        "link_no_reply",
        "link_unreachable",
        "link_failing",
    }
    loss = results[1].findings[0]
    assert (loss.code, loss.observed["value"], loss.observed["unit"], loss.limit) == (
        "link_loss",
        50.0,
        "pct",
        {"value": 50, "unit": "pct"},
    )


def test_snmp_findings() -> None:
    over = run(link(), steady(18 * MB, 1 * MB, 5))
    under = run(link(), steady(14 * MB, 1 * MB, 5))
    slower = (1300, 30100, table({5: port(int(300 * MB), int(300 * MB), speed=10)}))
    speed = run(link(down=20), [*steady(1 * MB, 1 * MB, 1), slower])
    rebooted = run(link(), [*steady(8 * MB, 2 * MB, 2), (1600, 500, table({5: port(1000, 1000)}))])
    spare = run(Device("sw", "127.0.0.1"), steady(3 * MB, 1 * MB, 2))  # no contract on the port
    results = [*over, *under, *speed, *rebooted, *spare]
    findings = [f for r in results for f in r.findings + [g for i in r.interfaces for g in i.findings]]
    assert {
        "bw_over_use",
        "bw_under_delivery",
        "bw_contract",
        "bw_measured",
        "speed_changed",
        "speed_below_contract",
        "device_rebooted",
        "device_ok",
    } <= assert_value_unit(findings)
    use = next(f for f in findings if f.code == "bw_over_use")
    assert (use.observed["unit"], use.observed["direction"], use.limit["value"]) == ("pct", "down", 80)
    flat = next(f for f in findings if f.code == "bw_under_delivery")
    assert (flat.observed, flat.limit) == (
        {"value": 14.0, "unit": "Mbps", "direction": "down"},
        {"value": 20, "unit": "Mbps"},
    )
    contract = next(f for f in over[-1].interfaces[0].findings if f.code == "bw_contract")
    assert (contract.observed, contract.limit) == (
        {"value": {"in": 18.0, "out": 1.0}, "unit": "Mbps", "download": "in"},
        {"value": {"down": 20, "up": 10}, "unit": "Mbps"},
    )
    measured = next(f for f in spare[-1].interfaces[0].findings if f.code == "bw_measured")
    assert measured.observed == {"value": {"in": 3.0, "out": 1.0}, "unit": "Mbps"}


def _answers(ns1: Answer, ns2: Answer | None = None) -> dict[str, Answer]:
    return {"ns1": ns1, "ns2": ns1 if ns2 is None else ns2}


def test_dns_findings() -> None:
    def ans(rcode: str, *values: str) -> Answer:
        return Answer(rcode, frozenset(values))

    hosts = {
        "ok.test": ["192.0.2.1"],
        "gone.test": ["192.0.2.2"],
        "wrong.test": ["192.0.2.3"],
        "half.test": ["192.0.2.4", "2001:db8::4"],
        "extra.test": ["192.0.2.5"],
        "flaky.test": ["192.0.2.7"],
        "silent.test": ["192.0.2.8"],
        "split.test": ["192.0.2.10"],
    }
    a = {
        "ok.test": _answers(ans("NOERROR", "192.0.2.1")),
        "gone.test": _answers(ans("NXDOMAIN")),
        "wrong.test": _answers(ans("NOERROR", "192.0.2.9")),
        "half.test": _answers(ans("NOERROR", "192.0.2.4")),
        "extra.test": _answers(ans("NOERROR", "192.0.2.5", "192.0.2.6")),
        "flaky.test": _answers(ans("NOERROR", "192.0.2.7"), ans("TIMEOUT")),
        "silent.test": _answers(ans("TIMEOUT")),
        "split.test": _answers(ans("NOERROR", "192.0.2.10"), ans("NOERROR", "192.0.2.11")),
    }
    obs = Observation(servers=["ns1", "ns2"])
    for name, answers in a.items():
        obs.forward[(name, "A")] = answers
        aaaa = "NXDOMAIN" if name == "gone.test" else "TIMEOUT" if name == "silent.test" else "NOERROR"
        obs.forward[(name, "AAAA")] = _answers(ans(aaaa))
    obs.reverse["192.0.2.1"] = _answers(ans("NOERROR", "ok.test"))
    obs.reverse["192.0.2.4"] = _answers(ans("NOERROR"))
    obs.reverse["192.0.2.5"] = _answers(ans("NOERROR", "other.test"))
    soa = _answers(ans("NOERROR", "5"), ans("NOERROR", "4"))
    obs.zones["z.test"] = ZoneData("z.test", soa=soa, records={"old.z.test": {"192.0.2.2"}})
    obs.zones["y.test"] = ZoneData("y.test", soa=_answers(ans("NOERROR", "1"), ans("TIMEOUT")))
    one = _answers(ans("NOERROR", "3"), ans("NOERROR", "3"))
    obs.zones["r.test"] = ZoneData(
        "r.test", soa=one, transfer_tried=True, transfer_refused=True, transfer_error="ns1: REFUSED"
    )
    obs.zones["f.test"] = ZoneData("f.test", soa=one, transfer_tried=True, transfer_error="ns1: timed out")
    obs.zones["s.test"] = ZoneData(
        "s.test", soa=one, records={}, transfer_from="ns1", skipped=1, skipped_detail=["TLSA: bad length"]
    )
    inventory = [InventoryHost(n, tuple(ipaddress.ip_address(i) for i in ips)) for n, ips in hosts.items()]
    results = {r.target: r for r in dns_evaluate(inventory, obs)}
    findings = [f for r in results.values() for f in r.findings]
    assert assert_value_unit(findings) == {
        "dns_ok",
        "dns_record_missing",
        "dns_wrong_address",
        "dns_address_missing",
        "dns_extra_address",
        "ptr_missing",
        "ptr_mismatch",
        "dns_orphan",
        "ip_claimed_twice",
        "dns_server_error",
        "dns_no_answer",
        "dns_servers_disagree",
        "soa_serial_mismatch",
        "zone_unreachable",
        "zone_transfer_refused",
        "zone_transfer_failed",
        "zone_records_skipped",
    }
    shapes = {(t, f.code): (f.observed, f.limit) for t, r in results.items() for f in r.findings}
    assert shapes["ok.test", "dns_ok"] == ({"value": ["192.0.2.1"], "unit": "address"}, None)
    assert shapes["gone.test", "dns_record_missing"] == (
        {"value": [], "unit": "address", "rcode": "NXDOMAIN"},
        {"value": ["192.0.2.2"], "unit": "address"},
    )
    assert shapes["gone.test", "ip_claimed_twice"] == (
        {"value": ["old.z.test"], "unit": "name"},
        {"value": "gone.test", "unit": "name"},
    )
    assert shapes["extra.test", "ptr_mismatch"] == (
        {"value": ["other.test"], "unit": "name"},
        {"value": "extra.test", "unit": "name"},
    )
    assert shapes["old.z.test", "dns_orphan"] == ({"value": ["192.0.2.2"], "unit": "address"}, None)
    assert shapes["silent.test", "dns_no_answer"][0] == {
        "value": {"ns1": "TIMEOUT", "ns2": "TIMEOUT"},
        "unit": "rcode",
    }
    assert shapes["flaky.test", "dns_server_error"][0] == {
        "value": "TIMEOUT",
        "unit": "rcode",
        "server": "ns2",
        "detail": None,
    }
    assert shapes["split.test", "dns_servers_disagree"][0] == {
        "value": {"ns1": ["192.0.2.10"], "ns2": ["192.0.2.11"]},
        "unit": "answer",
        "rdtype": "A",
    }
    serials = {"value": {"ns1": 5, "ns2": 4}, "unit": "serial"}
    assert shapes["z.test", "soa_serial_mismatch"] == (serials, None)
    assert shapes["y.test", "zone_unreachable"][0] == {
        "value": "TIMEOUT",
        "unit": "rcode",
        "server": "ns2",
        "detail": None,
    }
