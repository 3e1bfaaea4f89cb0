"""Issue 22, "right on real devices": a zone transfer that fails or is refused is said, and one record
dnspython cannot parse is skipped and counted, not the end of the transfer. Against Debian's NSD on
loopback serving real zones (tests/fixtures/dns/SOURCES.md), with dig on the same server as the oracle.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import subprocess
import threading
from pathlib import Path

import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from helpers.cli import sigap
from helpers.netservers import Nsd, free_port, need_binary

from checks.dns import DnsSettings, InventoryHost, Nameserver, check_dns
from checks.dns.axfr import AxfrReader, TransferFailed, TransferRefused
from checks.dns.messages import TEMPLATES
from checks.finding import render

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "dns"
SETTINGS = DnsSettings(timeout_s=1.0, retries=1)
# BIND's test zone mx.example (MPL-2.0), byte for byte; the one change, made here: the TLSA's matching
# type 1 (SHA-256, 32 octets) written 2 (SHA-512, 64 octets) over the same 32-octet hash -- the
# operator's slip RFC 6698 makes invalid, which NSD serves and dnspython refuses to parse.
MX_ZONE = (FIX / "mx.example.zone").read_text()
BAD_TLSA = MX_ZONE.replace("TLSA\t3 0 1 ", "TLSA\t3 0 2 ")


def host(name: str, *ips: str) -> InventoryHost:
    return InventoryHost(name, tuple(ipaddress.ip_address(i) for i in ips))


def by_target(results) -> dict:
    return {(r.kind, r.target): r for r in results}


def dig_axfr(port: int, zone: str) -> list[tuple[str, str, str]]:
    """The oracle: `dig AXFR` of the zone, as (owner, type, rdata); an empty list when it failed."""
    dig = need_binary("dig", "bind9-dnsutils")
    out = subprocess.run(
        [dig, "@127.0.0.1", "-p", str(port), zone, "AXFR", "+nocmd", "+nostats", "+nocomments", "+tries=1"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    rows = []
    for line in out.splitlines():
        if line.strip() and not line.startswith(";"):
            owner, _ttl, _cls, rdtype, rdata = line.split(None, 4)
            rows.append((owner.rstrip(".").lower(), rdtype, rdata))
    return rows


def test_an_unparseable_tlsa_is_skipped_and_counted_not_the_whole_transfer() -> None:
    assert MX_ZONE != BAD_TLSA
    with Nsd({"mx.example": BAD_TLSA}) as ns:
        oracle = dig_axfr(ns.port, "mx.example")
        servers = [Nameserver("127.0.0.1", ns.port)]
        results, _obs = asyncio.run(
            check_dns([host("mail.mx.example", "1.2.3.4")], servers, ["mx.example"], SETTINGS)
        )
    # dig reads the whole zone; dnspython cannot parse exactly one of its records (the TLSA)
    unparseable = []
    for _owner, rdtype, rdata in oracle:
        try:
            dns.rdata.from_text("IN", rdtype, rdata)
        except dns.exception.DNSException:
            unparseable.append(rdtype)
    assert unparseable == ["TLSA"]
    addresses = {o for o, t, _ in oracle if t in ("A", "AAAA")}
    r = by_target(results)
    zone = r[("zone", "mx.example")]
    assert zone.extra["zone_transfer"] == "ok" and zone.extra["skipped_records"] == 1
    # every address record dig saw is searched: ns1 has no allocation, mail is the allocated host
    assert addresses == {"mail.mx.example", "ns1.mx.example"}
    assert set(r) == {("host", "mail.mx.example"), ("orphan", "ns1.mx.example"), ("zone", "mx.example")}
    (skipped,) = zone.findings
    assert (skipped.code, skipped.status, skipped.params["count"]) == ("zone_records_skipped", "warn", 1)
    assert skipped.observed["value"] == 1 and skipped.observed["unit"] == "record"
    assert "matching type" in skipped.params["detail"]
    assert render(TEMPLATES, skipped, "id").startswith("1 entri zona mx.example tidak dapat dibaca")


def test_a_refused_transfer_is_said_naming_the_zone_and_the_reason(tmp_path: Path) -> None:
    """example.com as served in 2021 (NSD's test data), with AXFR not allowed: the usual production."""
    inventory = tmp_path / "ip.csv"
    inventory.write_text(
        "hostname,ip,opd,purpose\nwww.example.com,93.184.216.34,Diskominfo,web\n"
        "www.example.com,2606:2800:220:1:248:1893:25c8:1946,Diskominfo,web\n"
    )
    with Nsd({"example.com": (FIX / "example.com.zone").read_text()}, xfr=False) as ns:
        oracle = dig_axfr(ns.port, "example.com")
        www = host("www.example.com", "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
        servers = [Nameserver("127.0.0.1", ns.port)]
        results, _obs = asyncio.run(check_dns([www], servers, ["example.com"], SETTINGS))
        cli = sigap(
            "check", "dns", "--inventory", str(inventory), "--nameserver", ns.address,
            "--zone", "example.com", "--json",
        )  # fmt: skip
    assert oracle == []  # dig: "; Transfer failed."
    zone = by_target(results)[("zone", "example.com")]
    (refused,) = zone.findings
    assert (refused.code, refused.status) == ("zone_transfer_refused", "warn")
    assert refused.params == {"zone": "example.com", "reason": f"{ns.address}: REFUSED"}
    assert refused.observed == {"value": f"{ns.address}: REFUSED", "unit": "reason"}
    assert cli.returncode == 0, cli.stderr
    lines = {d["target"]: d for d in map(json.loads, cli.stdout.splitlines())}
    assert lines["www.example.com"]["status"] == "ok"  # the questions are answered; only AXFR is not
    assert [f["code"] for f in lines["example.com"]["findings"]] == ["zone_transfer_refused"]
    assert "Transfer zona example.com (AXFR) ditolak" in lines["example.com"]["findings"][0]["message"]


class _TcpHeld:
    """A firewall that passes DNS over UDP and holds TCP: questions are relayed to NSD, a TCP connection
    is accepted by the kernel and never answered (a zone transfer waits for nothing)."""

    def __init__(self, upstream: int) -> None:
        self.port = free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(8)
        self.upstream = ("127.0.0.1", upstream)
        self.running = True
        self.thread = threading.Thread(target=self._relay, daemon=True)
        self.thread.start()

    def _relay(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            out.settimeout(2)
            while self.running:
                try:
                    question, client = self.udp.recvfrom(4096)
                    out.sendto(question, self.upstream)
                    self.udp.sendto(out.recv(65535), client)
                except (TimeoutError, OSError):
                    continue

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.udp.close()
        self.tcp.close()


def test_a_transfer_that_never_comes_is_failed_with_its_reason() -> None:
    with Nsd({"mx.example": MX_ZONE}) as ns:
        held = _TcpHeld(ns.port)
        try:
            server = Nameserver("127.0.0.1", held.port)
            mail, settings = host("mail.mx.example", "1.2.3.4"), DnsSettings(timeout_s=0.5)
            results, _obs = asyncio.run(check_dns([mail], [server], ["mx.example"], settings))
        finally:
            held.close()
    r = by_target(results)
    assert r[("host", "mail.mx.example")].status == "ok"  # the questions over UDP are answered
    (failed,) = r[("zone", "mx.example")].findings
    assert (failed.code, failed.status) == ("zone_transfer_failed", "warn")
    assert failed.params["reason"] == f"{server.label}: no answer in 0.5 s (TCP)"
    assert "Zone transfer (AXFR) of mx.example failed" in render(TEMPLATES, failed, "en")


# --- the lenient reader on its own: wire bytes in -------------------------------------------------

ZONE = dns.name.from_text("opd.test.")


def _answer(query: dns.message.Message, *records: tuple[str, str, str], rcode: int = 0) -> bytes:
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    for owner, rdtype, text in records:
        name = dns.name.from_text(owner, ZONE)
        if rdtype == "TLSA-bad":  # 3 1 1 with 2 octets of hash: RFC 6698 wants 32
            rdata = dns.rdata.GenericRdata(dns.rdataclass.IN, dns.rdatatype.TLSA, bytes.fromhex(text))
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.TLSA)
        else:
            rdata = dns.rdata.from_text("IN", rdtype, text, origin=ZONE, relativize=False)
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdata.rdtype)
        rrset.add(rdata, 300)
        response.answer.append(rrset)
    return response.to_wire()


SOA = ("@", "SOA", "ns1 hostmaster 1 3600 900 604800 300")


def test_the_reader_skips_one_bad_record_and_reads_on_across_messages() -> None:
    query = dns.message.make_query(ZONE, "AXFR")
    reader = AxfrReader(query, ZONE)
    first = _answer(query, SOA, ("www", "A", "192.0.2.1"), ("_443._tcp.www", "TLSA-bad", "030101abcd"))
    assert reader.feed(first) is False
    last = _answer(query, ("simpeg", "AAAA", "2001:DB8::0:10"), ("portal", "CNAME", "www"), SOA)
    assert reader.feed(last) is True
    got = reader.result
    assert got.records == {"www.opd.test": {"192.0.2.1"}, "simpeg.opd.test": {"2001:db8::10"}}
    assert got.aliases == {"portal.opd.test": "www.opd.test"}
    assert got.skipped == 1 and "matching type" in got.skipped_detail[0]


@pytest.mark.parametrize(
    ("rcode", "records", "error"),
    [
        (dns.rcode.REFUSED, (), TransferRefused),
        (dns.rcode.NOTAUTH, (), TransferRefused),
        (dns.rcode.SERVFAIL, (), TransferFailed),
        (0, (("www", "A", "192.0.2.1"),), TransferFailed),  # no SOA first: not this zone's transfer
    ],
)
def test_the_reader_names_a_refusal_and_a_failure(rcode, records, error) -> None:
    query = dns.message.make_query(ZONE, "AXFR")
    with pytest.raises(error):
        AxfrReader(query, ZONE).feed(_answer(query, *records, rcode=rcode))
