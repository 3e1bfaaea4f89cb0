"""The only part of the DNS check that does I/O: questions to the authoritative servers, and AXFR.

Every question goes straight to the configured servers (never the machine's resolver), with the
recursion-desired bit cleared: we want what the zone says, not what a cache remembers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import random
import struct
import time
from collections.abc import Iterable

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.reversename
import dns.xfr
import dns.zone

from ..finding import internal_error
from .model import Answer, DnsSettings, InventoryHost, Nameserver, Observation, ZoneData

_ADDRESS_TYPES = ("A", "AAAA")
log = logging.getLogger("sigap.checks.dns")


def _normalise(rdtype: str, text: str) -> str:
    if rdtype in _ADDRESS_TYPES:
        return str(ipaddress.ip_address(text))
    return text.rstrip(".").lower()


class _Mux(asyncio.DatagramProtocol):
    """One UDP socket per server, answers routed back by message id.

    dnspython's own async UDP opens a socket per question; at thousands of questions that costs
    more than the questions, and under load some answers were lost between the socket's creation
    and its first read. Here one socket stays open for the run.
    """

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.waiting: dict[int, asyncio.Future[bytes]] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: object) -> None:
        if len(data) < 2:
            return
        future = self.waiting.pop(int.from_bytes(data[:2], "big"), None)
        if future is not None and not future.done():
            future.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable: nobody listens. Fail whoever waits now; each will retry or report.
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(exc)
        self.waiting.clear()

    def connection_lost(self, exc: Exception | None) -> None:
        self.error_received(exc or ConnectionError("socket closed"))

    def free_id(self) -> int:
        while True:
            qid = random.getrandbits(16)
            if qid not in self.waiting:
                return qid


class Asker:
    """Asks one question of one server, with a global limit on questions in flight."""

    def __init__(self, settings: DnsSettings) -> None:
        self.settings = settings
        self._muxes: dict[Nameserver, _Mux] = {}
        self._opening: dict[Nameserver, asyncio.Lock] = {}
        self.queries = 0

    async def _mux(self, server: Nameserver) -> _Mux:
        lock = self._opening.setdefault(server, asyncio.Lock())
        async with lock:
            mux = self._muxes.get(server)
            if mux is None or mux.transport is None or mux.transport.is_closing():
                loop = asyncio.get_running_loop()
                _, mux = await loop.create_datagram_endpoint(_Mux, remote_addr=(server.host, server.port))
                self._muxes[server] = mux
            return mux

    def close(self) -> None:
        for mux in self._muxes.values():
            if mux.transport is not None:
                mux.transport.close()
        self._muxes.clear()

    async def _udp(self, server: Nameserver, question: bytes) -> bytes:
        mux = await self._mux(server)
        qid = mux.free_id()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        mux.waiting[qid] = future
        try:
            mux.transport.sendto(qid.to_bytes(2, "big") + question)  # type: ignore[union-attr]
            async with asyncio.timeout(self.settings.timeout_s):
                return await future
        finally:
            if mux.waiting.get(qid) is future:
                del mux.waiting[qid]

    async def ask(self, server: Nameserver, name: str, rdtype: str) -> Answer:
        question = _question(name, rdtype)
        detail = None
        for _attempt in range(self.settings.retries + 1):
            self.queries += 1
            try:
                reply = _Reply(await self._udp(server, question), question, rdtype)
                if reply.truncated:  # too big for UDP: ask again over TCP (rare for these questions)
                    query = dns.message.make_query(name, rdtype)
                    query.flags &= ~dns.flags.RD
                    response = await dns.asyncquery.tcp(
                        query, server.host, timeout=self.settings.timeout_s, port=server.port
                    )
                    reply = _Reply(response.to_wire(), b"", rdtype, check=False)
            except TimeoutError:
                detail = f"no answer in {self.settings.timeout_s:g} s"
                continue
            except (OSError, ValueError, struct.error, dns.exception.DNSException) as exc:
                return Answer("ERROR", detail=f"{type(exc).__name__}: {exc}"[:200])
            return reply.answer()
        return Answer("TIMEOUT", detail=detail)


_TYPES = {"A": 1, "CNAME": 5, "SOA": 6, "PTR": 12, "AAAA": 28}


def _question(name: str, rdtype: str) -> bytes:
    """A query's wire form after the 2-byte id: RD clear (we ask the zone, not a cache), one question."""
    header = struct.pack(">HHHHH", 0, 1, 0, 0, 0)
    return header + dns.name.from_text(name).to_wire() + struct.pack(">HH", _TYPES[rdtype], 1)


