"""The only part of the web check that does I/O: polite, bounded HTTP over one shared client."""

from __future__ import annotations

import asyncio
import ipaddress
import random
import socket
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from .addresses import AddressClass, allowed, classify
from .decode import ACCEPT_ENCODING, STEP, Decoder, Undecodable
from .model import CrawlSettings
from .pinning import pinned, pinned_transport
from .urls import bounded, joined, url_problem

_TRANSIENT_STATUS = {429, 502, 503, 504}
# A body that inflates more than BOMB_RATIO times its bytes on the wire is a compression bomb, not a
# page (real HTML gzips 3-10x, very repetitive markup 30x): read BOMB_CHECK_BYTES of it, not the whole
# max_page_bytes. With 20 bombs among 1,000 sites, reading each to its 2 MiB cap and parsing it raised
# the crawl's peak RSS from 102 to 145 MiB and a parse worker's from 52 to 239 MiB.
BOMB_RATIO = 100
BOMB_CHECK_BYTES = 256 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    body: bytes
    truncated: bool  # the page was longer than max_page_bytes and was read only up to it
    charset: str | None  # as the Content-Type header declares it (it may be wrong: parse.decode_html)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class FetchError(Exception):
    """Why a URL could not be read. `code` is a finding code."""

    def __init__(
        self, code: str, detail: str, url: str, status: int | None = None, target: str | None = None
    ) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.url = url
        self.status = status
        self.target = None if target is None else _short(target)  # where a refused redirect led


def _short(url: str) -> str:
    """A site-given address as a finding's parameter: one line, at most 300 characters."""
    url = url.replace("\r", " ").replace("\n", " ")
    return url if len(url) <= 300 else url[:299] + "…"


class BudgetExceeded(Exception):
    pass


@dataclass
class SiteBudget:
    """What one site may still cost: requests and seconds. Shared by every fetch for the site."""

    deadline: float  # monotonic
    requests_left: int
    requests: int = 0
    bytes_read: int = 0
    # The site's own host and the class of its first resolved address: what it may redirect to.
    site_host: str | None = None
    site_class: AddressClass | None = None
    # host -> the address checked and connected to, resolved once per site: no second lookup may
    # answer differently (DNS rebinding) between the check and the connection.
    pinned: dict[str, str] = field(default_factory=dict)

    def remaining_s(self) -> float:
        return self.deadline - time.monotonic()

    def take(self) -> None:
        if self.requests_left <= 0 or self.remaining_s() <= 0:
            raise BudgetExceeded
        self.requests_left -= 1
        self.requests += 1


