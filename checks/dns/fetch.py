"""The only part of the DNS check that does I/O: questions to the authoritative servers, and AXFR.

Every question goes straight to the configured servers (never the machine's resolver), with the
recursion-desired bit cleared: we want what the zone says, not what a cache remembers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterable

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.reversename
import dns.xfr
import dns.zone

from .model import Answer, DnsSettings, InventoryHost, Nameserver, Observation, ZoneData

_ADDRESS_TYPES = ("A", "AAAA")


def _normalise(rdtype: str, text: str) -> str:
    if rdtype in _ADDRESS_TYPES:
        return str(ipaddress.ip_address(text))
    return text.rstrip(".").lower()


class Asker:
    """Asks one question of one server, with a global limit on questions in flight."""

    def __init__(self, settings: DnsSettings) -> None:
        self.settings = settings
        self._limit = asyncio.Semaphore(settings.concurrency)
        self.queries = 0

    async def ask(self, server: Nameserver, name: str, rdtype: str) -> Answer:
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        detail = None
        for _attempt in range(self.settings.retries + 1):
            self.queries += 1
            try:
                async with self._limit:
                    response, _tcp = await dns.asyncquery.udp_with_fallback(
                        query, server.host, timeout=self.settings.timeout_s, port=server.port
                    )
            except dns.exception.Timeout:
                detail = f"no answer in {self.settings.timeout_s:g} s"
                continue
            except (OSError, dns.exception.DNSException) as exc:
                return Answer("ERROR", detail=f"{type(exc).__name__}: {exc}"[:200])
            return _answer(response, name, rdtype)
        return Answer("TIMEOUT", detail=detail)


def _answer(response: dns.message.Message, name: str, rdtype: str) -> Answer:
    rcode = dns.rcode.to_text(response.rcode())
    if rcode == "NOERROR" and not response.flags & dns.flags.AA:
        # A referral or an answer from a server that does not hold the zone is not the zone's word.
        return Answer("NOTAUTH", detail="jawaban tidak otoritatif")
    wanted = dns.rdatatype.from_text(rdtype)
    values = frozenset(
        _normalise(rdtype, rdata.to_text())
        for rrset in response.answer
        if rrset.rdtype == wanted  # CNAME chains inside the zone end in the records we want
        for rdata in rrset
    )
    if rdtype == "SOA":
        values = frozenset(str(v.split()[2]) for v in values)  # the serial
    return Answer(rcode, values)


async def transfer(
    server: Nameserver, zone_name: str, settings: DnsSettings
) -> tuple[dict[str, set[str]], dict[str, str]]:
    """The zone's address records by AXFR (owner name, no dot, lower case -> addresses) and its CNAMEs."""
    zone = dns.zone.Zone(dns.name.from_text(zone_name), relativize=False)
    await dns.asyncquery.inbound_xfr(
        server.host, zone, port=server.port, timeout=settings.timeout_s, lifetime=settings.timeout_s * 10
    )
    records: dict[str, set[str]] = {}
    for rdtype in _ADDRESS_TYPES:
        for owner, _ttl, rdata in zone.iterate_rdatas(rdtype):
            key = owner.to_text().rstrip(".").lower()
            records.setdefault(key, set()).add(_normalise(rdtype, rdata.to_text()))
    aliases = {
        owner.to_text().rstrip(".").lower(): rdata.target.to_text().rstrip(".").lower()
        for owner, _ttl, rdata in zone.iterate_rdatas("CNAME")
    }
    return records, aliases


async def _zone_data(
    asker: Asker, servers: list[Nameserver], zone_name: str, settings: DnsSettings
) -> ZoneData:
    data = ZoneData(name=zone_name.rstrip(".").lower())
    answers = await asyncio.gather(*(asker.ask(s, zone_name, "SOA") for s in servers))
    data.soa = {s.label: a for s, a in zip(servers, answers, strict=True)}
    if not settings.zone_transfer:
        return data
    errors = []
    for server, answer in zip(servers, answers, strict=True):
        if answer.rcode != "NOERROR":
            continue
        try:
            data.records, data.aliases = await transfer(server, zone_name, settings)
            data.transfer_from = server.label
            data.transfer_error = None
            return data
        except dns.xfr.TransferError as exc:
            errors.append(f"{server.label}: {dns.rcode.to_text(exc.rcode)}")
        except (OSError, dns.exception.DNSException, EOFError) as exc:
            errors.append(f"{server.label}: {type(exc).__name__}")
    data.transfer_error = "; ".join(errors) or "tidak ada server yang menjawab SOA"
    return data


async def observe(
    hosts: Iterable[InventoryHost],
    servers: list[Nameserver],
    zones: Iterable[str],
    settings: DnsSettings,
) -> Observation:
    """Ask every server: A and AAAA for every allocated name, PTR for every allocated IP, each zone's SOA."""
    started = time.monotonic()
    asker = Asker(settings)
    hosts = list(hosts)
    obs = Observation(servers=[s.label for s in servers])
    names = sorted({h.key for h in hosts})
    ips = sorted({str(ip) for h in hosts for ip in h.ips})

    async def forward(name: str, rdtype: str) -> None:
        answers = await asyncio.gather(*(asker.ask(s, name + ".", rdtype) for s in servers))
        obs.forward[(name, rdtype)] = {s.label: a for s, a in zip(servers, answers, strict=True)}

    async def reverse(ip: str) -> None:
        ptr_name = dns.reversename.from_address(ip).to_text()
        answers = await asyncio.gather(*(asker.ask(s, ptr_name, "PTR") for s in servers))
        obs.reverse[ip] = {s.label: a for s, a in zip(servers, answers, strict=True)}

    async def zone(name: str) -> None:
        data = await _zone_data(asker, servers, name.rstrip(".") + ".", settings)
        obs.zones[data.name] = data

    await asyncio.gather(
        *(forward(n, t) for n in names for t in _ADDRESS_TYPES),
        *(reverse(ip) for ip in ips),
        *(zone(z) for z in zones),
    )
    obs.queries = asker.queries
    obs.elapsed_s = time.monotonic() - started
    return obs
