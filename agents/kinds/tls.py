"""The certificate agent: every https site and TLS endpoint, as Polewali Mandar 19 step 7
("Pemanfaatan Sertifikasi Elektronik") performed daily."""

from __future__ import annotations

from urllib.parse import urlsplit

from checks.finding import STATUSES, render
from checks.tls import TlsResult, TlsSettings, TlsTarget, TlsThresholds, check_tls, result_as_dict
from checks.tls.messages import TEMPLATES
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..config import Config, runs_here
from ..config.layers import Layer, Layered, defaults, section_layer
from ..outcome import AgentOutcome, CaseIntent, count_by, finding_records
from ..outputs import write_csv
from .spec import KindSpec, RunContext

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



def endpoint_layers(config: Config) -> list[tuple[str, list[Layer]]]:
    """Per-target layers: an endpoint's own warn_days/crit_days (websites have none of their own)."""
    out = []
    for i, ep in enumerate(config.targets.tls_endpoints):
        own = {"warn_days": ep.warn_days, "crit_days": ep.crit_days}
        out.append((ep.id, [Layer(f"targets.tls_endpoints.{ep.id}", own, f"targets.tls_endpoints[{i}]")]))
    return out


def targets(config: Config, base: Layered | None = None) -> list[tuple[TlsTarget, TlsThresholds, str | None]]:
    """(target, limits, OPD): https websites first, then the configured endpoints; this probe's only."""
    if base is None:
        base = defaults(TlsThresholds).over([section_layer("tls", config.tls, TlsThresholds)])
    step_limits = base.settings()
    own = dict(endpoint_layers(config))
    out = []
    for site in config.targets.websites:
        parts = urlsplit(site.url)
        if parts.scheme != "https" or not runs_here(site.probe, config.probe):
            continue
        target = TlsTarget(parts.hostname or "", parts.port or 443, parts.hostname, label=site.url)
        out.append((target, step_limits, site.opd))
    for ep in config.targets.tls_endpoints:
        if not runs_here(ep.probe, config.probe):
            continue
        limits = base.over(own[ep.id]).settings()
        out.append((TlsTarget(ep.host, ep.port, ep.server_name, label=ep.id), limits, ep.opd))
    return out


def to_findings(result: TlsResult, opd: str | None) -> list[FindingRecord]:
    details = records.CertFindingDetails(
        opd=opd,
        host=result.host,
        port=result.port,
        not_after=result.not_after,
        days_left=result.days_left,
        issuer=result.issuer,
    )
    return finding_records(TEMPLATES, result.findings, result.target, details.as_json())


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


async def run(ctx: RunContext) -> AgentOutcome:
    config, now, output_path = ctx.config, ctx.now, ctx.output_path
    chosen = targets(config, ctx.layered)
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


SPEC = KindSpec(
    id=records.TLS_CERT,
    title_id="Sertifikat TLS",
    title_en="TLS certificates",
    settings=TlsThresholds,
    section="tls",
    targets=lambda config: [t.label for t, _, _ in targets(config)],
    run=run,
    columns=_HEADERS,
    per_target=endpoint_layers,
)
