"""Certificate expiry and validity for every HTTPS site and configured TLS endpoint."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from ..finding import as_dicts, internal_error
from .evaluate import evaluate
from .messages import TEMPLATES
from .model import TlsResult, TlsSettings, TlsTarget, TlsThresholds

__all__ = ["TlsResult", "TlsSettings", "TlsTarget", "TlsThresholds", "check_tls", "result_as_dict"]

log = logging.getLogger("sigap.checks.tls")


async def check_tls(
    targets: list[TlsTarget], settings: TlsSettings, now: datetime, limits: list[TlsThresholds]
) -> list[TlsResult]:
    """One result per target, in order; `limits` pairs with `targets`."""
    from .fetch import probe, verifying_context  # cryptography: loaded when a check runs

    context = verifying_context(settings)  # one context: the CA store is loaded once per run
    gate = asyncio.Semaphore(settings.concurrency)

    async def one(target: TlsTarget, limit: TlsThresholds) -> TlsResult:
        async with gate:
            try:
                return evaluate(target, await probe(target, settings, context), now, limit)
            except Exception as exc:  # a bug on one endpoint: UNKNOWN for it, the others go on
                return failed_endpoint(target, exc)

    return list(await asyncio.gather(*(one(t, lim) for t, lim in zip(targets, limits, strict=True))))


def failed_endpoint(target: TlsTarget, exc: BaseException) -> TlsResult:
    finding = internal_error(exc, log, target.target)
    return TlsResult(target.target, finding.status, target.host, target.port, findings=[finding])


def result_as_dict(result: TlsResult, lang: str = "id") -> dict[str, Any]:
    """The `sigap check tls --json` contract."""
    return {
        "target": result.target,
        "status": result.status,
        "host": result.host,
        "port": result.port,
        "days_left": result.days_left,
        "not_after": result.not_after.isoformat() if result.not_after else None,
        "subject": result.subject,
        "issuer": result.issuer,
        "names": result.names,
        "tls_version": result.tls_version,
        "findings": as_dicts(TEMPLATES, result.findings, lang),
    }
