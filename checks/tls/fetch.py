"""The only part of the certificate check that does I/O: one verified TLS handshake per target, and a
second, unverified one when the first is refused, so an expired or self-signed certificate can still
be read and described."""

from __future__ import annotations

import asyncio
import ssl
import time
from datetime import UTC

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from .model import CertInfo, Probe, TlsSettings, TlsTarget


def verifying_context(settings: TlsSettings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.ca_file:
        context.load_verify_locations(cafile=str(settings.ca_file))
    return context


def _reading_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Old OPD servers still offer only TLS 1.0/1.1 or weak ciphers; reading their certificate is
    # still worth it. This context never carries data, it only looks.
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def _name(name: x509.Name) -> str | None:
    cn = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if cn:
        return str(cn[0].value)
    return name.rfc4514_string() or None


def _signed_by_own_key(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            return True  # same subject and issuer: as good as it gets for other key types
    except Exception:
        return False
    return True


def cert_info(der: bytes) -> CertInfo:
    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        names = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(n) for n in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    return CertInfo(
        subject=_name(cert.subject),
        issuer=_name(cert.issuer),
        not_before=cert.not_valid_before_utc.astimezone(UTC),
        not_after=cert.not_valid_after_utc.astimezone(UTC),
        names=names,
        serial=format(cert.serial_number, "x"),
        self_signed=_signed_by_own_key(cert),
    )


async def _handshake(
    target: TlsTarget, context: ssl.SSLContext, timeout_s: float
) -> tuple[bytes | None, str | None]:
    async with asyncio.timeout(timeout_s):
        _reader, writer = await asyncio.open_connection(
            target.host, target.port, ssl=context, server_hostname=target.name
        )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        return ssl_object.getpeercert(binary_form=True), ssl_object.version()
    finally:
        writer.close()
        try:
            async with asyncio.timeout(1):
                await writer.wait_closed()
        except (TimeoutError, OSError, ssl.SSLError):
            pass


async def probe(target: TlsTarget, settings: TlsSettings, context: ssl.SSLContext) -> Probe:
    started = time.monotonic()
    try:
        der, version = await _handshake(target, context, settings.timeout_s)
        return Probe(
            verified=True,
            cert=cert_info(der) if der else None,
            tls_version=version,
            elapsed_ms=(time.monotonic() - started) * 1000,
        )
    except ssl.SSLCertVerificationError as exc:
        refused = Probe(verified=False, verify_code=exc.verify_code, verify_message=exc.verify_message)
    except (TimeoutError, OSError, ssl.SSLError) as exc:
        return Probe(verified=False, error=_describe(exc, settings))
    try:  # read the refused certificate, so the officer learns what is wrong with it
        der, version = await _handshake(target, _reading_context(), settings.timeout_s)
        refused.cert = cert_info(der) if der else None
        refused.tls_version = version
    except (TimeoutError, OSError, ssl.SSLError, ValueError) as exc:
        refused.error = _describe(exc, settings)
    refused.elapsed_ms = (time.monotonic() - started) * 1000
    return refused


def _describe(exc: BaseException, settings: TlsSettings) -> str:
    if isinstance(exc, TimeoutError):
        return f"tidak ada jawaban dalam {settings.timeout_s:g} detik"
    if isinstance(exc, ConnectionRefusedError):
        return "koneksi ditolak (port tertutup)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS gagal: {exc.reason or exc}"
    return f"{type(exc).__name__}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"
