"""The SNMP bandwidth agent: every device in targets.snmp_devices walked every 5 minutes, as
Polewali Mandar 13 step 9 ("Melaksanakan pekerjaan penyediaan bandwidth Perangkat Daerah"): is the
provider delivering what was contracted, and does the OPD need more?

Under-delivery and a silent device open the polman-13 case; an OPD link's interface going down is a
network fault and opens Polewali Mandar 15 step 1, the same case the link agent opens for that link.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from checks.finding import render
from checks.snmp import (
    Contract,
    Credentials,
    Device,
    DeviceResult,
    InterfaceResult,
    SnmpSettings,
    Watch,
    check_snmp,
    device_as_dict,
    device_memory,
    interface_as_dict,
)
from checks.snmp.messages import TEMPLATES
from checks.snmp.model import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.store import FindingRecord

from ..clikit import bad_input_exits, emit
from ..config import Config, Link, SnmpDevice, runs_here
from ..outcome import AgentOutcome, CaseIntent, count_by, finding_records
from ..outputs import write_csv
from .spec import Column, KindSpec, RunContext, status_column, table, target_column

CASE_ROLE = "Tim Teknis Jaringan TIK"  # polman-13's technical team
FAULT_SOP, FAULT_STEP, FAULT_ROLE = "polman-15", 1, "Teknisi Jaringan"

_HEADERS = {
    "id": [
        "Perangkat",
        "ifIndex",
        "Antarmuka",
        "Keterangan",
        "Tautan OPD",
        "Status port",
        "Kecepatan (Mbps)",
        "Masuk (Mbps)",
        "Keluar (Mbps)",
        "Unduh (% kontrak)",
        "Unggah (% kontrak)",
        "Status",
        "Temuan",
    ],
    "en": [
        "Device",
        "ifIndex",
        "Interface",
        "Alias",
        "OPD link",
        "Port status",
        "Speed (Mbps)",
        "In (Mbps)",
        "Out (Mbps)",
        "Download (% of contract)",
        "Upload (% of contract)",
        "Status",
        "Findings",
    ],
}


def credentials(entry: SnmpDevice) -> Credentials:
    if entry.version == "v3" and entry.v3 is not None:
        v3 = entry.v3
        return Credentials(
            user=v3.user,
            auth_protocol=v3.auth_protocol,
            auth_key=v3.auth_key.get_secret_value(),
            priv_protocol=v3.priv_protocol,
            priv_key=v3.priv_key.get_secret_value(),
        )
    return Credentials(community=entry.community.get_secret_value() if entry.community else None)


def devices(config: Config) -> list[Device]:
    """This probe's devices, each with the OPD links whose interfaces it carries."""
    links_by_device: dict[str, list[Link]] = {}
    for link in config.targets.links:
        if link.device:
            links_by_device.setdefault(link.device, []).append(link)
    out = []
    for entry in config.targets.snmp_devices:
        if not runs_here(entry.probe, config.probe):
            continue
        watches = tuple(
            Watch(
                Contract(link.id, link.contracted_down_mbps, link.contracted_up_mbps, link.download),
                link.if_index,
                link.if_name,
                link.speed_mbps,
            )
            for link in links_by_device.get(entry.id, [])
        )
        out.append(
            Device(
                entry.id,
                entry.host,
                entry.port,
                credentials(entry),
                watches,
                timeout_s=entry.timeout_s,
                retries=entry.retries,
            )
        )
    return out


def _reported(result: InterfaceResult, memory: dict[str, Any]) -> bool:
    """Every contracted link, and a spare port only when its state changed (a 48-port switch with
    30 empty ports would otherwise fill the ledger with the same 30 findings every 5 minutes)."""
    if result.link_id:
        return True
    before = memory.get(str(result.if_index), {}).get("oper")
    return before is not None and before != result.oper_status


