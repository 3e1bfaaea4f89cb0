"""Compression bombs: whatever a site stacks in Content-Encoding, a page costs at most about
`max_page_bytes` of decoded memory, it is read up to that cap, and the site is still measured.

The bombs decode to 1 GiB. The crawls that meet them run in a child process under an address-space
limit, so a crawler that inflates them fails this test cleanly instead of exhausting the machine."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import random
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.webfixtures import NOW, TZ

from checks.web import CrawlSettings, SiteSpec, crawl_sites, result_as_dict
from checks.web.decode import STEP, Decoder
from checks.web.fetch import BOMB_CHECK_BYTES, Fetcher, FetchError, make_client

try:
    import brotli
except ImportError:  # the crawler then neither asks for nor accepts br
    brotli = None

needs_brotli = pytest.mark.skipif(brotli is None, reason="brotli is not installed")

REPO = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
BOMB_BYTES = 1024 * MIB
CAP = CrawlSettings().max_page_bytes  # 2 MiB: the default cap is the one the service runs with
FRESH = (
    b"<html><head><title>OPD</title></head><body>"
    b'<div class="post"><a href="/berita/rapat-koordinasi-opd">Rapat Koordinasi OPD '
    b"Bersama Diskominfo</a> <span>20 November 2026</span></div>"
)
CHILD_AS_LIMIT = 1536 * MIB  # today's crawler reached 2.2 GB on one double-gzip page
CHILD_PEAK_RSS_MIB = 300


# --- building bombs without holding them: 1 MiB of input at a time ------------------------------


def _pieces() -> Iterator[bytes]:
    """A fresh page, then spaces up to 1 GiB: compresses like zeros, and still parses as HTML."""
    yield FRESH + b" " * (MIB - len(FRESH))
    spaces = b" " * MIB
    for _ in range(BOMB_BYTES // MIB - 1):
        yield spaces


def _raw_deflate_bomb() -> tuple[bytes, int, int]:
    """Raw deflate of `_pieces()`, with the CRC-32 and Adler-32 its gzip and zlib wrappers carry."""
    comp = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    out, crc, adler = [], 0, 1
    for piece in _pieces():
        out.append(comp.compress(piece))
        crc, adler = zlib.crc32(piece, crc), zlib.adler32(piece, adler)
    out.append(comp.flush())
    return b"".join(out), crc, adler


@pytest.fixture(scope="module")
def bombs() -> dict[str, tuple[str, bytes]]:
    """name -> (Content-Encoding, body on the wire). One deflate pass (~2 s) serves four of them."""
    raw, crc, adler = _raw_deflate_bomb()
    gz = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + raw + struct.pack("<II", crc, BOMB_BYTES % 2**32)
    out = {
        "gzip-gzip": ("gzip, gzip", gzip.compress(gz, 6)),  # the page: ~1.8 KB on the wire
        "gzip": ("gzip", gz),  # ~1 MB -> 1 GiB
        "deflate": ("deflate", b"\x78\x9c" + raw + struct.pack(">I", adler)),
        "raw-deflate": ("deflate", raw),  # what some servers send as "deflate"
    }
    if brotli is not None:
        comp = brotli.Compressor(quality=5)
        parts = [comp.process(piece) for piece in _pieces()]
        out["br"] = ("br", b"".join([*parts, comp.finish()]))
    assert len(out["gzip-gzip"][1]) < 4096 and len(gz) < 1100 * 1024
    return out


# --- a server that sends exactly the bytes and headers it is given -----------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, routes: dict[str, tuple[str, bytes]]) -> None:
        super().__init__((host, 0), _Handler)
        self.routes = routes  # path -> (Content-Encoding, body)
        self.accept_encodings: list[str] = []

    def handle_error(self, request, client_address) -> None:
        pass  # the crawler hangs up once it has read its cap: that is the point, not an error

    def url(self, path: str = "/") -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.accept_encodings.append(self.headers.get("Accept-Encoding", ""))
        route = self.server.routes.get(self.path)
        encoding, body = route or ("", b"<html><title>404</title><body>tidak ditemukan</body></html>")
        self.send_response(200 if route else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        with contextlib.suppress(ConnectionError):
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serving(sites: dict[str, dict[str, tuple[str, bytes]]]) -> Iterator[dict[str, _Server]]:
    """host -> routes, each host its own server on its own loopback address."""
    servers = {host: _Server(host, routes) for host, routes in sites.items()}
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers.values()]
    for thread in threads:
        thread.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


# --- the crawler in a child process, under an address-space limit ------------------------------

_CHILD = r"""
import asyncio, json, resource, sys, tracemalloc
from datetime import datetime

resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]),) * 2)
from checks.web import CrawlSettings, SiteSpec, crawl_sites, result_as_dict
from checks.web.fetch import BOMB_CHECK_BYTES, Fetcher, FetchError, make_client