@dataclass
class Fetcher:
    """Global and per-host concurrency, per-request timeout, byte cap, manual redirects (so a loop
    is named as one), retries with backoff for transient errors only, and robots.txt."""

    client: httpx.AsyncClient
    settings: CrawlSettings
    _global: asyncio.Semaphore = field(init=False)
    _hosts: defaultdict[str, asyncio.Semaphore] = field(init=False)
    _servers: defaultdict[str, asyncio.Semaphore] = field(init=False)

    def __post_init__(self) -> None:
        self._global = asyncio.Semaphore(self.settings.concurrency)
        self._hosts = defaultdict(lambda: asyncio.Semaphore(self.settings.per_host))
        self._servers = defaultdict(lambda: asyncio.Semaphore(self.settings.per_server))

    def budget(self) -> SiteBudget:
        return SiteBudget(time.monotonic() + self.settings.site_budget_s, self.settings.max_requests_per_site)

    async def get(
        self,
        url: str,
        budget: SiteBudget,
        *,
        max_bytes: int | None = None,
        robots: RobotFileParser | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """`headers` are sent beside the client's own on every hop: the injection watch's second views
        (a Googlebot User-Agent, a Google Referer). robots.txt is read for Sigap's own agent."""
        problem = url_problem(url)
        if problem:
            raise FetchError("invalid_url", problem, bounded(url))
        seen = {url}
        current = url
        previous: str | None = None
        for _hop in range(self.settings.max_redirects + 1):
            if robots is not None and not robots.can_fetch(self.settings.user_agent, current):
                raise FetchError("robots_disallowed", "robots.txt melarang", current)
            await self._address(current, budget, previous)  # checked and pinned for the connection
            response = await self._get_retrying(
                current, budget, max_bytes or self.settings.max_page_bytes, headers
            )
            if response.status not in _REDIRECTS:
                return response
            location = response.headers.get("location")
            if not location:
                return response
            nxt = joined(current, location)
            if nxt is None or url_problem(nxt):
                raise FetchError(
                    "redirect_invalid", f"redirect to {location[:200]!r}", current, target=location
                )
            if nxt in seen:
                raise FetchError("redirect_loop", f"{current} -> {nxt}", url)
            seen.add(nxt)
            previous, current = current, nxt
        raise FetchError("too_many_redirects", f"more than {self.settings.max_redirects} redirects", url)

    async def _address(self, url: str, budget: SiteBudget, referrer: str | None) -> str:
        """The address to connect to for `url`, checked against the site's own address class.

        The first host a site's crawl resolves is the site's own (the operator configured it: any
        class is allowed, an OPD server may sit on the office LAN); every other host must be of a
        class `allowed` for the site. `referrer` is the URL that redirected here, if any."""
        host = urlsplit(url).hostname or ""
        address = budget.pinned.get(host)
        if address is None:
            address = await self._resolve(host, url, budget)
            budget.pinned[host] = address
        target = classify(address)
        if budget.site_class is None:
            budget.site_host, budget.site_class = host, target
        elif host != budget.site_host and not allowed(budget.site_class, target):
            detail = f"{target.replace('_', '-')} address {address} (site is {budget.site_class})"
            if referrer is not None:
                raise FetchError("redirect_refused", detail, referrer, target=url)
            raise FetchError("address_refused", detail, bounded(url), target=url)
        return address

    async def _resolve(self, host: str, url: str, budget: SiteBudget) -> str:
        """The first address of `host`; an IP literal is its own address, without a lookup."""
        try:
            return str(ipaddress.ip_address(host.split("%", 1)[0]))
        except ValueError:
            pass
        timeout = min(self.settings.timeout_s, budget.remaining_s())
        if timeout <= 0:
            raise BudgetExceeded
        port = urlsplit(url).port or (443 if url.startswith("https:") else 80)
        try:
            async with asyncio.timeout(timeout):
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise FetchError("dns_failed", f"no DNS answer for {host[:100]} in {timeout:.0f} s", url) from exc
        except (OSError, UnicodeError) as exc:
            raise FetchError("dns_failed", f"{host[:100]}: {exc}", url) from exc
        if not infos:
            raise FetchError("dns_failed", f"{host[:100]}: no address", url)
        return str(infos[0][4][0])

    async def _get_retrying(
        self, url: str, budget: SiteBudget, max_bytes: int, headers: Mapping[str, str] | None = None
    ) -> Response:
        attempt = 0
        while True:
            try:
                response = await self._get_once(url, budget, max_bytes, headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                if attempt >= self.settings.retries:
                    raise _classify(exc, url) from exc
                delay = self._backoff(attempt)
            else:
                if response.status not in _TRANSIENT_STATUS or attempt >= self.settings.retries:
                    return response
                delay = max(self._backoff(attempt), _retry_after(response) or 0.0)
            if delay >= budget.remaining_s():
                raise BudgetExceeded
            attempt += 1
            await asyncio.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff_s * (2**attempt)
        return base * (0.5 + random.random())  # jitter: many sites of one host do not retry in step

    async def _get_once(
        self, url: str, budget: SiteBudget, max_bytes: int, headers: Mapping[str, str] | None = None
    ) -> Response:
        budget.take()
        host = urlsplit(url).hostname or ""
        timeout = min(self.settings.timeout_s, budget.remaining_s())
        if timeout <= 0:
            raise BudgetExceeded
        # Host slot, then the server's, then a global one: a request queued behind its host or its
        # server (shared hosting: forty OPD subdomains on one address) holds no slot others could use.
        async with self._hosts[host], self._servers[budget.pinned.get(host, host)], self._global:
            try:
                # httpx's timeouts are per read; this one bounds the whole request, so a server that
                # trickles a byte a second cannot hold a slot for minutes.
                async with asyncio.timeout(timeout):
                    return await self._stream(url, budget, max_bytes, headers)
            except TimeoutError as exc:
                raise FetchError("timeout", f"no complete answer in {timeout:.0f} s", url) from exc
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError):
                raise
            except Undecodable as exc:
                raise FetchError("bad_encoding", str(exc), url) from exc
            except httpx.InvalidURL as exc:  # not an httpx.HTTPError
                raise FetchError("invalid_url", str(exc), url) from exc
            except httpx.HTTPError as exc:
                raise _classify(exc, url) from exc

    async def _stream(
        self, url: str, budget: SiteBudget, max_bytes: int, extra: Mapping[str, str] | None = None
    ) -> Response:
        # By name (Host header, TLS SNI and the connection pool are the name's), connected to the
        # address that was checked: the pinning backend never lets httpcore look the name up again.
        headers = {**(extra or {}), "Accept-Encoding": ACCEPT_ENCODING}
        with pinned(budget.pinned):
            async with self.client.stream("GET", url, headers=headers, follow_redirects=False) as r:
                return await self._read(url, r, budget, max_bytes)

    async def _read(self, url: str, r: httpx.Response, budget: SiteBudget, max_bytes: int) -> Response:
        # Raw bytes, decoded here step by step: httpx would decode a whole network read at once.
        decoder = Decoder(r.headers.get("content-encoding", ""))
        chunks: list[bytes] = []
        size = wire = 0
        bomb = False
        async for raw in r.aiter_raw():
            decoder.feed(raw)
            wire += len(raw)
            while size < max_bytes and (chunk := decoder.read(min(STEP, max_bytes - size))):
                chunks.append(chunk)
                size += len(chunk)
                if size >= BOMB_CHECK_BYTES and size > BOMB_RATIO * max(wire - decoder.unused, 1):
                    bomb = True
                    break
            if size >= max_bytes or decoder.done or bomb:
                break
        truncated = size >= max_bytes or bomb
        body = b"".join(chunks)
        del chunks
        if len(body) > max_bytes:
            body = body[:max_bytes]
        budget.bytes_read += len(body)
        return Response(url, r.status_code, r.headers, body, truncated, r.charset_encoding)

    async def robots(self, home: str, budget: SiteBudget) -> RobotFileParser:
        """robots.txt as RFC 9309 reads it: 4xx means no rules, a server error means stay out."""
        url = urljoin(home, "/robots.txt")
        parser = RobotFileParser(url)
        try:
            response = await self.get(url, budget, max_bytes=512 * 1024)
        except FetchError as exc:
            if exc.code in {"timeout", "connect_failed", "dns_failed", "tls_failed"}:
                raise
            parser.parse([])
            return parser
        if response.status >= 500:
            parser.disallow_all = True
        elif response.status >= 400 or "html" in response.content_type:
            parser.parse([])  # a soft-404 page served as robots.txt is no robots.txt
        else:
            parser.parse(response.body.decode("utf-8", "replace").splitlines())
        return parser


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value), 60.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(60.0, when.timestamp() - time.time()))