def _cases(result: DeviceResult, links: dict[str, Link]) -> list[CaseIntent]:
    out = []
    unreachable = any(f.code == "device_unreachable" for f in result.findings)
    out.append(
        CaseIntent(
            target=f"snmp:{result.device}",
            failing=unreachable,
            title=f"Perangkat {result.device} tidak menjawab SNMP: bandwidth OPD tidak terukur"
            if unreachable
            else "",
            role=CASE_ROLE,
            note=f"perangkat {result.device} menjawab SNMP kembali",
            data={"host": result.host},
        )
    )
    for i in result.interfaces:
        if not i.link_id or unreachable:
            continue
        link = links[i.link_id]
        under = next((f for f in i.findings if f.code == "bw_under_delivery"), None)
        if under is not None:
            out.append(
                CaseIntent(
                    target=link.id,
                    failing=True,
                    title=f"Bandwidth {link.opd} di bawah kontrak: {render(TEMPLATES, under, 'id')}",
                    role=CASE_ROLE,
                    data={"opd": link.opd, "provider": link.provider, "observed": under.observed},
                )
            )
        elif i.in_bps is not None:  # measured and not held under the contract: resolved
            out.append(CaseIntent(target=link.id, failing=False, note="bandwidth kembali sesuai kontrak"))
        down = next((f for f in i.findings if f.code == "if_down"), None)
        if down is not None:
            out.append(
                CaseIntent(
                    target=link.id,
                    failing=True,
                    title=f"Gangguan jaringan {link.opd}: {render(TEMPLATES, down, 'id')} di {result.device}",
                    role=FAULT_ROLE,
                    data={"opd": link.opd, "provider": link.provider, "device": result.device},
                    sop_id=FAULT_SOP,
                    step_no=FAULT_STEP,
                )
            )
        elif i.oper_status == "up":
            # Only this agent's own report is cleared: the case stays open while the link agent
            # still sees the path down (the case engine counts each source apart).
            out.append(
                CaseIntent(
                    target=link.id,
                    failing=False,
                    note=f"port {i.if_name} di {result.device} aktif kembali",
                    sop_id=FAULT_SOP,
                    step_no=FAULT_STEP,
                )
            )
    return out


def check_lines(results: list[DeviceResult], lang: str) -> list[dict[str, Any]]:
    """`sigap check snmp`: one line per interface, and the device's own line before them whenever it
    has something to say of itself (rebooted, silent, no interface table) -- not only when it has no
    interfaces, or a reboot between the two polls was never shown."""
    out = []
    for r in results:
        if not r.interfaces or any(f.code != "device_ok" for f in r.findings):
            out.append(device_as_dict(r, lang))
        out += [interface_as_dict(i, lang) for i in r.interfaces]
    return out


def _row(r: InterfaceResult, lang: str) -> list[Any]:
    def mbps(bps: float | None) -> str:
        return "" if bps is None else f"{bps / 1e6:.2f}"

    return [
        r.device,
        r.if_index,
        r.if_name,
        r.if_alias,
        r.link_id or "",
        r.oper_status or "",
        "" if r.speed_mbps is None else f"{r.speed_mbps:g}",
        mbps(r.in_bps),
        mbps(r.out_bps),
        "" if r.down_util_pct is None else r.down_util_pct,
        "" if r.up_util_pct is None else r.up_util_pct,
        r.status,
        "; ".join(render(TEMPLATES, f, lang) for f in r.findings if f.status != "ok"),
    ]


async def run(ctx: RunContext) -> AgentOutcome:
    config, settings, output_path = ctx.config, ctx.settings, ctx.output_path
    engine = ctx.resources.get("snmp_engine")
    targets = devices(config)
    memory = ctx.memory
    results = await check_snmp(targets, memory, settings, engine=engine, clock=time.time)
    links = {link.id: link for link in config.targets.links}
    lang = config.office.language
    findings: list[FindingRecord] = []
    samples: list[tuple[str, datetime, float]] = []
    states: dict[str, dict[str, Any]] = {}
    cases: list[CaseIntent] = []
    rows = []
    for result in results:
        previous = memory.get(result.device, {})
        details = {"host": result.host}
        findings += finding_records(TEMPLATES, result.findings, f"snmp:{result.device}", details)
        for i in result.interfaces:
            rows.append(_row(i, lang))
            if _reported(i, previous):
                where = {"device": i.device, "if_index": i.if_index, "if_name": i.if_name}
                findings += finding_records(TEMPLATES, i.findings, i.target, where)
            if i.link_id and i.memory and i.down_util_pct is not None:
                # Stamped with the poll's own time: the weekly 95th percentile is over these.
                _start, end, down, up = i.memory["history"][-1]
                at = datetime.fromtimestamp(end, UTC)
                samples.append((records.bw_down_bps(i.link_id), at, down))
                samples.append((records.bw_up_bps(i.link_id), at, up))
        if result.memory is not None:  # an unreachable device keeps what it had, for the next rate
            states[result.device] = device_memory(result)
        cases += _cases(result, links)
    write_csv(output_path, _HEADERS[lang if lang in _HEADERS else "id"], rows)
    up = sum(1 for r in results if r.memory is not None)
    measured = [i for r in results for i in r.interfaces if i.link_id and i.in_bps is not None]
    counts = count_by((f.code for f in findings), ("bw_over_use", "bw_under_delivery", "if_down"))
    summary = (
        f"{len(results)} perangkat ({up} menjawab), {sum(len(r.interfaces) for r in results)} antarmuka, "
        f"{len(measured)} tautan OPD terukur, {counts['bw_over_use']} pemakaian berlebih, "
        f"{counts['bw_under_delivery']} di bawah kontrak, {counts['if_down']} port mati"
    )
    return AgentOutcome(
        findings=findings,
        summary=summary,
        output_kind="rekap_bandwidth",
        output_ref=str(output_path),
        details={
            "devices": [device_as_dict(r, lang) for r in results],
            "links": [interface_as_dict(i, lang) for r in results for i in r.interfaces if i.link_id],
        },
        cases=cases,
        states=states,
        samples=samples,
    )


