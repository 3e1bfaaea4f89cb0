"""The certificate agent: every https site and TLS endpoint, as Polewali Mandar 19 step 7
("Pemanfaatan Sertifikasi Elektronik") performed daily."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from checks.finding import STATUSES, render
from checks.tls import TlsResult, TlsSettings, TlsTarget, TlsThresholds, check_tls, result_as_dict
from checks.tls.messages import TEMPLATES
from sop_registry.ledger.store import FindingRecord
from sop_registry.schema import Automation

from .config import Config, runs_here
from .outcome import AgentOutcome, CaseIntent, count_by, finding_records
from .outputs import write_csv

CASE_ROLE = "Tim Teknis"

_HEADERS = {
    "id": [
        "Target",
        "OPD",
        "Status",
        "Sisa hari",
        "Berlaku sampai",
        "Penerbit",
        "Nama di sertifikat",
        "Temuan",
    ],
    "en": ["Target", "OPD", "Status", "Days left", "Valid until", "Issuer", "Names", "Findings"],
}


_LIMITS = ("warn_days", "crit_days")


def targets(
    config: Config, automation: Automation | None, override: dict[str, Any]
) -> list[tuple[TlsTarget, TlsThresholds, str | None]]:
    """(target, limits, OPD): https websites first, then the configured endpoints; this probe's only."""
    # The SOP binding's limits, then the agents override, then the tls section if it differs from
    # the defaults, then the endpoint's own.
    base = {k: v for k, v in (automation.thresholds if automation else {}).items() if k in _LIMITS}
    base.update({k: v for k, v in override.items() if k in _LIMITS})
    base.update(config.tls.model_dump(include=set(_LIMITS), exclude_defaults=True))
    out = []
    for site in config.targets.websites:
        parts = urlsplit(site.url)
        if parts.scheme != "https" or not runs_here(site.probe, config.probe):
            continue
        target = TlsTarget(parts.hostname or "", parts.port or 443, parts.hostname, label=site.url)
        out.append((target, TlsThresholds(**base), site.opd))
    for ep in config.targets.tls_endpoints:
        if not runs_here(ep.probe, config.probe):
            continue
        limits = {
            **base,
            **{k: v for k, v in (("warn_days", ep.warn_days), ("crit_days", ep.crit_days)) if v is not None},
        }
        out.append(
            (TlsTarget(ep.host, ep.port, ep.server_name, label=ep.id), TlsThresholds(**limits), ep.opd)
        )
    return out


def to_findings(result: TlsResult, opd: str | None) -> list[FindingRecord]:
    details = {"opd": opd, "host": result.host, "port": result.port}
    return finding_records(TEMPLATES, result.findings, result.target, details)


def _case(result: TlsResult, opd: str | None) -> CaseIntent:
    bad = [f for f in result.findings if f.status in ("crit", "unknown")]
    if not bad:
        return CaseIntent(target=result.target, failing=False, note="sertifikat sudah diperbarui/valid")
    return CaseIntent(
        target=result.target,
        failing=True,
        title=f"Sertifikat {result.target}: {render(TEMPLATES, bad[0], 'id')}",
        role=CASE_ROLE,
        data={"opd": opd, "codes": [f.code for f in bad], "days_left": result.days_left},
    )


async def run(
    config: Config,
    automation: Automation | None,
    override: dict[str, Any],
    now: datetime,
    output_path: Path,
    *,
    memory: dict[str, dict[str, Any]] | None = None,  # unused: nothing to remember between runs
) -> AgentOutcome:
    chosen = targets(config, automation, override)
    settings = TlsSettings(
        timeout_s=config.tls.timeout_s, concurrency=config.tls.concurrency, ca_file=config.tls.ca_file
    )
    results = await check_tls([t for t, _, _ in chosen], settings, now, [lim for _, lim, _ in chosen])
    lang = config.office.language
    pairs = [(opd, result) for (_, _, opd), result in zip(chosen, results, strict=True)]
    dicts = [result_as_dict(r, lang) | {"opd": opd} for opd, r in pairs]
    rows = [
        [
            r.target,
            opd or "",
            r.status,
            r.days_left if r.days_left is not None else "",
            config.office.local_text(r.not_after, "%Y-%m-%d"),
            r.issuer or "",
            ", ".join(r.names),
            "; ".join(f["message"] for f in d["findings"] if f["status"] != "ok"),
        ]
        for (opd, r), d in zip(pairs, dicts, strict=True)
    ]
    write_csv(output_path, _HEADERS.get(lang, _HEADERS["id"]), rows)
    counts = count_by((r.status for r in results), STATUSES)
    summary = (
        f"{len(results)} sertifikat diperiksa: {counts['ok']} baik, {counts['warn']} segera habis, "
        f"{counts['crit']} kritis, {counts['unknown']} tidak terjangkau"
    )
    return AgentOutcome(
        findings=[rec for opd, r in pairs for rec in to_findings(r, opd)],
        summary=summary,
        output_kind="daftar_sertifikat",
        output_ref=str(output_path),
        details={
            "counts": counts,
            "certificates": dicts,
        },
        cases=[_case(r, opd) for opd, r in pairs],
    )
