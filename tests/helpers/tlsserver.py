"""Test certificates (a root, an intermediate, leaves of any lifetime) and a real TLS server on loopback."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Issuer:
    def __init__(self, cn: str, parent: Issuer | None = None) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(parent.cert.subject if parent else _name(cn))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=10))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        )
        self.cert = builder.sign(parent.key if parent else self.key, hashes.SHA256())

    def leaf(
        self, names: list[str], *, days_left: float, lifetime_days: float = 90
    ) -> tuple[x509.Certificate, object]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(min(now - timedelta(days=1), now + timedelta(days=days_left - lifetime_days)))
            .not_valid_after(now + timedelta(days=days_left))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return cert, key


def self_signed(name: str, days_left: float = 300) -> tuple[x509.Certificate, object]:
    issuer = Issuer(name)
    key = issuer.key
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days_left))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class TlsServer:
    """Serves one certificate chain on 127.0.0.1 from a thread; each connection: handshake, then close."""

    def __init__(self, chain: list[x509.Certificate], key: object, host: str = "127.0.0.1") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="sigap-tls-"))
        (self.dir / "chain.pem").write_bytes(b"".join(pem(c) for c in chain))
        (self.dir / "key.pem").write_bytes(
            key.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.dir / "chain.pem", self.dir / "key.pem")
        self.sock = socket.create_server((host, 0))
        self.port = self.sock.getsockname()[1]
        self.host = host
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stop = False

    def _serve(self) -> None:
        self.sock.settimeout(0.1)  # closing a socket does not wake accept(): poll the stop flag
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # until the client closes
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join(5)
        self.sock.close()