def _engine() -> Any:
    # One SNMP engine for the life of the service: a new one per run costs a socket, a dispatcher
    # and its discovery of every SNMPv3 device's engine id again.
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    return SnmpEngine()


def _poll_seconds(outcome: AgentOutcome) -> list[float]:
    polls = [d.get("poll_s") for d in (outcome.details or {}).get("devices", [])]
    return [s for s in polls if isinstance(s, int | float)]


def _mbps(key: str, scale: float = 1e6) -> Callable[[dict[str, Any], str], str]:
    def cell(r: dict[str, Any], _lang: str) -> str:
        value = r.get(key)
        return "-" if value is None else f"{value / scale:.2f} Mbps"

    return cell


CHECK_COLUMNS = (
    status_column(),
    Column("ifIndex", "ifIndex", lambda r, _lang: str(r.get("if_index", "-"))),
    Column("Antarmuka", "Interface", lambda r, _lang: r.get("if_name") or "-"),
    Column("Port", "Port", lambda r, _lang: r.get("oper_status") or "-"),
    Column("Kecepatan", "Speed", _mbps("speed_mbps", 1)),
    Column("Masuk", "In", _mbps("in_bps")),
    Column("Keluar", "Out", _mbps("out_bps")),
    target_column(),
)


# --- `sigap check snmp`: the check now, nothing recorded


@click.command("snmp")
@click.argument("hosts", metavar="HOST[:PORT]...", nargs=-1, required=True)
@click.option("--community", help="SNMP v2c community.")
@click.option("--user", "v3_user", help="SNMPv3 user (authPriv with --auth-key and --priv-key).")
@click.option("--auth-key", help="SNMPv3 authentication pass phrase.")
@click.option("--auth-protocol", type=click.Choice(sorted(AUTH_PROTOCOLS)), default="SHA", show_default=True)
@click.option("--priv-key", help="SNMPv3 privacy pass phrase.")
@click.option("--priv-protocol", type=click.Choice(sorted(PRIV_PROTOCOLS)), default="AES", show_default=True)
@click.option(
    "--interval",
    "interval_s",
    type=click.FloatRange(min=1),
    default=10.0,
    help="Seconds between the two polls (10).",
)
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.05), help="Seconds per request (2).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per interface and line.")
@click.pass_obj
@bad_input_exits
def check_snmp_cmd(
    obj: Any,
    hosts: tuple[str, ...],
    community: str | None,
    v3_user: str | None,
    auth_key: str | None,
    auth_protocol: str,
    priv_key: str | None,
    priv_protocol: str,
    interval_s: float,
    timeout_s: float | None,
    as_json: bool,
) -> None:
    """Bits/s, port state and speed of every interface: two polls --interval apart."""
    import asyncio

    from checks.snmp import Credentials, Device, SnmpSettings, sample_twice

    from ..config import parse_host_port

    if bool(community) == bool(v3_user):
        raise InputError("option --community: give --community (v2c) or --user (v3), one of them")
    if v3_user and not (auth_key and priv_key):
        raise InputError("option --user: SNMPv3 needs --auth-key and --priv-key (authPriv)")
    for key, name in ((auth_key, "--auth-key"), (priv_key, "--priv-key")):
        if key is not None and len(key) < 8:
            raise InputError(f"option {name}: SNMPv3 pass phrases have at least 8 characters")
    credentials = Credentials(community, v3_user, auth_protocol, auth_key, priv_protocol, priv_key)
    devices = []
    for text in hosts:
        try:
            host, port = parse_host_port(text, 161)
        except ValueError as exc:
            raise InputError(f"argument HOST: {exc}") from None
        devices.append(Device(text, host, port, credentials))
    config = obj.optional_config()
    settings = config.snmp if config else SnmpSettings()
    if timeout_s is not None:
        settings = SnmpSettings(**{**settings.model_dump(), "timeout_s": timeout_s})
    results = asyncio.run(sample_twice(devices, settings, interval_s))
    lang = obj.lang
    emit(check_lines(results, lang), as_json, lambda rows: table(CHECK_COLUMNS, rows, lang))


SPEC = KindSpec(
    id=records.SNMP_BANDWIDTH,
    title_id="Bandwidth (SNMP)",
    title_en="Bandwidth (SNMP)",
    settings=SnmpSettings,
    section="snmp",
    targets=lambda config: [d.id for d in devices(config)],
    run=run,
    check_columns=CHECK_COLUMNS,
    check_command=check_snmp_cmd,
    resources={"snmp_engine": (_engine, lambda engine: engine.close_dispatcher())},
    columns=_HEADERS,
    poll_seconds=_poll_seconds,
)
