"""DNS/IP reconciliation: pure evaluation with built observations, then against Debian's NSD on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from pathlib import Path

import pytest
from helpers.cli import sigap
from helpers.netservers import Nsd
from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.dns import DnsSettings, InventoryHost, Nameserver, check_dns, evaluate
from checks.dns.model import Answer, Observation, ZoneData
from sop_registry.ledger import Case, StepRun, connect

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "dns"
ZONE = "polewalimandarkab.go.id"
ZONES = {
    ZONE: (FIX / f"{ZONE}.zone").read_text(),
    "2.0.192.in-addr.arpa": (FIX / "2.0.192.in-addr.arpa.zone").read_text(),
}


def host(name: str, *ips: str) -> InventoryHost:
    return InventoryHost(name, tuple(ipaddress.ip_address(i) for i in ips))


def ans(rcode: str = "NOERROR", *values: str) -> Answer:
    return Answer(rcode, frozenset(values))


def by_target(results) -> dict:
    return {(r.kind, r.target): r for r in results}


# --- pure evaluation -----------------------------------------------------------------------------


def test_whole_record_set_is_compared_not_any_match() -> None:
    obs = Observation(servers=["ns1"])
    obs.forward[("a.test", "A")] = {"ns1": ans("NOERROR", "192.0.2.1", "192.0.2.2")}
    obs.forward[("a.test", "AAAA")] = {"ns1": ans("NOERROR")}
    [result] = evaluate([host("a.test", "192.0.2.1")], obs)
    assert result.status == "warn"
    assert [f.code for f in result.findings] == ["dns_extra_address"]
    assert result.findings[0].observed == {"value": ["192.0.2.1", "192.0.2.2"], "unit": "address"}


@pytest.mark.parametrize(
    ("a", "aaaa", "allocated", "codes", "status"),
    [
        (ans("NOERROR", "192.0.2.1"), ans("NOERROR"), ["192.0.2.1"], ["dns_ok"], "ok"),
        (ans("NXDOMAIN"), ans("NXDOMAIN"), ["192.0.2.1"], ["dns_record_missing"], "crit"),
        (ans("NOERROR"), ans("NOERROR"), ["192.0.2.1"], ["dns_record_missing"], "crit"),
        (ans("NOERROR", "192.0.2.9"), ans("NOERROR"), ["192.0.2.1"], ["dns_wrong_address"], "crit"),
        (
            ans("NOERROR", "192.0.2.1"),
            ans("NOERROR"),
            ["192.0.2.1", "2001:db8::1"],
            ["dns_address_missing"],
            "warn",
        ),
        (ans("TIMEOUT"), ans("TIMEOUT"), ["192.0.2.1"], ["dns_no_answer", "dns_no_answer"], "unknown"),
        (ans("SERVFAIL"), ans("NOERROR"), ["192.0.2.1"], ["dns_no_answer"], "unknown"),
    ],
)
def test_address_rules(a: Answer, aaaa: Answer, allocated: list[str], codes: list[str], status: str) -> None:
    obs = Observation(servers=["ns1"])
    obs.forward[("a.test", "A")] = {"ns1": a}
    obs.forward[("a.test", "AAAA")] = {"ns1": aaaa}
    [result] = evaluate([host("a.test", *allocated)], obs)
    assert ([f.code for f in result.findings], result.status) == (codes, status)


def test_two_servers_one_failing_one_disagreeing() -> None:
    obs = Observation(servers=["ns1", "ns2", "ns3"])
    obs.forward[("a.test", "A")] = {
        "ns1": ans("NOERROR", "192.0.2.1"),
        "ns2": ans("TIMEOUT"),
        "ns3": ans("NOERROR", "192.0.2.7"),
    }
    obs.forward[("a.test", "AAAA")] = {k: ans("NOERROR") for k in ("ns1", "ns2", "ns3")}
    [result] = evaluate([host("a.test", "192.0.2.1")], obs)
    codes = [f.code for f in result.findings]
    assert codes == ["dns_server_error", "dns_servers_disagree"]  # the first answer matches the list
    assert result.findings[0].params["server"] == "ns2"
    assert result.status == "warn"


def test_inventory_double_claim_and_ptr() -> None:
    obs = Observation(servers=["ns1"])
    for name in ("a.test", "b.test"):
        obs.forward[(name, "A")] = {"ns1": ans("NOERROR", "192.0.2.1")}
        obs.forward[(name, "AAAA")] = {"ns1": ans("NOERROR")}
    obs.reverse["192.0.2.1"] = {"ns1": ans("NOERROR", "a.test")}
    a, b = evaluate([host("a.test", "192.0.2.1"), host("b.test", "192.0.2.1")], obs)
    assert [f.code for f in a.findings] == ["ip_claimed_twice"]
    assert [f.code for f in b.findings] == ["ptr_mismatch", "ip_claimed_twice"]
    assert a.findings[0].observed == {"value": ["b.test"], "unit": "name"}


def test_soa_serials_disagree_and_cname_target_is_not_an_orphan() -> None:
    obs = Observation(servers=["ns1", "ns2"])
    obs.forward[("www.a.test", "A")] = {
        "ns1": ans("NOERROR", "192.0.2.1"),
        "ns2": ans("NOERROR", "192.0.2.1"),
    }
    obs.forward[("www.a.test", "AAAA")] = {"ns1": ans("NOERROR"), "ns2": ans("NOERROR")}
    obs.reverse["192.0.2.1"] = {"ns1": ans("NOERROR", "a.test"), "ns2": ans("NOERROR", "a.test")}
    obs.zones["a.test"] = ZoneData(
        "a.test",
        soa={"ns1": ans("NOERROR", "5"), "ns2": ans("NOERROR", "4")},
        records={"a.test": {"192.0.2.1"}, "old.a.test": {"192.0.2.8"}},
        aliases={"www.a.test": "a.test"},
    )
    results = by_target(evaluate([host("www.a.test", "192.0.2.1")], obs))
    assert results[("host", "www.a.test")].status == "ok"  # PTR names the CNAME's target: accepted
    assert set(results) == {("host", "www.a.test"), ("orphan", "old.a.test"), ("zone", "a.test")}
    zone = results[("zone", "a.test")]
    assert [f.code for f in zone.findings] == ["soa_serial_mismatch"]
    assert zone.extra["soa_serials"] == {"ns1": "5", "ns2": "4"}


# --- against NSD ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nsd():
    server = Nsd(ZONES).start()
    yield server
    server.stop()


def test_check_dns_json_against_nsd(nsd: Nsd) -> None:
    result = sigap(
        "check",
        "dns",
        "--inventory",
        str(FIX / "inventory.csv"),
        "--nameserver",
        nsd.address,
        "--zone",
        ZONE,
        "--json",
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    hosts = {d["target"]: d for d in lines if d["kind"] == "host"}
    orphans = {d["target"]: d for d in lines if d["kind"] == "orphan"}
    # one line per inventory host (in CSV order), one per orphan record; a healthy zone has no line
    assert list(hosts) == [
        f"{n}.{ZONE}" for n in ("simpeg", "sipd", "lpse", "www.diskominfo", "sirup", "ppid", "baru")
    ]
    assert set(orphans) == {f"lama.{ZONE}", f"ns1.{ZONE}", ZONE}
    assert len(lines) == 10
    codes = {t: [f["code"] for f in d["findings"]] for t, d in hosts.items()}
    assert codes[f"simpeg.{ZONE}"] == ["ip_claimed_twice"]  # lama.* points at simpeg's address
    assert codes[f"sipd.{ZONE}"] == ["dns_wrong_address", "ptr_missing"]
    assert codes[f"lpse.{ZONE}"] == ["dns_extra_address"]
    assert codes[f"www.diskominfo.{ZONE}"] == ["dns_ok"]  # a CNAME inside the zone, PTR to its target
    assert codes[f"sirup.{ZONE}"] == ["ptr_mismatch"]
    assert codes[f"ppid.{ZONE}"] == ["dns_address_missing", "ptr_missing"]
    assert codes[f"baru.{ZONE}"] == ["dns_record_missing", "ptr_missing"]
    assert hosts[f"baru.{ZONE}"]["servers"] == {nsd.address: "NXDOMAIN"}
    assert hosts[f"sipd.{ZONE}"]["status"] == "crit"
    assert hosts[f"simpeg.{ZONE}"]["observed"] == {"A": ["192.0.2.10"], "AAAA": ["2001:db8::10"]}
    assert hosts[f"simpeg.{ZONE}"]["ptr"] == {"192.0.2.10": [f"simpeg.{ZONE}"], "2001:db8::10": None}
    assert hosts[f"simpeg.{ZONE}"]["opd"] == "BKPSDM"
    wrong = hosts[f"sipd.{ZONE}"]["findings"][0]
    assert wrong["observed"] == {"value": ["192.0.2.99"], "unit": "address"} and wrong["limit"] == {
        "value": ["192.0.2.20"],
        "unit": "address",
    }
    assert "bukan ke IP yang dialokasikan 192.0.2.20" in wrong["message"]
    assert [f["code"] for f in orphans[f"lama.{ZONE}"]["findings"]] == ["dns_orphan", "ip_claimed_twice"]
    for d in lines:
        assert d["status"] in ("ok", "warn", "crit", "unknown")
        for f in d["findings"]:
            assert {"code", "message", "observed", "limit"} <= set(f)


def test_check_dns_english_table(nsd: Nsd) -> None:
    result = sigap(
        "--lang", "en", "check", "dns", "--inventory", str(FIX / "inventory.csv"), "--nameserver", nsd.address
    )
    assert result.returncode == 0, result.stderr
    assert "points to 192.0.2.99, not to the allocated 192.0.2.20" in result.stdout
    assert "unallocated" not in result.stdout  # no --zone: no transfer, no orphans


def test_servers_out_of_sync_timeout_and_servfail() -> None:
    newer = ZONES[ZONE].replace("2026112001", "2026112102").replace("192.0.2.99", "192.0.2.20")
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers: a dead server
    silent.bind(("127.0.0.1", 0))
    with Nsd({ZONE: ZONES[ZONE]}) as old, Nsd({ZONE: newer, "broken.test": None}) as new:
        servers = [Nameserver("127.0.0.1", old.port), Nameserver("127.0.0.1", new.port)]
        hosts = [host(f"sipd.{ZONE}", "192.0.2.20"), host("x.broken.test", "192.0.2.5")]
        results, _obs = asyncio.run(check_dns(hosts, servers, [ZONE], DnsSettings(timeout_s=0.3, retries=0)))
        r = by_target(results)
        sipd = r[("host", f"sipd.{ZONE}")]
        assert [f.code for f in sipd.findings][:2] == ["dns_servers_disagree", "dns_wrong_address"]
        broken = r[("host", "x.broken.test")]  # zone configured but not loaded: SERVFAIL from both
        assert broken.status == "unknown" and broken.findings[0].code == "dns_no_answer"
        assert "SERVFAIL" in broken.findings[0].params["detail"]
        zone = r[("zone", ZONE)]
        assert [f.code for f in zone.findings] == ["soa_serial_mismatch"]
        assert set(zone.extra["soa_serials"].values()) == {"2026112001", "2026112102"}

        dead = Nameserver("127.0.0.1", silent.getsockname()[1])
        results, _obs = asyncio.run(
            check_dns(hosts[:1], [servers[1], dead], [ZONE], DnsSettings(timeout_s=0.3, retries=1))
        )
        sipd = by_target(results)[("host", f"sipd.{ZONE}")]
        errors = [f for f in sipd.findings if f.code == "dns_server_error"]
        assert {(f.params["server"], f.params["rcode"]) for f in errors} == {(dead.label, "TIMEOUT")}
        assert sipd.status == "warn"  # the other server answered, and matches the list
        zone = by_target(results)[("zone", ZONE)]
        assert [(f.code, f.status) for f in zone.findings] == [("zone_unreachable", "warn")]
    silent.close()


def test_transfer_refused_means_no_orphans_but_forward_checks_go_on() -> None:
    with Nsd({ZONE: ZONES[ZONE]}, xfr=False) as ns:
        results, _ = asyncio.run(
            check_dns(
                [host(f"lpse.{ZONE}", "192.0.2.30")],
                [Nameserver("127.0.0.1", ns.port)],
                [ZONE],
                DnsSettings(),
            )
        )
    r = by_target(results)
    assert set(r) == {("host", f"lpse.{ZONE}"), ("zone", ZONE)}
    assert "REFUSED" in r[("zone", ZONE)].extra["zone_transfer"]
    assert r[("host", f"lpse.{ZONE}")].findings[0].code == "dns_extra_address"


def test_real_zone_with_wildcard_and_shared_address() -> None:
    """Google's skia.org zone (BSD-3): ~27 service names on one shared IP and a wildcard CNAME."""
    text = (
        "$ORIGIN skia.org.\n@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ 3600 IN NS ns1\n"
        "ns1 3600 IN A 192.0.2.53\n" + (FIX / "skia.org.zone").read_text()
    )
    with Nsd({"skia.org": text}) as ns:
        hosts = [
            host("autoroll.skia.org", "34.110.212.89"),
            host("status.skia.org", "34.110.212.89"),
            host("apa-saja.skia.org", "198.51.100.7"),  # only the wildcard answers: CNAME to skia.org
        ]
        results, _obs = asyncio.run(
            check_dns(hosts, [Nameserver("127.0.0.1", ns.port)], ["skia.org"], DnsSettings())
        )
    r = by_target(results)
    assert r[("host", "autoroll.skia.org")].observed["A"] == ["34.110.212.89"]
    assert "ip_claimed_twice" in [f.code for f in r[("host", "autoroll.skia.org")].findings]
    wildcard = r[("host", "apa-saja.skia.org")]
    assert wildcard.status == "crit" and wildcard.findings[0].code == "dns_wrong_address"
    orphans = [t for (kind, t) in r if kind == "orphan"]
    assert len(orphans) > 20 and "autoroll.skia.org" not in orphans
    assert r[("zone", "skia.org")].extra["zone_transfer"] == "ok"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--nameserver", "127.0.0.1"], "--inventory"),
        (["--inventory", str(FIX / "inventory.csv")], "--nameserver"),
        (["--inventory", str(FIX / "inventory.csv"), "--nameserver", "ns1.example.org"], "--nameserver"),
        (["--inventory", str(FIX / "inventory.csv"), "--nameserver", "127.0.0.1:70000"], "--nameserver"),
        (["--inventory", "/nonexistent.csv", "--nameserver", "127.0.0.1"], "/nonexistent.csv"),
        (["--inventory", str(FIX / "skia.org.zone"), "--nameserver", "127.0.0.1"], "header"),
    ],
)
def test_check_dns_bad_arguments(args: list[str], needle: str) -> None:
    result = sigap("check", "dns", *args)  # no config file: everything must come from the arguments
    assert result.returncode == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_agent_records_polman_14_step_7_and_opens_cases(nsd: Nsd, tmp_path: Path) -> None:
    config = tmp_path / "sigap.yaml"
    config.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: sqlite:///sigap.db\nstate_dir: {tmp_path / 'state'}\n"
        f"targets:\n  servers_csv: {FIX / 'inventory.csv'}\n"
        f"dns:\n  nameservers: ['{nsd.address}']\n  zones: [{ZONE}]\n"
    )
    result = sigap("--config", str(config), "run", "polman-14", "--once")
    assert result.returncode == 0, result.stderr
    assert "polman-14 langkah 7: crit" in result.stdout and "2 dibuka" in result.stdout
    engine = connect(f"sqlite:///{tmp_path / 'state' / 'sigap.db'}")
    with Session(engine) as s:
        run = s.scalars(select(StepRun)).one()
        assert (run.sop_id, run.step_no, run.agent, run.output_kind) == (
            "polman-14",
            7,
            "dns_ip",
            "daftar_ip_dns",
        )
        assert run.details["counts"] == {"ok": 1, "warn": 4, "crit": 2, "unknown": 0}
        assert run.details["orphans"] == 3
        recap = Path(run.output_ref).read_text(encoding="utf-8-sig")
        assert recap.startswith("Nama host,OPD,") and "lama.polewalimandarkab.go.id" in recap
        cases = s.scalars(select(Case).order_by(Case.target)).all()
        assert [(c.target, c.assignee_role, c.state) for c in cases] == [
            (f"baru.{ZONE}", "Tenaga IT Data Center", "open"),
            (f"sipd.{ZONE}", "Tenaga IT Data Center", "open"),
        ]
    engine.dispose()