mode, urls, now, tz = sys.argv[2], json.loads(sys.argv[3]), datetime.fromisoformat(sys.argv[4]), sys.argv[5]
settings = CrawlSettings(timeout_s=30, site_budget_s=60, backoff_s=0.05, parse_workers=0)


async def fetch_each():
    out = []
    async with make_client(settings) as client:
        fetcher = Fetcher(client, settings)
        for url in urls:
            tracemalloc.start()
            try:
                r = await fetcher.get(url, fetcher.budget())
                row = {"length": len(r.body), "truncated": r.truncated, "head": r.body[:60].decode()}
            except FetchError as exc:
                row = {"error": exc.code}
            row["peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            out.append(row)
    return out


if mode == "crawl":
    specs = [SiteSpec(url=u, timezone=tz) for u in urls]
    out = [result_as_dict(r) for r in asyncio.run(crawl_sites(specs, settings, now))]
else:
    out = asyncio.run(fetch_each())
# VmHWM, this process's own high-water mark: ru_maxrss carries the parent's RSS across fork and exec,
# so under a long test session it reported the pytest process (330 MiB), not this crawl.
with open("/proc/self/status") as status:
    hwm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"peak_rss_mib": round(hwm_kib / 1024, 1), "out": out}))
"""


def in_child(mode: str, urls: list[str]) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
        # glibc reserves 64 MiB of address space per malloc arena: keep that from eating the limit
        "MALLOC_ARENA_MAX": "2",
    }
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(CHILD_AS_LIMIT), mode, json.dumps(urls), NOW.isoformat(), TZ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=REPO,
    )
    assert proc.returncode == 0, f"crawler child failed ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_bomb_sites_are_measured_and_the_crawl_stays_small(bombs) -> None:
    sites = {f"127.0.61.{i + 1}": {"/": bomb} for i, bomb in enumerate(bombs.values())}
    sites["127.0.61.99"] = {"/": ("gzip", gzip.compress(FRESH + b"</body></html>"))}
    with serving(sites) as servers:
        got = in_child("crawl", [s.url() for s in servers.values()])
    names = [*bombs, "plain gzip"]
    summary = {n: (r["status"], r["findings"][0]["code"]) for n, r in zip(names, got["out"], strict=True)}
    # a capped page is read up to the cap, parsed, and its site measured like any other
    assert summary == dict.fromkeys(names, ("ok", "content_fresh"))
    for name, result in zip(names, got["out"], strict=True):
        assert result["bytes_read"] <= CAP + 64 * 1024, name
    assert got["peak_rss_mib"] < CHILD_PEAK_RSS_MIB


def test_a_bomb_page_costs_a_fraction_of_its_cap_not_its_size(bombs) -> None:
    with serving({"127.0.62.1": {f"/{name}": bomb for name, bomb in bombs.items()}}) as servers:
        got = in_child("fetch", [servers["127.0.62.1"].url(f"/{name}") for name in bombs])
    for name, row in zip(bombs, got["out"], strict=True):
        # Over 100:1 it is no page: read BOMB_CHECK_BYTES of it (a step more at most), not the cap.
        assert (row.get("error"), row.get("truncated")) == (None, True), name
        assert BOMB_CHECK_BYTES <= row["length"] <= BOMB_CHECK_BYTES + STEP, (name, row["length"])
        assert row["head"] == FRESH[:60].decode(), name
        # the body itself, one joining copy of it, and the decoders' small steps: never a chunk's
        # worth of 1000:1 expansion (httpx decoded each 64 KiB read whole: 64 MiB, or 1 GiB twice)
        assert row["peak"] < 2 * CAP + 2 * MIB, (name, row["peak"])
    assert got["peak_rss_mib"] < CHILD_PEAK_RSS_MIB


# --- ordinary encoded pages, in-process: these are small -------------------------------------


def _text(size: int) -> bytes:
    """Varied words, so a page spans many decoder steps and compresses like a real one."""
    rng = random.Random(7)
    words = [b"berita", b"dinas", b"kominfo", b"agenda", b"rapat", b"<p>", b"</p>", b"2026", b"OPD"]
    out = bytearray(FRESH)
    while len(out) < size:
        out += rng.choice(words) + b" " + str(rng.randrange(10**6)).encode() + b" "
    return bytes(out[:size])


def _encode(body: bytes, encoding: str) -> bytes:
    for layer in (e.strip() for e in encoding.split(",") if e.strip()):  # in the order applied
        if layer in {"gzip", "x-gzip"}:
            body = gzip.compress(body)
        elif layer == "deflate":
            body = zlib.compress(body)
        elif layer == "raw-deflate":
            comp = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            body = comp.compress(body) + comp.flush()
        elif layer == "br":
            body = brotli.compress(body)
        elif layer != "identity":
            raise AssertionError(layer)
    return body


def _fetch(server: _Server, path: str):
    settings = CrawlSettings()

    async def go():
        async with make_client(settings) as client:
            fetcher = Fetcher(client, settings)
            return await fetcher.get(server.url(path), fetcher.budget())

    return asyncio.run(go())


ENCODINGS = [
    "",
    "identity",
    "gzip",
    "x-gzip",
    "deflate",
    "raw-deflate",
    "gzip, gzip",
    "deflate, gzip",
    pytest.param("br", marks=needs_brotli),
    pytest.param("deflate, br", marks=needs_brotli),
    pytest.param("br, gzip, deflate", marks=needs_brotli),
]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_encoded_pages_decode_exactly(encoding: str) -> None:
    body = _text(700 * 1024)  # several decoder steps, below the cap
    header = encoding.replace("raw-deflate", "deflate")
    with serving({"127.0.63.1": {"/": (header, _encode(body, encoding))}}) as servers:
        response = _fetch(servers["127.0.63.1"], "/")
    assert (response.status, response.truncated, response.charset) == (200, False, "utf-8")
    assert response.body == body


def test_a_long_encoded_page_is_read_up_to_the_cap() -> None:
    body = _text(3 * CAP)
    with serving({"127.0.63.2": {"/": ("gzip, deflate", _encode(body, "gzip, deflate"))}}) as servers:
        response = _fetch(servers["127.0.63.2"], "/")
    assert response.truncated
    assert response.body == body[:CAP]


def test_the_crawler_asks_only_for_encodings_it_can_bound() -> None:
    with serving({"127.0.63.3": {"/": ("", FRESH)}}) as servers:
        _fetch(servers["127.0.63.3"], "/")
        asked = {e.strip() for e in servers["127.0.63.3"].accept_encodings[0].split(",")}
    assert asked == ({"gzip", "deflate", "br"} if brotli else {"gzip", "deflate"})


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("compress", b"\x1f\x9d\x90<html>"),  # unknown: its bytes are not the page
        ("zstd", b"(\xb5/\xfd" + b"\x00" * 40),
        ("gzip", b"\x1f\x8b\x08\x00" + b"\xff" * 200),  # broken
        ("gzip, snappy", b"<html>"),
    ],
)
def test_an_undecodable_page_is_a_fetch_problem(encoding: str, body: bytes) -> None:
    with serving({"127.0.63.4": {"/": (encoding, body)}}) as servers:
        with pytest.raises(FetchError) as caught:
            _fetch(servers["127.0.63.4"], "/")
        spec = SiteSpec(url=servers["127.0.63.4"].url(), timezone=TZ)
        (result,) = asyncio.run(crawl_sites([spec], CrawlSettings(timeout_s=5, backoff_s=0.05), NOW))
    assert caught.value.code == "bad_encoding"
    assert [f["code"] for f in result_as_dict(result)["findings"]] == ["site_unreachable"]


@pytest.mark.parametrize(
    "encoding",
    ["gzip", "raw-deflate", "deflate, gzip, deflate", pytest.param("br, gzip", marks=needs_brotli)],
)
def test_the_network_may_split_the_bytes_anywhere(encoding: str) -> None:
    """The decoder alone, fed the wire in pieces from 1 byte up and read in steps from 1 byte up."""
    rng = random.Random(encoding)
    body = _text(200 * 1024)
    wire = _encode(body, encoding)
    decoder = Decoder(encoding.replace("raw-deflate", "deflate"))
    out, offset = [], 0
    while offset < len(wire):
        size = rng.choice([1, 2, 5, 300, 4096, 65536])
        decoder.feed(wire[offset : offset + size])
        offset += size
        while piece := decoder.read(rng.choice([1, 999, STEP])):
            assert len(piece) <= 2 * STEP
            out.append(piece)
    assert b"".join(out) == body
    assert decoder.done


def test_a_very_repetitive_real_page_is_no_bomb() -> None:
    """A long table of near-identical rows (an OPD's pengumuman archive: 1.4 MiB, 13:1 in gzip)
    compresses far better than prose, and still far under 100:1: it is read whole, not cut as a bomb."""
    rows = "".join(
        f'<tr class="baris"><td>{i}</td><td><a href="/pengumuman/{i}">Pengumuman nomor {i}</a></td>'
        f"<td>{1 + i % 28} November 2026</td></tr>\n"
        for i in range(12000)
    )
    body = f"<html><body><table>{rows}</table></body></html>".encode()
    wire = gzip.compress(body)
    assert len(body) > 1024 * 1024 and 10 < len(body) / len(wire) < 100
    with serving({"127.0.63.9": {"/": ("gzip", wire)}}) as servers:
        response = _fetch(servers["127.0.63.9"], "/")
    assert (response.truncated, response.body) == (False, body)
