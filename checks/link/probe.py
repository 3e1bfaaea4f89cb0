"""The only part of link monitoring that does I/O: ICMP echo, TCP connect and HTTP probes.

ICMP goes through one socket per address family for the whole run, shared by every target: a raw
socket where the process has CAP_NET_RAW, else an unprivileged ping socket where
net.ipv4.ping_group_range allows it, else the probe falls back to a TCP connect (a refused
connection still proves the link carries packets).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import socket
import struct
import time
from collections.abc import Iterable

import httpx

from ..finding import internal_error
from .model import LinkSettings, LinkTarget, ProbeResult

_FALLBACK_PORTS = (80, 443, 22)
log = logging.getLogger("sigap.checks.link")


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


class Pinger:
    """ICMP echo for many targets at once over one socket per family, replies matched by sequence."""

    def __init__(self) -> None:
        self.ident = os.getpid() & 0xFFFF
        self._socks: dict[int, tuple[socket.socket, bool] | None] = {}
        self._waiting: dict[tuple[int, int], tuple[asyncio.Future[float], float, str]] = {}
        self._seq = 0
        self.mode: str | None = None  # raw | dgram | None (not permitted)

    def _open(self, family: int) -> tuple[socket.socket, bool] | None:
        if family in self._socks:
            return self._socks[family]
        proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
        opened = None
        for kind, raw in ((socket.SOCK_RAW, True), (socket.SOCK_DGRAM, False)):
            try:
                sock = socket.socket(family, kind, proto)
            except (PermissionError, OSError):
                continue
            sock.setblocking(False)
            asyncio.get_running_loop().add_reader(sock.fileno(), self._read, sock, family, raw)
            opened = (sock, raw)
            self.mode = "raw" if raw else "dgram"
            break
        self._socks[family] = opened
        return opened

    def available(self, family: int = socket.AF_INET) -> bool:
        return self._open(family) is not None

    def _read(self, sock: socket.socket, family: int, raw: bool) -> None:
        now = time.perf_counter()
        for _ in range(256):  # drain what is there, then give the loop back
            try:
                data, addr = sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if family == socket.AF_INET and raw:
                data = data[(data[0] & 0x0F) * 4 :]  # raw IPv4 sockets include the IP header
            if len(data) < 8:
                continue
            icmp_type, _code, _sum, ident, seq = struct.unpack("!BBHHH", data[:8])
            if icmp_type not in (0, 129):  # echo reply (v4, v6)
                continue
            if raw and ident != self.ident:
                continue  # another program's ping; ping sockets only ever see their own
            entry = self._waiting.get((family, seq))
            if entry is None:
                continue
            future, sent_at, host = entry
            if addr[0] != host and ipaddress.ip_address(addr[0]) != ipaddress.ip_address(host):
                continue
            if not future.done():
                future.set_result((now - sent_at) * 1000)

    async def ping(self, address: str, timeout_s: float) -> float | None:
        """RTT in ms, or None when no reply came in time."""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        opened = self._open(family)
        if opened is None:
            raise PermissionError("ICMP not permitted")
        sock, _raw = opened
        self._seq = (self._seq + 1) & 0xFFFF
        while (family, self._seq) in self._waiting:
            self._seq = (self._seq + 1) & 0xFFFF
        seq = self._seq
        echo = 8 if family == socket.AF_INET else 128
        payload = b"sigap-link-probe"
        header = struct.pack("!BBHHH", echo, 0, 0, self.ident, seq)
        # ICMPv6 checksums are the kernel's job; ICMPv4 ones are ours on raw sockets.
        checksum = _checksum(header + payload) if family == socket.AF_INET else 0
        packet = struct.pack("!BBHHH", echo, 0, checksum, self.ident, seq) + payload
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[(family, seq)] = (future, time.perf_counter(), address)
        try:
            sock.sendto(packet, (address, 0))
            async with asyncio.timeout(timeout_s):
                return await future
        except (TimeoutError, OSError):
            return None
        finally:
            self._waiting.pop((family, seq), None)

    def close(self) -> None:
        loop = asyncio.get_running_loop()
        for opened in self._socks.values():
            if opened:
                loop.remove_reader(opened[0].fileno())
                opened[0].close()
        self._socks.clear()


async def tcp_connect(host: str, port: int, timeout_s: float, *, refused_is_reply: bool) -> float | None:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(host, port)
    except ConnectionRefusedError:
        # The host answered with a reset: the link works even if the service does not.
        return (time.perf_counter() - started) * 1000 if refused_is_reply else None
    except (TimeoutError, OSError):
        return None
    rtt = (time.perf_counter() - started) * 1000
    writer.close()
    return rtt


async def http_get(client: httpx.AsyncClient, url: str, timeout_s: float) -> float | None:
    started = time.perf_counter()
    try:
        response = await client.get(url, timeout=timeout_s)
    except httpx.HTTPError:
        return None
    return (time.perf_counter() - started) * 1000 if response.status_code < 500 else None


async def _resolve(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM)
        return infos[0][4][0]


async def probe_target(
    target: LinkTarget,
    settings: LinkSettings,
    pinger: Pinger,
    client: httpx.AsyncClient | None,
) -> ProbeResult:
    """`settings.probes` probes, `probe_interval_s` apart; loss and RTT from what came back."""
    method = target.method
    try:
        address = await _resolve(target.host) if method != "http" else target.host
    except OSError as exc:
        return ProbeResult(
            sent=settings.probes, received=0, method=method, error=f"nama tidak dikenal: {exc}"
        )
    if method == "icmp" and not pinger.available(socket.AF_INET6 if ":" in address else socket.AF_INET):
        method = "tcp"  # no ICMP for this process: a TCP handshake still measures the link
    rtts: list[float] = []
    for i in range(settings.probes):
        if i:
            await asyncio.sleep(settings.probe_interval_s)
        if method == "icmp":
            rtt = await pinger.ping(address, settings.timeout_s)
        elif method == "tcp":
            if target.port is not None:
                rtt = await tcp_connect(address, target.port, settings.timeout_s, refused_is_reply=False)
            else:
                rtt = await _first_port(address, settings.timeout_s)
        else:
            assert client is not None
            rtt = await http_get(client, target.url or f"http://{target.host}/", settings.timeout_s)
        if rtt is not None:
            rtts.append(rtt)
    label = f"tcp/{target.port}" if method == "tcp" and target.port else method
    return ProbeResult(sent=settings.probes, received=len(rtts), rtts_ms=rtts, method=label)


async def _first_port(address: str, timeout_s: float) -> float | None:
    for port in _FALLBACK_PORTS:  # any answer, even a reset, proves the path
        rtt = await tcp_connect(address, port, timeout_s, refused_is_reply=True)
        if rtt is not None:
            return rtt
    return None


async def probe_all(
    targets: Iterable[LinkTarget], settings: LinkSettings, client: httpx.AsyncClient | None = None
) -> list[ProbeResult]:
    targets = list(targets)
    pinger = Pinger()
    own_client = client is None and any(t.method == "http" for t in targets)
    if own_client:
        client = httpx.AsyncClient(verify=False, follow_redirects=True)
    gate = asyncio.Semaphore(settings.concurrency)

    async def one(target: LinkTarget) -> ProbeResult:
        async with gate:
            try:
                return await probe_target(target, settings, pinger, client)
            except Exception as exc:  # a bug on one link: UNKNOWN for it, the others are probed
                failure = internal_error(exc, log, target.id)
                return ProbeResult(sent=0, received=0, method=target.method, failure=failure)

    try:
        return list(await asyncio.gather(*(one(t) for t in targets)))
    finally:
        pinger.close()
        if own_client and client is not None:
            await client.aclose()
