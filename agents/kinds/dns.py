"""The DNS/IP reconciliation agent: Polewali Mandar 14 step 7 ("IP Server dan DNS") checked every run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from checks.dns import DnsResult, DnsSettings, InventoryHost, check_dns, result_as_dict
from checks.dns.messages import TEMPLATES
from checks.finding import STATUSES, render
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..clikit import bad_input_exits, emit
from ..config import Config, Server, runs_here
from ..outcome import AgentOutcome, CaseIntent, count_by, finding_records
from ..outputs import write_csv
from .spec import Column, KindSpec, RunContext, status_column, table, target_column

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
    details = records.DnsFindingDetails(kind=result.kind, opd=result.opd, zone=result.zone)
    return finding_records(TEMPLATES, result.findings, result.target, details.as_json())


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


_KIND_LABELS = {
    "id": {"host": "host", "orphan": "tanpa alokasi", "zone": "zona"},
    "en": {"host": "host", "orphan": "unallocated", "zone": "zone"},
}


def _in_dns(r: dict[str, Any], _lang: str) -> str:
    observed = r.get("observed") or {}
    return ", ".join(observed.get("A", []) + observed.get("AAAA", [])) or "-"


CHECK_COLUMNS = (
    status_column(),
    Column("Jenis", "Kind", lambda r, lang: _KIND_LABELS.get(lang, _KIND_LABELS["id"])[r["kind"]]),
    Column("Dialokasikan", "Allocated", lambda r, _lang: ", ".join(r.get("allocated") or []) or "-"),
    Column("Di DNS", "In DNS", _in_dns),
    target_column("Nama", "Name"),
)


# --- `sigap check dns`: the check now, nothing recorded


@click.command("dns")
@click.option(
    "--inventory",
    "inventory_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="IP-allocation CSV (hostname,ip,opd,purpose). Default: targets.servers of the config.",
)
@click.option(
    "--nameserver",
    "nameservers",
    multiple=True,
    help="Authoritative server IP[:PORT]; repeat for each. Default: dns.nameservers of the config.",
)
@click.option("--zone", "zones", multiple=True, help="Zone to transfer (AXFR) and search for orphans.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.05), help="Seconds per query (2).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per host and orphan record, per line.")
@click.pass_obj
@bad_input_exits
def check_dns_cmd(
    obj: Any,
    inventory_path: Path | None,
    nameservers: tuple[str, ...],
    zones: tuple[str, ...],
    timeout_s: float | None,
    as_json: bool,
) -> None:
    """Do the DNS entries match the IP-allocation list? A/AAAA, PTR, orphans, SOA serials."""
    import asyncio
    import ipaddress

    from checks.dns import DnsSettings, InventoryHost, check_dns, result_as_dict

    from ..config import nameserver, read_servers_csv

    config = obj.optional_config() if not (inventory_path and nameservers) else None
    if inventory_path:
        hosts = [
            InventoryHost(h["name"], tuple(map(ipaddress.ip_address, h["ips"])), h["opd"], h["purpose"])
            for h in read_servers_csv(inventory_path)
        ]
    elif config:
        hosts = inventory(config.targets.servers, config.probe)
    else:
        raise InputError("option --inventory: give the IP-allocation CSV (or a config with targets.servers)")
    servers = []
    for text in nameservers:
        try:
            servers.append(nameserver(text))
        except ValueError as exc:
            raise InputError(f"option --nameserver: {exc}") from None
    if not servers and config:
        servers = config.dns.servers()
    if not servers:
        raise InputError("option --nameserver: give at least one authoritative server (IP[:PORT])")
    settings = config.dns if config else DnsSettings()
    if timeout_s:
        settings = settings.model_copy(update={"timeout_s": timeout_s})
    zone_names = [z.rstrip(".").lower() for z in zones] or (config.dns.zones if config else [])
    results, _obs = asyncio.run(check_dns(hosts, servers, zone_names, settings))
    lang = obj.lang
    # A zone gets a line only when something is wrong with it (servers out of sync, unreachable).
    dicts = [result_as_dict(r, lang) for r in results if r.kind != "zone" or r.findings]
    emit(dicts, as_json, lambda rows: table(CHECK_COLUMNS, rows, lang))


SPEC = KindSpec(
    id=records.DNS_IP,
    title_id="DNS/IP",
    title_en="DNS/IP",
    settings=DnsSettings,
    section="dns",
    targets=_targets,
    run=run,
    check_columns=CHECK_COLUMNS,
    check_command=check_dns_cmd,
    columns=_HEADERS,
)
