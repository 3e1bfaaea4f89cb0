"""SNMPv2c requests over one UDP socket per address family for a whole poll, answers routed by
request id (and checked against the address asked), with pysnmp's timeout and retry semantics: each
attempt waits `timeout` seconds, `retries` more attempts after the first, then
"No SNMP response received before timeout".
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import random
import socket
from typing import Any

from .wire import Malformed, Varbind, decode_response, encode_getbulk

TIMEOUT_TEXT = "No SNMP response received before timeout"  # pysnmp's words, kept for the findings


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, owner: V2cClient) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.owner.received(data, addr)

    def error_received(self, exc: Exception) -> None:  # an ICMP error: the request times out, as in pysnmp
        pass


class V2cClient:
    """Made for one poll (fetch.poll_all) and closed after it."""

    def __init__(self) -> None:
        self._transports: dict[int, asyncio.DatagramTransport] = {}
        self._pending: dict[int, tuple[Any, asyncio.Future[tuple[int, int, list[Varbind]]]]] = {}
        self._next_id = random.randrange(1, 1 << 30)

    async def resolve(self, host: str, port: int) -> tuple[int, Any]:
        """(family, socket address); IPv4 first, as pysnmp's UdpTransportTarget."""
        try:
            address = ipaddress.ip_address(host)  # the usual case: no resolver thread for a literal
        except ValueError:
            pass
        else:
            if address.version == 4:
                return socket.AF_INET, (host, port)
            return socket.AF_INET6, (host, port, 0, 0)
        loop = asyncio.get_running_loop()
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        found.sort(key=lambda info: info[0] != socket.AF_INET)
        return found[0][0], found[0][4]

    async def _transport(self, family: int) -> asyncio.DatagramTransport:
        if family not in self._transports:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), family=family)
            # Many devices answer into this one socket at once: room for a burst while the loop is
            # busy evaluating (the kernel caps it at net.core.rmem_max).
            with contextlib.suppress(OSError):
                transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            if family in self._transports:  # another device opened it meanwhile
                transport.close()
            else:
                self._transports[family] = transport
        return self._transports[family]

    def received(self, data: bytes, addr: Any) -> None:
        try:
            request_id, status, index, varbinds = decode_response(data)
        except (Malformed, IndexError, ValueError):
            return  # not an answer we can read: as pysnmp, the request times out
        waiting = self._pending.get(request_id)
        if waiting is None or tuple(waiting[0][:2]) != tuple(addr[:2]) or waiting[1].done():
            return  # late (a retry already answered), or from elsewhere
        waiting[1].set_result((status, index, varbinds))

    async def get_bulk(
        self,
        target: tuple[int, Any],
        community: str,
        non_repeaters: int,
        max_repetitions: int,
        oids: list[tuple[int, ...]],
        timeout: float,
        retries: int,
    ) -> tuple[int, int, list[Varbind]]:
        """(error status, error index, varbinds); TimeoutError when no attempt was answered."""
        family, addr = target
        transport = await self._transport(family)
        self._next_id = self._next_id % 0x7FFFFFFF + 1
        request_id = self._next_id
        payload = encode_getbulk(request_id, community.encode(), non_repeaters, max_repetitions, oids)
        future: asyncio.Future[tuple[int, int, list[Varbind]]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (addr, future)
        try:
            for _attempt in range(retries + 1):
                transport.sendto(payload, addr)
                try:
                    return await asyncio.wait_for(asyncio.shield(future), timeout)
                except TimeoutError:
                    continue
            raise TimeoutError(TIMEOUT_TEXT)
        finally:
            del self._pending[request_id]
            future.cancel()

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()
