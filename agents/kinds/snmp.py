"""The SNMP bandwidth agent: every device in targets.snmp_devices walked every 5 minutes, as
Polewali Mandar 13 step 9 ("Melaksanakan pekerjaan penyediaan bandwidth Perangkat Daerah"): is the
provider delivering what was contracted, and does the OPD need more?

Under-delivery and a silent device open the polman-13 case; an OPD link's interface going down is a
network fault and opens Polewali Mandar 15 step 1, the same case the link agent opens for that link.
A link bound to a MikroTik queue (`queue:`) opens the same polman-13 case for under-delivery, and for
a queue that holds the OPD at its own max-limit below the contract (our cap, not the provider's).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from checks.finding import Finding, render
from checks.snmp import (
    Contract,
    Credentials,
    Device,
    DeviceResult,
    InterfaceResult,
    QueueResult,
    RouterOsApi,
    SnmpSettings,
    Watch,
    check_snmp,
    device_as_dict,
    device_memory,
    interface_as_dict,
    queue_as_dict,
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


def routeros_api(entry: SnmpDevice) -> RouterOsApi | None:
    api = entry.routeros
    if api is None:
        return None
    return RouterOsApi(
        api.url,
        api.username,
        api.password.get_secret_value(),
        str(api.ca_file.expanduser()) if api.ca_file else None,
        api.verify,
    )


def _watch(link: Link, entry: SnmpDevice) -> Watch:
    # On a queue the device's `download` is the default (how its queues are set up); the link's wins.
    download = link.download or (entry.download if link.queue else "in")
    contract = Contract(link.id, link.contracted_down_mbps, link.contracted_up_mbps, download)
    return Watch(contract, link.if_index, link.if_name, link.speed_mbps, queue=link.queue)


def devices(config: Config) -> list[Device]:
    """This probe's devices, each with the OPD links whose interfaces or queues it carries."""
    links_by_device: dict[str, list[Link]] = {}
    for link in config.targets.links:
        if link.device:
            links_by_device.setdefault(link.device, []).append(link)
    out = []
    for entry in config.targets.snmp_devices:
        if not runs_here(entry.probe, config.probe):
            continue
        watches = tuple(_watch(link, entry) for link in links_by_device.get(entry.id, []))
        out.append(
            Device(
                entry.id,
                entry.host,
                entry.port,
                credentials(entry),
                watches,
                timeout_s=entry.timeout_s,
                retries=entry.retries,
                # The queue tables (and the API) only where a link is bound to a queue.
                queues=any(w.queue for w in watches),
                routeros=routeros_api(entry),
                queue_download=entry.download,
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
    if not unreachable:
        for q in result.queues:
            if q.link_id:
                out += _queue_cases(q, links[q.link_id], result.device)
    return out


def _capped_below_contract(q: QueueResult, link: Link) -> Finding | None:
    """queue_saturated in a direction whose max-limit is below the contract: the OPD is held under
    what was bought by our own queue."""
    contract = {"down": link.contracted_down_mbps, "up": link.contracted_up_mbps}
    for f in q.findings:
        if f.code == "queue_saturated" and f.limit["value"] < contract[f.observed["direction"]] * 0.99:
            return f
    return None


def _queue_cases(q: QueueResult, link: Link, device: str) -> list[CaseIntent]:
    """A queue-bound link's polman-13 case: the provider under the contract (as for an interface), or
    our own queue holding the OPD below it -- a different cause, said in the title."""
    under = next((f for f in q.findings if f.code == "bw_under_delivery"), None)
    capped = _capped_below_contract(q, link)
    data = {"opd": link.opd, "provider": link.provider, "device": device, "queue": q.name}
    if under is not None:
        title = f"Bandwidth {link.opd} di bawah kontrak: {render(TEMPLATES, under, 'id')}"
        return [CaseIntent(link.id, True, title, CASE_ROLE, data={**data, "observed": under.observed})]
    if capped is not None:
        title = (
            f"Bandwidth {link.opd} dibatasi antrean {q.name} di {device} di bawah kontrak: "
            f"{render(TEMPLATES, capped, 'id')}"
        )
        return [CaseIntent(link.id, True, title, CASE_ROLE, data={**data, "observed": capped.observed})]
    if q.download_bps is not None or q.upload_bps is not None:
        return [CaseIntent(target=link.id, failing=False, note="bandwidth kembali sesuai kontrak")]
    return []


def check_lines(results: list[DeviceResult], lang: str) -> list[dict[str, Any]]:
    """`sigap check snmp`: one line per interface, and the device's own line before them whenever it
    has something to say of itself (rebooted, silent, no interface table) -- not only when it has no
    interfaces, or a reboot between the two polls was never shown."""
    out = []
    for r in results:
        if not r.interfaces or any(f.code != "device_ok" for f in r.findings):
            out.append(device_as_dict(r, lang))
        out += [interface_as_dict(i, lang) for i in r.interfaces]
        out += [queue_as_dict(q, lang) for q in r.queues]
    return out


def _mbps_cell(bps: float | None) -> str:
    return "" if bps is None else f"{bps / 1e6:.2f}"


def _queue_row(q: QueueResult, lang: str) -> list[Any]:
    """A queue in the recap: the queue's name where an interface's is, its max-limit as the speed,
    download and upload where in and out are (a queue is seen from its target, the OPD)."""
    limits = "/".join("-" if v is None else f"{v:g}" for v in (q.max_limit_down_mbps, q.max_limit_up_mbps))
    return [
        q.device,
        "",
        f"queue:{q.name}",
        q.type or "",
        q.link_id or "",
        "disabled" if q.disabled else "",
        limits,
        _mbps_cell(q.download_bps),
        _mbps_cell(q.upload_bps),
        "" if q.down_util_pct is None else q.down_util_pct,
        "" if q.up_util_pct is None else q.up_util_pct,
        q.status,
        "; ".join(render(TEMPLATES, f, lang) for f in q.findings if f.status != "ok"),
    ]


def _row(r: InterfaceResult, lang: str) -> list[Any]:
    mbps = _mbps_cell

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
    targets = devices(config)
    holder = ctx.resources.get("snmp_engine")
    # SNMPv2c needs no pysnmp engine (checks/snmp/wire.py): it is made only when a v3 device is polled.
    engine = holder.get() if holder is not None and any(d.credentials.user for d in targets) else None
    memory = ctx.memory
    results = await _check(ctx, targets, memory, settings, engine)
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
        for q in result.queues:
            rows.append(_queue_row(q, lang))
            if q.link_id:  # a spare queue is in the recap, not in the ledger
                where = {"device": q.device, "queue": q.name, "queue_type": q.type}
                findings += finding_records(TEMPLATES, q.findings, q.target, where)
                samples += _queue_samples(q)
        if result.memory is not None:  # an unreachable device keeps what it had, for the next rate
            states[result.device] = device_memory(result)
        cases += _cases(result, links)
    write_csv(output_path, _HEADERS[lang if lang in _HEADERS else "id"], rows)
    up = sum(1 for r in results if r.memory is not None)
    measured = [i for r in results for i in r.interfaces if i.link_id and i.in_bps is not None]
    measured += [
        q
        for r in results
        for q in r.queues
        if q.link_id and (q.download_bps is not None or q.upload_bps is not None)
    ]
    counts = count_by(
        (f.code for f in findings), ("bw_over_use", "bw_under_delivery", "if_down", "queue_saturated")
    )
    queues = sum(len(r.queues) for r in results)
    summary = (
        f"{len(results)} perangkat ({up} menjawab), {sum(len(r.interfaces) for r in results)} antarmuka, "
        + (f"{queues} antrean, " if queues else "")
        + f"{len(measured)} tautan OPD terukur, {counts['bw_over_use']} pemakaian berlebih, "
        f"{counts['bw_under_delivery']} di bawah kontrak, {counts['if_down']} port mati"
        + (f", {counts['queue_saturated']} antrean jenuh" if queues else "")
    )
    return AgentOutcome(
        findings=findings,
        summary=summary,
        output_kind="rekap_bandwidth",
        output_ref=str(output_path),
        details=records.SnmpRunDetails(
            devices=[device_as_dict(r, lang) for r in results],
            links=[interface_as_dict(i, lang) for r in results for i in r.interfaces if i.link_id],
            queues=[queue_record(q, lang) for r in results for q in r.queues if q.link_id],
        ).as_json(),
        cases=cases,
        states=states,
        samples=samples,
    )


def queue_record(q: QueueResult, lang: str) -> records.QueueLinkRow:
    """A bound queue as the run records it (step_runs.details["queues"]): the keys of its
    `sigap check snmp --queues --json` line, typed by the ledger's contract, which the weekly report
    reads back (its name and max-limit beside the link's p95)."""
    return records.QueueLinkRow.model_validate(queue_as_dict(q, lang))


def _queue_samples(q: QueueResult) -> list[tuple[str, datetime, float]]:
    """The bound queue's download and upload, as an interface link's (a tree queue has one of them),
    stamped with the poll's own time."""
    if not q.link_id or not q.memory or not q.memory.get("history"):
        return []
    if q.download_bps is None and q.upload_bps is None:
        return []
    _start, end, down, up = q.memory["history"][-1]
    at = datetime.fromtimestamp(end, UTC)
    out = []
    if down is not None:
        out.append((records.bw_down_bps(q.link_id), at, down))
    if up is not None:
        out.append((records.bw_up_bps(q.link_id), at, up))
    return out


async def _check(
    ctx: RunContext, targets: list[Device], memory: dict[str, Any], settings: Any, engine: Any
) -> list[DeviceResult]:
    """The poll: in `snmp.workers` processes (the service's, kept between runs; or made for this one
    run, as `sigap run`), or in this process (workers 1)."""
    if settings.workers <= 1:
        return await check_snmp(targets, memory, settings, engine=engine, clock=time.time)
    from checks.snmp.workers import SnmpWorkers

    pool = ctx.resources.get("snmp_workers")
    own = pool is None
    pool = SnmpWorkers() if own else pool
    try:
        return await pool.check(targets, memory, settings, engine=engine)
    finally:
        if own:
            pool.close()


def _workers() -> Any:
    from checks.snmp.workers import SnmpWorkers

    return SnmpWorkers()  # no process yet: they start at the first run that needs them


class _Engine:
    """One SNMP engine for the life of the service, made at the first run with an SNMPv3 device: a new
    one per run costs a socket, a dispatcher and its discovery of every SNMPv3 device's engine id
    again. SNMPv2c goes without it (wire.py), so a v2c-only office never imports pysnmp."""

    def __init__(self) -> None:
        self.engine: Any = None

    def get(self) -> Any:
        if self.engine is None:
            from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

            self.engine = SnmpEngine()
        return self.engine

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close_dispatcher()
            self.engine = None


def _poll_seconds(outcome: AgentOutcome) -> list[float]:
    polls = [d.get("poll_s") for d in (outcome.details or {}).get("devices", [])]
    return [s for s in polls if isinstance(s, int | float)]


def _mbps(key: str, scale: float = 1e6) -> Callable[[dict[str, Any], str], str]:
    def cell(r: dict[str, Any], _lang: str) -> str:
        value = r.get(key)
        return "-" if value is None else f"{value / scale:.2f} Mbps"

    return cell


Cell = Callable[[dict[str, Any], str], str]


def _either(port_cell: Cell, queue_cell: Cell) -> Cell:
    """A queue line (`kind: queue`) fills the interface columns with its own: its name, its state, its
    max-limit (download) as the speed, its download and upload as in and out (seen from its target)."""

    def cell(r: dict[str, Any], lang: str) -> str:
        return queue_cell(r, lang) if r.get("kind") == "queue" else port_cell(r, lang)

    return cell


CHECK_COLUMNS = (
    status_column(),
    Column("ifIndex", "ifIndex", lambda r, _lang: str(r.get("if_index", "-"))),
    Column(
        "Antarmuka",
        "Interface",
        _either(
            lambda r, _lang: r.get("if_name") or "-",
            lambda r, _lang: f"queue:{r['name']} ({r['type'] or '?'})",
        ),
    ),
    Column(
        "Port",
        "Port",
        _either(
            lambda r, _lang: r.get("oper_status") or "-",
            lambda r, _lang: {True: "disabled", False: "enabled"}.get(r.get("disabled"), "-"),
        ),
    ),
    Column("Kecepatan", "Speed", _either(_mbps("speed_mbps", 1), _mbps("max_limit_down_mbps", 1))),
    Column("Masuk", "In", _either(_mbps("in_bps"), _mbps("download_bps"))),
    Column("Keluar", "Out", _either(_mbps("out_bps"), _mbps("upload_bps"))),
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
@click.option("--queues", is_flag=True, help="MikroTik: also one line per simple and tree queue.")
@click.option(
    "--routeros-url", help="MikroTik API for the queues' max-limit: https://ROUTER, api-ssl://ROUTER."
)
@click.option("--routeros-user", help="RouterOS API user (a read-only group is enough).")
@click.option("--routeros-password-env", metavar="VAR", help="Environment variable holding its password.")
@click.option("--routeros-ca-file", type=click.Path(dir_okay=False), help="Office CA or the router's cert.")
@click.option("--routeros-insecure", is_flag=True, help="Do not verify the router's certificate.")
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
    queues: bool,
    routeros_url: str | None,
    routeros_user: str | None,
    routeros_password_env: str | None,
    routeros_ca_file: str | None,
    routeros_insecure: bool,
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
    api = _cli_routeros(
        queues, routeros_url, routeros_user, routeros_password_env, routeros_ca_file, routeros_insecure
    )
    if api is not None and len(hosts) > 1:
        raise InputError("option --routeros-url: one router's API, so one HOST")
    devices = []
    for text in hosts:
        try:
            host, port = parse_host_port(text, 161)
        except ValueError as exc:
            raise InputError(f"argument HOST: {exc}") from None
        devices.append(Device(text, host, port, credentials, queues=queues, routeros=api))
    config = obj.optional_config()
    settings = config.snmp if config else SnmpSettings()
    if timeout_s is not None:
        settings = SnmpSettings(**{**settings.model_dump(), "timeout_s": timeout_s})
    results = asyncio.run(sample_twice(devices, settings, interval_s))
    lang = obj.lang
    emit(check_lines(results, lang), as_json, lambda rows: table(CHECK_COLUMNS, rows, lang))


def _cli_routeros(
    queues: bool,
    url: str | None,
    user: str | None,
    password_env: str | None,
    ca_file: str | None,
    insecure: bool,
) -> RouterOsApi | None:
    """--routeros-*: checked as the config's `routeros:` is (same model), the password from the
    environment only (a command line is seen by every user of the machine)."""
    import os

    from pydantic import ValidationError

    from ..config.targets import RouterOs

    given = [
        name
        for name, value in (
            ("--routeros-url", url),
            ("--routeros-user", user),
            ("--routeros-password-env", password_env),
            ("--routeros-ca-file", ca_file),
            ("--routeros-insecure", insecure),
        )
        if value
    ]
    if not given:
        return None
    if not queues:
        raise InputError(f"option {given[0]}: the RouterOS API is read for the queues: add --queues")
    needed = (("--routeros-url", url), ("--routeros-user", user), ("--routeros-password-env", password_env))
    for name, value in needed:
        if not value:
            raise InputError(f"option {name}: needed with {given[0]}")
    if ca_file and insecure:
        raise InputError("option --routeros-insecure: not with --routeros-ca-file (verify, or not at all)")
    assert password_env is not None and url is not None and user is not None
    if password_env not in os.environ:
        raise InputError(f"option --routeros-password-env: environment variable {password_env} is not set")
    ca = str(Path(ca_file).resolve()) if ca_file else None
    try:
        model = RouterOs(
            url=url, username=user, password=os.environ[password_env], ca_file=ca, verify=not insecure
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        text = problem["msg"].removeprefix("Value error, ")
        field = str(problem["loc"][0]) if problem["loc"] else text.partition(":")[0]
        option = {"ca_file": "--routeros-ca-file", "username": "--routeros-user"}.get(field, "--routeros-url")
        raise InputError(f"option {option}: {text.removeprefix(field + ': ')}") from None
    return RouterOsApi(url, user, model.password.get_secret_value(), ca, not insecure)


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
    resources={
        "snmp_engine": (_Engine, lambda engine: engine.close()),
        "snmp_workers": (_workers, lambda workers: workers.close()),
    },
    columns=_HEADERS,
    poll_seconds=_poll_seconds,
)
