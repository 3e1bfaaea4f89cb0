"""Content-Encoding undone by Sigap itself, layer by layer and a bounded step at a time.

httpx decodes each network read whole through every layer before a caller can count the bytes, so a
1.8 KB "gzip, gzip" page of 1 GiB costs 1 GiB. Here each layer gives at most a step's worth of output
per call and the fetcher stops at max_page_bytes: the page costs its cap, not its size.
"""

from __future__ import annotations

import zlib

try:  # the C bindings, or the CFFI ones on PyPy: the two httpx itself looks for
    import brotli
except ImportError:
    try:
        import brotlicffi as brotli
    except ImportError:
        brotli = None
if brotli is not None and not hasattr(brotli.Decompressor(), "can_accept_more_data"):
    brotli = None  # before 1.2 a brotli call inflates its whole input: not a decoder we can bound

# Only what Decoder can undo within a bound; anything else a site sends is a fetch problem.
ACCEPT_ENCODING = "gzip, deflate, br" if brotli else "gzip, deflate"
# Decoded bytes asked of one layer at a time. The cap is checked between steps, so a page costs at
# most max_page_bytes plus one step, whatever its encodings multiply to (measured: a 1.8 KB
# "gzip, gzip" page of 1 GiB took the crawl to 2.1 GB RSS when httpx decoded each network read
# whole; now 5.4 MiB traced for the page, and the crawl stays at its 76 MiB baseline).
STEP = 64 * 1024


class Undecodable(Exception):
    """A Content-Encoding Sigap did not ask for, or a body that does not decode."""


class _Inflate:
    """gzip or deflate (zlib-wrapped or, as some servers send it, raw), at most `n` bytes a call."""

    def __init__(self, gzip: bool) -> None:
        self.name = "gzip" if gzip else "deflate"
        self.inflater = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzip else None
        self.pending = b""  # compressed input not yet inflated (zlib's unconsumed_tail)

    @property
    def done(self) -> bool:
        return self.inflater is not None and self.inflater.eof

    def feed(self, data: bytes) -> None:
        self.pending += data

    def read(self, n: int) -> bytes:
        if self.inflater is None:  # deflate: the first two bytes tell a zlib header from raw data
            if len(self.pending) < 2:
                return b""
            cmf, flg = self.pending[0], self.pending[1]
            wrapped = cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0
            self.inflater = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if self.inflater.eof:
            return b""  # bytes after the end of the stream are ignored, as httpx does
        try:
            out = self.inflater.decompress(self.pending, n)
        except zlib.error as exc:
            raise Undecodable(f"{self.name}: {exc}") from exc
        self.pending = self.inflater.unconsumed_tail
        return out


class _Brotli:
    """br, at most about `n` bytes a call (the decoder keeps the input it has not used yet)."""

    name = "br"

    def __init__(self) -> None:
        self.decompressor = brotli.Decompressor()
        self.pending = b""

    @property
    def done(self) -> bool:
        return self.decompressor.is_finished()

    def feed(self, data: bytes) -> None:
        self.pending += data

    def read(self, n: int) -> bytes:
        if self.done:
            return b""
        data = b""
        # New input only when it holds none unused; with none, it may still hold output to give.
        if self.pending and self.decompressor.can_accept_more_data():
            data, self.pending = self.pending, b""
        try:
            return self.decompressor.process(data, output_buffer_limit=n)
        except brotli.error as exc:
            raise Undecodable(f"br: {exc}") from exc


class Decoder:
    """Undo the Content-Encoding layers, the last applied first. Each read pulls at most a step
    through each layer, so no layer ever holds more than a step of what the next one expands."""

    def __init__(self, content_encoding: str) -> None:
        self.layers: list[_Inflate | _Brotli] = []
        for name in reversed([e.strip().lower() for e in content_encoding.split(",")]):
            if name in {"gzip", "x-gzip", "deflate"}:
                self.layers.append(_Inflate(gzip=name != "deflate"))
            elif name == "br" and brotli is not None:
                self.layers.append(_Brotli())
            elif name not in {"", "identity"}:
                raise Undecodable(f"unsupported Content-Encoding {name[:40]!r}")
        self.raw = b""  # no encoding: the bytes as they came

    @property
    def done(self) -> bool:
        """Nothing more can come out: a layer has ended and everything after it is drained."""
        return any(layer.done for layer in self.layers)

    @property
    def unused(self) -> int:
        """Bytes fed that the outermost layer has not taken yet: what came off the wire minus this is
        what the output so far was made from (brotli keeps input of its own, so this errs low)."""
        return len(self.layers[0].pending) if self.layers else len(self.raw)

    def feed(self, data: bytes) -> None:
        if self.layers:
            self.layers[0].feed(data)
        else:
            self.raw += data

    def read(self, n: int) -> bytes:
        if not self.layers:
            out, self.raw = self.raw[:n], self.raw[n:]
            return out
        return self._pull(len(self.layers) - 1, n)

    def _pull(self, i: int, n: int) -> bytes:
        layer = self.layers[i]
        while True:
            out = layer.read(n)
            if out or i == 0 or layer.done:
                return out
            upstream = self._pull(i - 1, STEP)
            if not upstream:
                return b""
            layer.feed(upstream)