def _skip_name(wire: bytes, at: int) -> int:
    while True:
        length = wire[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:  # compression pointer: two bytes end the name here
            return at + 2
        at += 1 + length


class _Reply:
    """Just enough of a DNS answer: rcode, AA, TC and the records of the type asked for.

    dnspython's full message parser cost ~0.3 ms per answer (authority and glue included), most of
    the CPU of a large run; the answer section alone is all the check reads.
    """

    def __init__(self, wire: bytes, question: bytes, rdtype: str, *, check: bool = True) -> None:
        if len(wire) < 12:
            raise ValueError("short DNS answer")
        flags, qdcount, self.ancount = struct.unpack(">HHH", wire[2:8])
        end_question = _skip_name(wire, 12) + 4 if qdcount else 12
        if check and (not flags & 0x8000 or wire[12:end_question].lower() != question[10:].lower()):
            raise ValueError("answer does not match the question")
        self.wire, self.flags, self.rdtype, self.offset = wire, flags, rdtype, end_question
        self.truncated = bool(flags & 0x0200)

    def answer(self) -> Answer:
        rcode = dns.rcode.to_text(self.flags & 0x000F)
        if rcode == "NOERROR" and not self.flags & 0x0400:
            # A referral or an answer from a server that does not hold the zone is not the zone's word.
            return Answer("NOTAUTH", detail="jawaban tidak otoritatif")
        wire, at, wanted = self.wire, self.offset, _TYPES[self.rdtype]
        values = set()
        for _ in range(self.ancount):
            at = _skip_name(wire, at)
            rtype, _rclass, _ttl, rdlength = struct.unpack(">HHIH", wire[at : at + 10])
            at += 10
            if rtype == wanted:  # CNAME chains inside the zone end in the records we want
                values.add(self._value(rtype, wire[at : at + rdlength], at))
            at += rdlength
        return Answer(rcode, frozenset(values))

    def _value(self, rtype: int, rdata: bytes, at: int) -> str:
        if rtype in (1, 28):
            return str(ipaddress.ip_address(rdata))
        if rtype == 6:  # SOA: mname, rname, then the serial
            at = _skip_name(self.wire, _skip_name(self.wire, at))
            return str(struct.unpack(">I", self.wire[at : at + 4])[0])
        name, _ = dns.name.from_wire(self.wire, at)
        return name.to_text().rstrip(".").lower()


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
    for name in names:
        for rdtype in _ADDRESS_TYPES:
            obs.forward[(name, rdtype)] = {}
    for ip in ips:
        obs.reverse[ip] = {}
    # (where the answer goes, server, the name or IP asked about, type), asked by a fixed pool of
    # workers: a task per question would queue thousands of ready tasks and stall the event loop.
    questions = itertools.chain(
        ((obs.forward[(n, t)], s, n, t) for n in names for t in _ADDRESS_TYPES for s in servers),
        ((obs.reverse[ip], s, ip, "PTR") for ip in ips for s in servers),
    )

    async def worker() -> None:
        for into, server, about, rdtype in questions:
            if about in obs.failures:
                continue  # already failed with a bug: once is enough, for the log and the finding
            try:
                qname = dns.reversename.from_address(about).to_text() if rdtype == "PTR" else about + "."
                into[server.label] = await asker.ask(server, qname, rdtype)
            except Exception as exc:  # a bug on one name (or IP): UNKNOWN for its host, the run goes on
                obs.failures[about] = internal_error(exc, log, about)

    async def zone(name: str) -> None:
        try:
            data = await _zone_data(asker, servers, name.rstrip(".") + ".", settings)
        except Exception as exc:  # a bug on one zone: UNKNOWN for it, the other zones go on
            data = ZoneData(name=name.rstrip(".").lower(), failure=internal_error(exc, log, name))
        obs.zones[data.name] = data

    try:
        await asyncio.gather(
            *(worker() for _ in range(settings.concurrency)),
            *(zone(z) for z in zones),
        )
    finally:
        asker.close()
    # Workers fill answers as they come; the evaluation reads servers in the configured order
    # (the first listed server that answered is the one the record set is compared from).
    order = [s.label for s in servers]
    for table in (obs.forward, obs.reverse):
        for key, answers in table.items():
            table[key] = {label: answers[label] for label in order if label in answers}
    obs.queries = asker.queries
    obs.elapsed_s = time.monotonic() - started
    return obs
