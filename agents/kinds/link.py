"""The link agent: every OPD link probed each minute. A DOWN link is a network fault report, so it
opens Polewali Mandar 15 ("Pemeliharaan Jaringan TIK") from step 1, whose clock then runs."""

from __future__ import annotations

from datetime import datetime

from checks.finding import render
from checks.link import LinkResult, LinkSettings, LinkState, LinkTarget, evaluate, probe_all, result_as_dict
from checks.link.messages import TEMPLATES
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..config import Config, Link, runs_here
from ..outcome import AgentOutcome, CaseIntent, count_by, finding_records
from .spec import KindSpec, RunContext

CASE_ROLE = "Teknisi Jaringan"


def link_targets(config: Config) -> list[tuple[Link, LinkTarget]]:
    out = []
    for link in config.targets.links:
        if not link.host or not runs_here(link.probe, config.probe):
            continue
        out.append((link, LinkTarget(link.id, link.host, link.method, link.port, link.url, link.parent)))
    return out


def to_findings(result: LinkResult, link: Link) -> list[FindingRecord]:
    details = {"opd": link.opd, "host": link.host, "state": result.state, "provider": link.provider}
    return finding_records(TEMPLATES, result.findings, link.id, details)


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
        samples.append((records.link_up(r.target), now, 1.0 if r.state == "UP" else 0.0))
        if r.rtt_ms is not None:
            samples.append((records.link_rtt_ms(r.target), now, r.rtt_ms))
        samples.append((records.link_loss_pct(r.target), now, r.loss_pct))
    intents = [_case(r, link) for (link, _), r in zip(pairs, results, strict=True)]
    return AgentOutcome(
        findings=[rec for (link, _), r in zip(pairs, results, strict=True) for rec in to_findings(r, link)],
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


SPEC = KindSpec(
    id=records.LINK,
    title_id="Tautan",
    title_en="Links",
    settings=LinkSettings,
    section="link",
    targets=lambda config: [link.id for link, _ in link_targets(config)],
    run=run,
)