def _classify(exc: Exception, url: str) -> FetchError:
    text = str(exc) or type(exc).__name__
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        return FetchError("timeout", text, url)
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return FetchError("tls_failed", text, url)
    if "name or service not known" in lowered or "nodename" in lowered or "getaddrinfo" in lowered:
        return FetchError("dns_failed", text, url)
    if isinstance(exc, httpx.ConnectError):
        return FetchError("connect_failed", text, url)
    return FetchError("protocol_error", text, url)


def make_client(settings: CrawlSettings) -> httpx.AsyncClient:
    """The one client for a whole crawl: connection reuse across a site's pages, a clear User-Agent."""
    # Few idle connections: httpcore scans its whole pool on every request, and with 1,000 sites a
    # large keep-alive pool cost more CPU than the reconnects it saves (bench: 50 -> 43 ms a site).
    # A site's own sequential requests still reuse their connection.
    limits = httpx.Limits(
        max_connections=settings.concurrency, max_keepalive_connections=min(settings.concurrency, 16)
    )
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept-Language": "id,en;q=0.5"},
        timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False,
        # Government sites commonly serve expired or self-signed certificates; freshness is still
        # measurable, and certificate expiry is the TLS check's job.
        transport=pinned_transport(limits=limits, verify=False),
    )
