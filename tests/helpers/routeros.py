"""Fake RouterOS APIs on loopback, with certificates made in the test: the REST API of RouterOS 7
(HTTPS, Basic auth, GET /rest/queue/simple and /rest/queue/tree, `.proplist`) and the API protocol of
RouterOS 6 (TCP, optionally TLS; /login plain or with the pre-6.43 MD5 challenge; /queue/.../print).

What they answer follows shared/knowledge/mikrotik-queues.md: every value a string, max-limit read back
in bits per second ("upload/download"), 401 `{"error":401,"message":"Unauthorized"}` on a bad login,
400 with `detail` on an unknown path. Both run in a thread of the test process and are stopped by it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization

from .tlsserver import Issuer, pem

USER, PASSWORD = "sigap-ro", "rahasia-uji-123"


class Certificates:
    """An office CA, a leaf for 127.0.0.1 it signed, and the files a server and a client load."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="sigap-routeros-tls-"))
        self.ca = Issuer("Diskominfo Uji CA")
        self.leaf, key = self.ca.leaf(["127.0.0.1"], days_left=300)
        self.other_ca = Issuer("Bukan CA kantor")
        (self.dir / "ca.pem").write_bytes(pem(self.ca.cert))
        (self.dir / "leaf.pem").write_bytes(pem(self.leaf))  # the router's own certificate, pinned
        (self.dir / "other-ca.pem").write_bytes(pem(self.other_ca.cert))
        (self.dir / "chain.pem").write_bytes(pem(self.leaf) + pem(self.ca.cert))
        (self.dir / "key.pem").write_bytes(
            key.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    @property
    def ca_file(self) -> str:
        return str(self.dir / "ca.pem")

    @property
    def pinned_file(self) -> str:
        return str(self.dir / "leaf.pem")

    @property
    def wrong_ca_file(self) -> str:
        return str(self.dir / "other-ca.pem")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.dir / "chain.pem", self.dir / "key.pem")
        return context


class RouterState:
    """What the fake router holds: its queues as RouterOS lists them, the login, the requests seen."""

    def __init__(self, simple: list[dict[str, str]], tree: list[dict[str, str]]) -> None:
        self.menus = {"queue/simple": simple, "queue/tree": tree}
        self.user, self.password = USER, PASSWORD
        self.requests: list[str] = []
        self.fail_status: int | None = None  # answer every request with this status

    def rows(self, menu: str, proplist: str | None) -> list[dict[str, str]] | None:
        if menu not in self.menus:
            return None
        fields = proplist.split(",") if proplist else None
        return [{k: v for k, v in o.items() if fields is None or k in fields} for o in self.menus[menu]]


class FakeRest:
    """RouterOS 7's REST API on https://127.0.0.1:PORT."""

    def __init__(self, state: RouterState, certs: Certificates) -> None:
        self.state = state
        handler = _rest_handler(state)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.socket = certs.server_context().wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1})
        self.thread.daemon = True
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _rest_handler(state: RouterState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            state.requests.append(self.path)
            expected = base64.b64encode(f"{state.user}:{state.password}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._send(401, {"error": 401, "message": "Unauthorized"})
                return
            if state.fail_status:
                self._send(
                    state.fail_status, {"error": state.fail_status, "message": "Internal Server Error"}
                )
                return
            parts = urlsplit(self.path)
            menu = parts.path.removeprefix("/rest/").strip("/")
            proplist = parse_qs(parts.query).get(".proplist", [None])[0]
            rows = state.rows(menu, proplist) if parts.path.startswith("/rest/") else None
            if rows is None:
                self._send(400, {"error": 400, "message": "Bad Request", "detail": "no such command"})
                return
            self._send(200, rows)

    return Handler


# --- the API protocol (RouterOS 6), the server's side of checks/snmp/routeros_api.py


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def _sentence(words: list[str]) -> bytes:
    return b"".join(_length(len(w.encode())) + w.encode() for w in words) + b"\x00"


def _read_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_word_length(conn: socket.socket) -> int:
    first = _read_exactly(conn, 1)[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return ((first & 0x3F) << 8) | _read_exactly(conn, 1)[0]
    if first < 0xE0:
        return ((first & 0x1F) << 16) | int.from_bytes(_read_exactly(conn, 2), "big")
    if first < 0xF0:
        return ((first & 0x0F) << 24) | int.from_bytes(_read_exactly(conn, 3), "big")
    return int.from_bytes(_read_exactly(conn, 4), "big")


def _read_sentence(conn: socket.socket) -> list[str]:
    words = []
    while n := _read_word_length(conn):
        words.append(_read_exactly(conn, n).decode())
    return words


class FakeApi:
    """RouterOS 6's API on 127.0.0.1:PORT; `challenge=True` answers /login as before 6.43."""

    def __init__(self, state: RouterState, *, tls: ssl.SSLContext | None = None, challenge: bool = False):
        self.state, self.tls, self.challenge = state, tls, challenge
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, raw: socket.socket) -> None:
        raw.settimeout(5)
        conn = raw
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(raw, server_side=True)
            self._talk(conn)
        except (OSError, ssl.SSLError, ConnectionError):
            pass
        finally:
            conn.close()

    def _talk(self, conn: socket.socket) -> None:
        logged_in = False
        nonce = bytes.fromhex("5e1f0c0ffee0c0dedeadbeef00112233")
        while True:
            words = _read_sentence(conn)
            if not words:
                continue
            command, attrs = words[0], dict(w[1:].split("=", 1) for w in words[1:] if w.startswith("="))
            self.state.requests.append(command)
            if command == "/login":
                if self.challenge and "response" not in attrs:
                    conn.sendall(_sentence(["!done", f"=ret={nonce.hex()}"]))
                    continue
                if self.challenge:
                    digest = hashlib.md5(b"\x00" + self.state.password.encode() + nonce).hexdigest()
                    good = attrs.get("response") == "00" + digest
                else:
                    good = attrs.get("password") == self.state.password
                if attrs.get("name") != self.state.user or not good:
                    conn.sendall(_sentence(["!trap", "=message=invalid user name or password (6)"]))
                    conn.sendall(_sentence(["!done"]))
                    continue
                logged_in = True
                conn.sendall(_sentence(["!done"]))
            elif not logged_in:
                conn.sendall(_sentence(["!fatal", "not logged in"]))
                return
            elif command.endswith("/print"):
                rows = self.state.rows(command.strip("/").removesuffix("/print"), attrs.get(".proplist"))
                if rows is None:
                    conn.sendall(
                        _sentence(["!trap", "=message=no such command prefix"]) + _sentence(["!done"])
                    )
                    continue
                for row in rows:
                    conn.sendall(_sentence(["!re", *[f"={k}={v}" for k, v in row.items()]]))
                conn.sendall(_sentence(["!done"]))
            else:
                conn.sendall(_sentence(["!trap", "=message=no such command"]) + _sentence(["!done"]))

    def stop(self) -> None:
        self._stop = True
        self.thread.join(5)
        self.sock.close()
