"""The link agent: every OPD link probed each minute. A DOWN link is a network fault report, so it
opens Polewali Mandar 15 ("Pemeliharaan Jaringan TIK") from step 1, whose clock then runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import click

from checks.finding import render
from checks.link import LinkResult, LinkSettings, LinkState, LinkTarget, evaluate, probe_all, result_as_dict
from checks.link.messages import TEMPLATES
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..clikit import bad_input_exits, emit
from ..config import Config, Link, Office, runs_here
from ..outcome import AgentOutcome, CaseIntent, count_by, finding_records
from .spec import Column, KindSpec, RunContext, status_column, table, target_column

CASE_ROLE = "Teknisi Jaringan"


def link_targets(config: Config) -> list[tuple[Link, LinkTarget]]:
    out = []
    for link in config.targets.links:
        if not link.host or not runs_here(link.probe, config.probe):
            continue
        out.append((link, LinkTarget(link.id, link.host, link.method, link.port, link.url, link.parent)))
    return out


def to_findings(result: LinkResult, link: Link, office: Office | None = None) -> list[FindingRecord]:
    details = records.LinkFindingDetails(
        opd=link.opd, host=link.host, state=result.state, provider=link.provider
    )
    # The check keeps the state's change as UTC ISO text; a person reads it in office time.
    findings = [
        replace(f, params={**f.params, "since": datetime.fromisoformat(f.params["since"])})
        if isinstance(f.params.get("since"), str)
        else f
        for f in result.findings
    ]
    return finding_records(TEMPLATES, findings, link.id, details.as_json(), office)


def _case(result: LinkResult, link: Link) -> CaseIntent | None:
    """DOWN or flapping: one case (the flaps are one fault). UP and steady: resolved. Behind a failed
    parent, or not yet decided: left as it is, the parent's case covers it."""
    if result.state == "DOWN" or result.flapping:
        lead = next(f for f in result.findings if f.code in ("link_down", "link_flapping"))
        return CaseIntent(
            target=link.id,
            failing=True,
            title=f"Gangguan jaringan {link.opd}: {render(TEMPLATES, lead, 'id')}",
            role=CASE_ROLE,
            data={
                "opd": link.opd,
                "host": link.host,
                "provider": link.provider,
                "parent": link.parent,
                "state": result.state,
                "flapping": result.flapping,
            },
        )
    if result.state == "UP":
        return CaseIntent(target=link.id, failing=False, note=f"tautan {link.id} kembali normal")
    return None


async def run(ctx: RunContext) -> AgentOutcome:
    config, now, settings, memory = ctx.config, ctx.now, ctx.settings, ctx.memory
    pairs = link_targets(config)
    probes = await probe_all([t for _, t in pairs], settings)
    previous = {key: LinkState.from_json(data) for key, data in (memory or {}).items()}
    results = evaluate([t for _, t in pairs], probes, previous, now, settings)
    lang = config.office.language
    counts = count_by((r.state for r in results), ("UP", "DOWN", "UNREACHABLE", "PENDING"))
    flapping = sum(1 for r in results if r.flapping)
    summary = (
        f"{len(results)} tautan: {counts['UP']} aktif, {counts['DOWN']} putus, "
        f"{counts['UNREACHABLE']} tidak terjangkau (induk putus), {flapping} naik-turun"
    )
    samples: list[tuple[str, datetime, float]] = []
    for r in results:
        if r.state == "UNKNOWN":
            continue  # not measured (internal_error): no sample, so availability is not invented
        samples.append((records.link_up(r.target), now, 1.0 if r.state == "UP" else 0.0))
        if r.rtt_ms is not None:
            samples.append((records.link_rtt_ms(r.target), now, r.rtt_ms))
        samples.append((records.link_loss_pct(r.target), now, r.loss_pct))
    intents = [_case(r, link) for (link, _), r in zip(pairs, results, strict=True)]
    return AgentOutcome(
        findings=[
            rec
            for (link, _), r in zip(pairs, results, strict=True)
            for rec in to_findings(r, link, config.office)
        ],
        summary=summary,
        output_kind="status_tautan",
        details={
            "counts": counts,
            "flapping": flapping,
            "links": [result_as_dict(r, lang) for r in results],
            "changed": [r.target for r in results if r.link_state and r.link_state.changed],
        },
        cases=[i for i in intents if i is not None],
        states={r.target: r.link_state.to_json() for r in results if r.link_state},
        samples=samples,
    )


CHECK_COLUMNS = (
    status_column(),
    Column("Keadaan", "State", lambda r, _lang: r["state"]),
    Column("Loss", "Loss", lambda r, _lang: f"{r['loss_pct']:g}%"),
    Column("RTT", "RTT", lambda r, _lang: "-" if r["rtt_ms"] is None else f"{r['rtt_ms']:.1f} ms"),
    Column("Cara", "Method", lambda r, _lang: r["method"]),
    target_column(),
)


# --- `sigap check link`: the check now, nothing recorded


@click.command("link")
@click.argument("hosts", metavar="HOST...", nargs=-1, required=True)
@click.option("--tcp", "tcp_port", type=click.IntRange(1, 65535), help="Probe this TCP port instead of ICMP.")
@click.option("--probes", type=click.IntRange(1, 20), help="Probes per target (3).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.01), help="Seconds per probe (1).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per target and line.")
@click.pass_obj
@bad_input_exits
def check_link_cmd(
    obj: Any,
    hosts: tuple[str, ...],
    tcp_port: int | None,
    probes: int | None,
    timeout_s: float | None,
    as_json: bool,
) -> None:
    """Is each link answering? Loss and RTT over several probes (ICMP, or TCP where not permitted)."""
    import asyncio

    from checks.link import LinkSettings, LinkTarget, evaluate_once, probe_all, result_as_dict

    for host in hosts:
        if not host or host.startswith("-") or "/" in host:
            raise InputError(f"argument HOST: {host!r} is not a host name or address")
    config = obj.optional_config()
    settings = config.link if config else LinkSettings()
    update = {k: v for k, v in (("probes", probes), ("timeout_s", timeout_s)) if v is not None}
    settings = LinkSettings(**{**settings.model_dump(), **update})
    targets = [LinkTarget(h, h, "tcp" if tcp_port else "icmp", tcp_port) for h in hosts]
    results = asyncio.run(probe_all(targets, settings))
    lang = obj.lang
    dicts = [
        result_as_dict(evaluate_once(t, r, settings), lang) for t, r in zip(targets, results, strict=True)
    ]
    emit(dicts, as_json, lambda rows: table(CHECK_COLUMNS, rows, lang))


SPEC = KindSpec(
    id=records.LINK,
    title_id="Tautan",
    title_en="Links",
    settings=LinkSettings,
    section="link",
    targets=lambda config: [link.id for link, _ in link_targets(config)],
    run=run,
    check_columns=CHECK_COLUMNS,
    check_command=check_link_cmd,
)
