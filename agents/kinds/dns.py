"""The DNS/IP reconciliation agent: Polewali Mandar 14 step 7 ("IP Server dan DNS") checked every run."""

from __future__ import annotations

from typing import Any

from checks.dns import DnsResult, DnsSettings, InventoryHost, check_dns, result_as_dict
from checks.dns.messages import TEMPLATES
from checks.finding import STATUSES, render
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..config import Config, Server, runs_here
from ..outcome import AgentOutcome, CaseIntent, count_by, finding_records
from ..outputs import write_csv
from .spec import KindSpec, RunContext

CASE_ROLE = "Tenaga IT Data Center"
# Measured and wrong, or not measurable: a person must fix the zone or the list. Orphans and PTR
# problems are reported in the recap (warn) without a case of their own.
_CASE_STATUSES = {"crit", "unknown"}

_HEADERS = {
    "id": ["Nama host", "OPD", "Kegunaan", "IP dialokasikan", "A/AAAA di DNS", "PTR", "Status", "Temuan"],
    "en": ["Host name", "OPD", "Purpose", "Allocated IP", "A/AAAA in DNS", "PTR", "Status", "Findings"],
}


def inventory(servers: list[Server], probe: str | None) -> list[InventoryHost]:
    return [
        InventoryHost(s.name.rstrip("."), tuple(s.ips), s.opd, s.purpose)
        for s in servers
        if runs_here(s.probe, probe)
    ]


def to_findings(result: DnsResult) -> list[FindingRecord]:
    details = {"kind": result.kind, "opd": result.opd, "zone": result.zone}
    return finding_records(TEMPLATES, result.findings, result.target, details)


def _row(d: dict[str, Any]) -> list[Any]:
    observed = d.get("observed") or {}
    ptr = d.get("ptr") or {}
    return [
        d["target"],
        d.get("opd") or "",
        d.get("purpose") or "",
        ", ".join(d.get("allocated") or []),
        ", ".join(observed.get("A", []) + observed.get("AAAA", [])),
        "; ".join(
            f"{ip} -> {', '.join(names) if names else '-'}" for ip, names in ptr.items() if names is not None
        ),
        d["status"],
        "; ".join(f["message"] for f in d["findings"] if f["status"] != "ok"),
    ]


def _case(result: DnsResult) -> CaseIntent:
    if result.status not in _CASE_STATUSES:
        return CaseIntent(target=result.target, failing=False, note="entri DNS kembali sesuai daftar IP")
    bad = [f for f in result.findings if f.status in _CASE_STATUSES]
    return CaseIntent(
        target=result.target,
        failing=True,
        title=f"DNS {result.target}: {render(TEMPLATES, bad[0], 'id')}",
        role=CASE_ROLE,
        data={"opd": result.opd, "codes": [f.code for f in bad], "status": result.status},
    )


async def run(ctx: RunContext) -> AgentOutcome:
    config, output_path = ctx.config, ctx.output_path
    servers = config.dns.servers()
    if not servers:
        raise InputError(f"{config.source_path}: dns.nameservers: the DNS agent needs the zones' servers")
    hosts = inventory(config.targets.servers, config.probe)
    results, obs = await check_dns(hosts, servers, config.dns.zones, ctx.settings)
    lang = config.office.language
    dicts = [result_as_dict(r, lang) for r in results]
    write_csv(
        output_path, _HEADERS.get(lang, _HEADERS["id"]), (_row(d) for d in dicts if d["kind"] != "zone")
    )
    host_results = [r for r in results if r.kind == "host"]
    counts = count_by((r.status for r in host_results), STATUSES)
    orphans = sum(1 for r in results if r.kind == "orphan")
    summary = (
        f"{len(host_results)} server diperiksa: {counts['ok']} sesuai, {counts['warn']} peringatan, "
        f"{counts['crit']} salah/tidak ada, {counts['unknown']} tidak terukur; "
        f"{orphans} entri DNS tanpa alokasi"
    )
    return AgentOutcome(
        findings=[rec for r in results for rec in to_findings(r)],
        summary=summary,
        output_kind="daftar_ip_dns",
        output_ref=str(output_path),
        details={
            "counts": counts,
            "orphans": orphans,
            "queries": obs.queries,
            "elapsed_s": round(obs.elapsed_s, 3),
            "zones": {d["target"]: d for d in dicts if d["kind"] == "zone"},
            "recap": [d for d in dicts if d["kind"] != "zone"],
        },
        # Zones get no case of their own: their findings (SOA out of sync) show in every run's recap.
        cases=[_case(r) for r in results if r.kind != "zone"],
    )


def _targets(config: Config) -> list[str]:
    # Without the zones' servers there is nobody to ask.
    if not config.dns.nameservers:
        return []
    return [h.name for h in inventory(config.targets.servers, config.probe)]


SPEC = KindSpec(
    id=records.DNS_IP,
    title_id="DNS/IP",
    title_en="DNS/IP",
    settings=DnsSettings,
    section="dns",
    targets=_targets,
    run=run,
    columns=_HEADERS,
)
