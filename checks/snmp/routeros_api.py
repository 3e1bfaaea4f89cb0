"""The RouterOS API protocol (RouterOS 6 and later; TCP 8728, TLS 8729): a small async client of our own,
enough to log in and print a menu. (librouteros is GPL-2.0-or-later; this project's licence rules it
out, and the protocol is a page long.)

A sentence is a list of words ending with an empty word; a word is its length then its bytes. The
length is 1 to 5 bytes: < 0x80 in one, < 0x4000 in two with 0x80 set, < 0x200000 in three with 0xC0
set, < 0x10000000 in four with 0xE0 set, else 0xF0 and four bytes. Replies start with "!re" (a row),
"!done", "!trap" (an error, then "!done") or "!fatal" (then the router closes).

Login, RouterOS 6.43 and later: /login =name= =password= (the password in clear: use api-ssl).
Before 6.43 the router answers with `=ret=CHALLENGE` and wants `=response=00` + MD5(0x00, password,
challenge) in hex.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl

_MAX_WORD = 1 << 20  # a router's word is a name or a value; a megabyte is a broken or hostile peer
_MAX_ROWS = 100_000


class ApiError(Exception):
    """The router refused (a !trap or !fatal), or spoke something that is not the API protocol."""


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def encode_sentence(words: list[str]) -> bytes:
    out = bytearray()
    for word in words:
        data = word.encode("utf-8")
        out += encode_length(len(data)) + data
    return bytes(out + b"\x00")


async def _read_length(reader: asyncio.StreamReader) -> int:
    first = (await reader.readexactly(1))[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return ((first & 0x3F) << 8) | (await reader.readexactly(1))[0]
    if first < 0xE0:
        return ((first & 0x1F) << 16) | int.from_bytes(await reader.readexactly(2), "big")
    if first < 0xF0:
        return ((first & 0x0F) << 24) | int.from_bytes(await reader.readexactly(3), "big")
    if first == 0xF0:
        return int.from_bytes(await reader.readexactly(4), "big")
    raise ApiError(f"not the RouterOS API protocol (length byte 0x{first:02x})")


async def read_sentence(reader: asyncio.StreamReader) -> list[str]:
    words = []
    while True:
        n = await _read_length(reader)
        if n == 0:
            return words
        if n > _MAX_WORD:
            raise ApiError(f"a word of {n} bytes: not a RouterOS answer")
        words.append((await reader.readexactly(n)).decode("utf-8", "replace"))


def attributes(words: list[str]) -> dict[str, str]:
    """ "=name=value" words as a dict (a value may itself contain "=")."""
    out = {}
    for word in words:
        if word.startswith("="):
            key, _, value = word[1:].partition("=")
            out[key] = value
    return out


class ApiClient:
    """One connection: `async with ApiClient(host, port, tls) as api: await api.login(...)`."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> ApiClient:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.tls, server_hostname=self.host if self.tls else None
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await self.writer.wait_closed()

    async def talk(self, words: list[str]) -> list[dict[str, str]]:
        """Send one command; its rows (!re), or ApiError with the router's message."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(encode_sentence(words))
        await self.writer.drain()
        rows: list[dict[str, str]] = []
        trap: str | None = None
        while True:
            sentence = await read_sentence(self.reader)
            if not sentence:
                continue
            kind, attrs = sentence[0], attributes(sentence[1:])
            if kind == "!re":
                if len(rows) >= _MAX_ROWS:
                    raise ApiError(f"more than {_MAX_ROWS} rows")
                rows.append(attrs)
            elif kind == "!trap":
                trap = attrs.get("message") or "trap"
            elif kind == "!fatal":
                raise ApiError(" ".join(sentence[1:]) or "fatal")
            elif kind == "!done":
                if trap is not None:
                    raise ApiError(trap)
                return rows or [attrs]
            else:
                raise ApiError(f"unexpected reply {kind[:40]!r}")

    async def login(self, username: str, password: str) -> None:
        (done,) = await self.talk(["/login", f"=name={username}", f"=password={password}"])
        challenge = done.get("ret")
        if challenge:  # RouterOS before 6.43
            try:
                raw = bytes.fromhex(challenge)
            except ValueError:
                raise ApiError("login challenge is not hex") from None
            digest = hashlib.md5(b"\x00" + password.encode("utf-8") + raw, usedforsecurity=False).hexdigest()
            await self.talk(["/login", f"=name={username}", f"=response=00{digest}"])

    async def print(self, menu: str, proplist: list[str]) -> list[dict[str, str]]:
        rows = await self.talk([f"{menu}/print", f"=.proplist={','.join(proplist)}"])
        return [r for r in rows if r]  # "!done" alone on an empty menu
