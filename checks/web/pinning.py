"""Connect to the address the crawler checked, never to a second lookup of the name.

The fetcher resolves a host once, checks the address's class against the site's (addresses.py) and
then asks httpx for the URL by name. httpcore would look the name up again when it opens the
connection; a hostile DNS server answers the first lookup with a harmless address and the second with
169.254.169.254 (DNS rebinding). This network backend takes the address from the pins of the request
in flight (a context variable set around it) and connects there; the name stays in the URL, the Host
header, the TLS SNI and the pool key, so many OPD sites on one server keep their own connections and
each is asked over its own name.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpcore
import httpx

# host -> the checked address, for the request this task is making.
_PINS: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("sigap_pins", default=None)


@contextlib.contextmanager
def pinned(pins: Mapping[str, str]) -> Iterator[None]:
    token = _PINS.set(pins)
    try:
        yield
    finally:
        _PINS.reset(token)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        pins = _PINS.get()
        if pins is None or host not in pins:
            # Every fetch of the crawler pins its host first; a connection without a pin is a bug,
            # and refused rather than resolved behind the address check's back.
            raise httpcore.ConnectError(f"no checked address for {host[:100]}")
        return await self.inner.connect_tcp(
            pins[host], port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not for monitored sites")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def pinned_transport(**kwargs: Any) -> httpx.AsyncHTTPTransport:
    """httpx's own transport with the pool's network backend wrapped (httpx has no parameter for it)."""
    transport = httpx.AsyncHTTPTransport(**kwargs)
    pool = transport._pool  # httpcore.AsyncConnectionPool: no proxy is configured for the crawl
    if not isinstance(pool, httpcore.AsyncConnectionPool) or not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpx/httpcore changed: cannot pin crawl connections to checked addresses")
    pool._network_backend = PinnedBackend(pool._network_backend)
    return transport
