"""Reading a MikroTik's queue limits (max-limit and limit-at are not in SNMP): the REST API of RouterOS 7
(`https://router`, GET /rest/queue/simple and /rest/queue/tree, Basic auth) or the API protocol of
RouterOS 6 (`api-ssl://router` on 8729, `api://router` on 8728; routeros_api.py). I/O only: the
objects come back as RouterOS wrote them (every value a string), queues.py parses them.

TLS: verified unless `verify` is false, which the operator says explicitly. `ca_file` is the office CA
or the router's own certificate: a pinned certificate is trusted as it is (partial chain), and the
address in the URL must still be one the certificate names. A failure is a result with its reason,
never an exception; the password is in no message.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any
from urllib.parse import urlsplit

from .model import RouterOsApi, RouterOsLimits
from .routeros_api import ApiClient, ApiError

SIMPLE_FIELDS = [".id", "name", "target", "max-limit", "limit-at", "disabled"]
TREE_FIELDS = [".id", "name", "parent", "packet-mark", "max-limit", "limit-at", "disabled"]
SCHEMES = {"https": 443, "api": 8728, "api-ssl": 8729}
_MAX_BODY = 16 << 20  # 16 MiB: some 40,000 queues; more is not a RouterOS answer
_DETAIL_CHARS = 200


def tls_context(api: RouterOsApi) -> ssl.SSLContext:
    if not api.verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=api.ca_file)  # only that file, or the system's store
    if api.ca_file:
        # The router's own (self-signed or office-issued) certificate, pinned: trusted by itself.
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"


def _why(exc: BaseException) -> str:
    """What went wrong, in a line: a certificate the router's TLS could not be trusted with is said as
    such (httpx wraps ssl's error in its own ConnectError), a timeout as a timeout."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    seen: BaseException | None = exc
    for _ in range(8):  # down the chain of causes, bounded
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return _short(f"TLS: certificate verify failed: {seen.verify_message or seen}")
        if isinstance(seen, ssl.SSLError):
            return _short(f"TLS: {seen.reason or seen}")
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, TimeoutError):
        return "timeout"
    return _short(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


async def read_limits(api: RouterOsApi, timeout_s: float) -> RouterOsLimits:
    """The device's simple and tree queues as the API lists them, or the reason they could not be."""
    scheme = urlsplit(api.url).scheme
    kind = "rest" if scheme == "https" else "api"
    try:
        async with asyncio.timeout(timeout_s):
            if kind == "rest":
                return await _read_rest(api, timeout_s)
            return await _read_api(api, scheme)
    except ApiError as exc:
        return RouterOsLimits(kind, error=_short(f"API: {exc}"))
    except Exception as exc:  # the network, TLS, a broken answer: the reason, and the SNMP part stands
        return RouterOsLimits(kind, error=_why(exc))


async def _read_api(api: RouterOsApi, scheme: str) -> RouterOsLimits:
    parts = urlsplit(api.url)
    host, port = parts.hostname or "", parts.port or SCHEMES[scheme]
    async with ApiClient(host, port, tls_context(api) if scheme == "api-ssl" else None) as client:
        await client.login(api.username, api.password)
        simple = await client.print("/queue/simple", SIMPLE_FIELDS)
        tree = await client.print("/queue/tree", TREE_FIELDS)
    return RouterOsLimits("api", simple=simple, tree=tree)


async def _read_rest(api: RouterOsApi, timeout_s: float) -> RouterOsLimits:
    import httpx  # only a poll needs it: the config and the CLI start without it

    base = api.url.rstrip("/")
    async with httpx.AsyncClient(
        verify=tls_context(api),
        auth=httpx.BasicAuth(api.username, api.password),
        timeout=timeout_s,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    ) as client:
        simple = await _get_menu(client, f"{base}/rest/queue/simple", SIMPLE_FIELDS)
        if isinstance(simple, str):
            return RouterOsLimits("rest", error=simple)
        tree = await _get_menu(client, f"{base}/rest/queue/tree", TREE_FIELDS)
        if isinstance(tree, str):
            return RouterOsLimits("rest", error=tree)
    return RouterOsLimits("rest", simple=simple, tree=tree)


async def _get_menu(client: Any, url: str, fields: list[str]) -> list[dict[str, str]] | str:
    """A menu's objects, or what was wrong with the answer."""
    # Literal commas, as RouterOS's own examples write the field list (a comma needs no escaping).
    async with client.stream("GET", f"{url}?.proplist={','.join(fields)}") as reply:
        body = bytearray()
        async for chunk in reply.aiter_bytes():
            body += chunk
            if len(body) > _MAX_BODY:
                return f"{url}: answer over {_MAX_BODY >> 20} MiB"
        status = reply.status_code
    if status == 401:
        return "HTTP 401: login refused (user name or password)"
    try:
        data = json.loads(bytes(body))
    except ValueError:
        return f"HTTP {status}: not JSON" if status == 200 else f"HTTP {status}"
    if status != 200:
        message = data.get("message") or data.get("detail") if isinstance(data, dict) else None
        return _short(f"HTTP {status}: {message}" if message else f"HTTP {status}")
    if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
        return "not a RouterOS menu (a JSON array of objects expected)"
    return [{str(k): str(v) for k, v in o.items()} for o in data]
