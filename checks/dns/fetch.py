"""The only part of the DNS check that does I/O: questions to the authoritative servers, and AXFR.

Every question goes straight to the configured servers (never the machine's resolver), with the
recursion-desired bit cleared: we want what the zone says, not what a cache remembers.
"""

from __future__ import annotations

import asyncio
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
import dns.rdatatype
import dns.reversename

from ..finding import internal_error
from .axfr import AxfrReader, Transfer, TransferFailed, TransferRefused
from .model import Answer, DnsSettings, InventoryHost, Nameserver, Observation, ZoneData
from .wire import Reply, query_wire

_ADDRESS_TYPES = ("A", "AAAA")
log = logging.getLogger("sigap.checks.dns")


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
        question = query_wire(name, rdtype)
        detail = None
        for _attempt in range(self.settings.retries + 1):
            self.queries += 1
            try:
                reply = Reply(await self._udp(server, question), question, rdtype)
                if reply.truncated:  # too big for UDP: ask again over TCP (rare for these questions)
                    query = dns.message.make_query(name, rdtype)
                    query.flags &= ~dns.flags.RD
                    response = await dns.asyncquery.tcp(
                        query, server.host, timeout=self.settings.timeout_s, port=server.port
                    )
                    reply = Reply(response.to_wire(), b"", rdtype, check=False)
            except TimeoutError:
                detail = f"no answer in {self.settings.timeout_s:g} s"
                continue
            except (OSError, ValueError, struct.error, dns.exception.DNSException) as exc:
                return Answer("ERROR", detail=f"{type(exc).__name__}: {exc}"[:200])
            return reply.answer()
        return Answer("TIMEOUT", detail=detail)


async def transfer(server: Nameserver, zone_name: str, settings: DnsSettings) -> Transfer:
    """The zone by AXFR over TCP: its address records and CNAMEs, read leniently (axfr.AxfrReader).
    Each read waits `timeout_s`; the whole transfer at most ten times that."""
    zone = dns.name.from_text(zone_name)
    query = dns.message.make_query(zone, dns.rdatatype.AXFR)
    query.flags &= ~dns.flags.RD
    wire = query.to_wire()
    reader = AxfrReader(query, zone)
    try:
        async with asyncio.timeout(settings.timeout_s * 10):
            stream, writer = await asyncio.wait_for(
                asyncio.open_connection(server.host, server.port), settings.timeout_s
            )
            try:
                writer.write(struct.pack(">H", len(wire)) + wire)
                await writer.drain()
                while True:
                    head = await asyncio.wait_for(stream.readexactly(2), settings.timeout_s)
                    length = struct.unpack(">H", head)[0]
                    body = await asyncio.wait_for(stream.readexactly(length), settings.timeout_s)
                    if reader.feed(body):
                        return reader.result
            finally:
                writer.close()
    except TimeoutError:
        # A firewall that passes DNS over UDP and drops TCP 53 looks like this, from the first byte.
        if not reader.messages:
            raise TransferFailed(f"no answer in {settings.timeout_s:g} s (TCP)") from None
        raise TransferFailed(f"incomplete: {reader.messages} message(s), then no answer in time") from None
    except asyncio.IncompleteReadError:
        raise TransferFailed("connection closed before the closing SOA") from None


def _why(exc: BaseException) -> str:
    """A failed transfer's reason, short enough for a finding."""
    if isinstance(exc, TransferFailed):
        return str(exc)
    return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)[:200]


async def _zone_data(
    asker: Asker, servers: list[Nameserver], zone_name: str, settings: DnsSettings
) -> ZoneData:
    data = ZoneData(name=zone_name.rstrip(".").lower())
    answers = await asyncio.gather(*(asker.ask(s, zone_name, "SOA") for s in servers))
    data.soa = {s.label: a for s, a in zip(servers, answers, strict=True)}
    if not settings.zone_transfer:
        return data
    refused, failed = [], []
    for server, answer in zip(servers, answers, strict=True):
        if answer.rcode != "NOERROR":
            continue
        data.transfer_tried = True
        try:
            got = await transfer(server, zone_name, settings)
        except TransferRefused as exc:
            refused.append(f"{server.label}: {exc}")
            continue
        except (TransferFailed, OSError, EOFError, TimeoutError, dns.exception.DNSException) as exc:
            failed.append(f"{server.label}: {_why(exc)}")
            continue
        data.records, data.aliases = got.records, got.aliases
        data.skipped, data.skipped_detail = got.skipped, got.skipped_detail
        data.transfer_from = server.label
        return data
    data.transfer_error = "; ".join(refused + failed) or "tidak ada server yang menjawab SOA"
    data.transfer_refused = bool(refused) and not failed
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
