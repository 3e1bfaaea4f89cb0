"""Certificate rules: days left against the limits, chain and name problems. Pure: `now` passed in."""

from __future__ import annotations

import math
from datetime import datetime

from ..finding import Finding, quantity, worst
from .model import Probe, TlsResult, TlsTarget, TlsThresholds

# OpenSSL X509_V_ERR_* codes that mean "the chain does not lead to a trusted root".
_CHAIN_CODES = {
    2,
    19,
    20,
    21,
    27,
}  # unable to get issuer, self-signed in chain, local issuer, leaf, untrusted
_SELF_SIGNED = 18
_EXPIRED, _NOT_YET = 10, 9
_HOSTNAME = 62


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")


def evaluate(target: TlsTarget, probe: Probe, now: datetime, limits: TlsThresholds) -> TlsResult:
    result = TlsResult(target=target.target, status="ok", host=target.host, port=target.port)
    result.tls_version = probe.tls_version
    cert = probe.cert
    findings: list[Finding] = []
    if cert is None:
        findings.append(
            Finding(
                "tls_unreachable",
                "unknown",
                {"endpoint": f"{target.host}:{target.port}", "detail": probe.error or probe.verify_message},
                observed=quantity(probe.error, "error"),
            )
        )
        return _done(result, findings)
    result.not_after, result.subject, result.issuer, result.names = (
        cert.not_after,
        cert.subject,
        cert.issuer,
        cert.names,
    )
    # Days left, rounded down: a certificate that ends tomorrow morning has 0 full days left.
    days_left = math.floor((cert.not_after - now).total_seconds() / 86400)
    result.days_left = days_left
    params = {"days_left": days_left, "not_after": _day(cert.not_after), "issuer": cert.issuer}
    if cert.not_after <= now:
        findings.append(
            Finding(
                "cert_expired",
                "crit",
                {"not_after": _day(cert.not_after), "days_ago": -days_left},
                observed=quantity(days_left, "day"),
                limit=quantity(limits.crit_days, "day"),
            )
        )
    elif cert.not_before > now:
        findings.append(
            Finding(
                "cert_not_yet_valid",
                "crit",
                {"not_before": _day(cert.not_before)},
                observed=quantity(cert.not_before.isoformat(), "datetime"),
            )
        )
    elif days_left <= limits.warn_days:
        crit = days_left <= limits.crit_days
        findings.append(
            Finding(
                "cert_expiring",
                "crit" if crit else "warn",
                {**params, "limit": limits.crit_days if crit else limits.warn_days},
                observed=quantity(days_left, "day"),
                # the limit crossed, and both limits
                limit=quantity(
                    limits.crit_days if crit else limits.warn_days,
                    "day",
                    warn_days=limits.warn_days,
                    crit_days=limits.crit_days,
                ),
            )
        )
    if not probe.verified:
        findings += _verify_findings(target, probe)
    if not findings:
        findings.append(
            Finding(
                "cert_ok",
                "ok",
                params,
                observed=quantity(days_left, "day"),
                limit=quantity(limits.warn_days, "day"),
            )
        )
    return _done(result, findings)


def _verify_findings(target: TlsTarget, probe: Probe) -> list[Finding]:
    code, cert = probe.verify_code, probe.cert
    assert cert is not None
    if code in (_EXPIRED, _NOT_YET):
        return []  # already said, with dates
    if code == _HOSTNAME:
        return [
            Finding(
                "cert_hostname_mismatch",
                "crit",
                {"name": target.name, "names": cert.names or [cert.subject or "-"]},
                observed=quantity(cert.names, "name"),
                limit=quantity(target.name, "name"),
            )
        ]
    if code == _SELF_SIGNED or (cert.self_signed and code in _CHAIN_CODES):
        return [Finding("cert_self_signed", "crit", {}, observed=quantity(cert.issuer, "issuer"))]
    if code in _CHAIN_CODES:
        return [
            Finding(
                "cert_chain_incomplete",
                "crit",
                {"detail": probe.verify_message},
                observed=quantity(code, "verify_code", issuer=cert.issuer),
            )
        ]
    invalid = quantity(code, "verify_code")
    return [Finding("cert_invalid", "crit", {"detail": probe.verify_message}, observed=invalid)]


def _done(result: TlsResult, findings: list[Finding]) -> TlsResult:
    result.findings = findings
    result.status = worst(f.status for f in findings)
    return result
