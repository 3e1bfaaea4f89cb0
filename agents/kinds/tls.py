"""The certificate agent: every https site and TLS endpoint, as Polewali Mandar 19 step 7
("Pemanfaatan Sertifikasi Elektronik") performed daily."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from checks.finding import STATUSES, render
from checks.tls import TlsResult, TlsSettings, TlsTarget, TlsThresholds, check_tls, result_as_dict
from checks.tls.messages import TEMPLATES
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..clikit import bad_input_exits, emit
from ..config import Config, runs_here
from ..config.layers import Layer, Layered, operator_defaults
from ..outcome import AgentOutcome, CaseIntent, count_by, finding_records
from ..outputs import write_csv
from .spec import Column, KindSpec, RunContext, status_column, table, target_column

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
        base = operator_defaults(TlsThresholds, "tls", config.tls)
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


CHECK_COLUMNS = (
    status_column(),
    Column("Sisa hari", "Days left", lambda r, _lang: "-" if r["days_left"] is None else str(r["days_left"])),
    Column("Berlaku sampai", "Valid until", lambda r, _lang: (r["not_after"] or "-")[:10]),
    Column("Penerbit", "Issuer", lambda r, _lang: r["issuer"] or "-"),
    target_column(),
)


# --- `sigap check tls`: the check now, nothing recorded


def _tls_target(text: str, server_name: str | None) -> TlsTarget:
    from urllib.parse import urlsplit

    from checks.tls import TlsTarget

    from ..config import parse_host_port

    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme != "https" or not parts.hostname:
            raise InputError(f"argument HOST: {text!r} is not an https URL")
        return TlsTarget(parts.hostname, parts.port or 443, server_name or parts.hostname, label=text)
    try:
        host, port = parse_host_port(text, 443)
    except ValueError as exc:
        raise InputError(f"argument HOST: {exc}") from None
    return TlsTarget(host, port, server_name)


@click.command("tls")
@click.argument("hosts", metavar="HOST[:PORT]...", nargs=-1, required=True)
@click.option("--servername", "server_name", help="Name the certificate must carry (SNI); default: HOST.")
@click.option(
    "--ca-file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Extra trusted CA."
)
@click.option("--warn-days", type=click.IntRange(min=0), help="Days left at or below which to warn (30).")
@click.option(
    "--crit-days", type=click.IntRange(min=0), help="Days left at or below which it is critical (7)."
)
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.05), help="Seconds per handshake (10).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per target and line.")
@click.pass_obj
@bad_input_exits
def check_tls_cmd(
    obj: Any,
    hosts: tuple[str, ...],
    server_name: str | None,
    ca_file: Path | None,
    warn_days: int | None,
    crit_days: int | None,
    timeout_s: float | None,
    as_json: bool,
) -> None:
    """Certificates: days left, chain, name. Warn 30 days, critical 7 days before expiry."""
    import asyncio
    from datetime import UTC, datetime

    from checks.tls import TlsSettings, TlsThresholds, check_tls, result_as_dict

    targets = [_tls_target(h, server_name) for h in hosts]
    config = obj.optional_config()
    defaults = config.tls if config else None
    try:
        limits = TlsThresholds(
            warn_days=warn_days if warn_days is not None else (defaults.warn_days if defaults else 30),
            crit_days=crit_days if crit_days is not None else (defaults.crit_days if defaults else 7),
        )
    except ValueError as exc:
        raise InputError(f"option --crit-days: {exc.errors()[0]['msg']}") from None
    settings = TlsSettings(
        timeout_s=timeout_s or (defaults.timeout_s if defaults else 10.0),
        ca_file=ca_file or (defaults.ca_file if defaults else None),
    )
    results = asyncio.run(check_tls(targets, settings, datetime.now(UTC), [limits] * len(targets)))
    lang = obj.lang
    emit([result_as_dict(r, lang) for r in results], as_json, lambda rows: table(CHECK_COLUMNS, rows, lang))


SPEC = KindSpec(
    id=records.TLS_CERT,
    title_id="Sertifikat TLS",
    title_en="TLS certificates",
    settings=TlsThresholds,
    section="tls",
    targets=lambda config: [t.label for t, _, _ in targets(config)],
    run=run,
    check_columns=CHECK_COLUMNS,
    check_command=check_tls_cmd,
    columns=_HEADERS,
    per_target=endpoint_layers,
)
