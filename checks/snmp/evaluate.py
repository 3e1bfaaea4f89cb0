"""From two polls to findings: rates, utilisation against the contract, over-use and under-delivery
over a window, interface and device state. Pure: the polls, the previous memory and the settings
come in; results and the memory for the next run go out.
"""

from __future__ import annotations

import logging
from typing import Any

from ..finding import Finding, internal_error, quantity, worst
from .contract import contract_findings, mbps, pct
from .model import (
    DOWN_STATES,
    Device,
    DevicePoll,
    DeviceResult,
    Interface,
    InterfaceResult,
    QueueResult,
    SnmpSettings,
    Watch,
)
from .parse import interfaces, inventory_of, normalise_index, pair_foreign_rows, routine_columns
from .queue_eval import evaluate_queues, unmeasured_queue
from .rates import CounterSample, rate
from .speed import ceiling_bps, known_placeholder, speed_findings, track_placeholder

log = logging.getLogger("sigap.checks.snmp")


def match_watches(device: Device, found: list[Interface]) -> tuple[dict[int, Watch], list[Watch]]:
    """ifIndex -> the link bound to it, and the bindings that match no interface on the device."""
    by_index = {i.index: i for i in found}
    by_name: dict[str, Interface] = {}
    for i in found:
        by_name.setdefault(i.name, i)
        by_name.setdefault(i.descr, i)
    bound: dict[int, Watch] = {}
    missing = []
    for watch in device.watches:
        if watch.queue is not None:
            continue  # a MikroTik queue, not an interface (queue_eval)
        iface = (
            by_index.get(normalise_index(watch.if_index))
            if watch.if_index is not None
            else by_name.get(watch.if_name or "")
        )
        if iface is None:
            missing.append(watch)
        else:
            bound[iface.index] = watch
    return bound, missing


def _state_findings(iface: Interface, prev: dict[str, Any], watched: bool) -> list[Finding]:
    out = []
    if iface.admin == "down":
        # Switched off on purpose: worth a word on a contracted link, nothing on a spare port.
        out.append(Finding("if_admin_down", "warn" if watched else "ok", {"name": iface.name}))
    elif iface.oper in DOWN_STATES:
        was = prev.get("oper")
        out.append(
            Finding(
                "if_down",
                "crit" if watched else "warn",
                {"name": iface.name, "oper": iface.oper, "was": was},
                observed=quantity(iface.oper, "ifOperStatus"),
                limit=quantity("up", "ifOperStatus"),
            )
        )
    elif iface.oper not in ("up", None):
        out.append(
            Finding(
                "if_not_up",
                "warn",
                {"name": iface.name, "oper": iface.oper},
                observed=quantity(iface.oper, "ifOperStatus"),
            )
        )
    old_speed = prev.get("speed_mbps")
    if old_speed and iface.speed_mbps and old_speed != iface.speed_mbps:
        out.append(
            Finding(
                "speed_changed",
                "warn",
                {"old": old_speed, "new": iface.speed_mbps},
                observed=quantity(iface.speed_mbps, "Mbps"),
                limit=quantity(old_speed, "Mbps"),
            )
        )
    return out


def evaluate_interface(
    device: Device,
    iface: Interface,
    prev: dict[str, Any] | None,
    watch: Watch | None,
    uptime_ticks: int | None,
    at: float,
    settings: SnmpSettings,
) -> InterfaceResult:
    prev = prev or {}
    contract = watch.contract if watch else None
    configured = watch.speed_mbps if watch else None
    findings = _state_findings(iface, prev, watch is not None)
    placeholder = known_placeholder(iface, prev, configured)
    speed_bps = iface.speed_mbps * 1e6 if iface.speed_mbps else None
    at = iface.read_at or at
    sample = CounterSample(at, uptime_ticks, iface.in_octets, iface.out_octets, iface.bits, speed_bps)
    history = [e for e in prev.get("history", []) if e[1] > at - 2 * settings.window_minutes * 60]
    in_bps = out_bps = down_util = up_util = None
    reason = None
    previous: CounterSample | None = None
    if iface.bits == 0:
        reason = "no_counter"
        if watch:
            findings.append(Finding("no_counters", "unknown", {"name": iface.name}))
    else:
        if prev.get("sample"):
            previous = CounterSample.from_json(prev["sample"])
        r = rate(
            previous,
            sample,
            line_bps=configured * 1e6 if configured else None,
            speed_suspect=placeholder is not None,
            ceiling_bps=ceiling_bps(contract),
        )
        in_bps, out_bps, reason = r.in_bps, r.out_bps, r.reason
        placeholder = track_placeholder(placeholder, r, iface)
        if reason and reason not in ("first_sample", "reboot"):
            # No rate for this interval, on purpose: a reset or a wrap we cannot untangle is not traffic.
            gap = quantity(reason, "reason")
            findings.append(Finding("counter_discontinuity", "ok", {"reason": reason}, observed=gap))
    speed = configured or (None if placeholder else iface.speed_mbps)
    findings += speed_findings(iface, speed, placeholder, contract)
    if in_bps is not None and out_bps is not None and previous is not None:
        if contract:
            down, up = (in_bps, out_bps) if contract.download == "in" else (out_bps, in_bps)
            down_util = pct(down, contract.down_mbps * 1e6)
            up_util = pct(up, contract.up_mbps * 1e6)
            history.append([previous.at, at, down, up])
            findings.extend(contract_findings(contract, history, at, settings))
            findings.append(
                Finding(
                    "bw_contract",
                    "ok",
                    {
                        "in": mbps(in_bps),
                        "out": mbps(out_bps),
                        "down_pct": down_util,
                        "up_pct": up_util,
                        "contract": f"{contract.down_mbps:g}/{contract.up_mbps:g}",
                    },
                    # download is the `contract.download` counter
                    observed=quantity(
                        {"in": mbps(in_bps), "out": mbps(out_bps)}, "Mbps", download=contract.download
                    ),
                    limit=quantity({"down": contract.down_mbps, "up": contract.up_mbps}, "Mbps"),
                )
            )
        else:
            measured = {"in": mbps(in_bps), "out": mbps(out_bps)}
            findings.append(Finding("bw_measured", "ok", dict(measured), quantity(measured, "Mbps")))
    memory = {
        # Without counters there is nothing to compare next time; a discontinuity starts afresh.
        "sample": sample.to_json() if iface.bits else None,
        "oper": iface.oper,
        "speed_mbps": iface.speed_mbps,
        "speed_suspect": placeholder,
        "history": history,
    }
    return InterfaceResult(
        target=contract.link_id if contract else f"{device.id}/{iface.name}",
        device=device.id,
        if_index=iface.index,
        if_name=iface.name,
        if_alias=iface.alias,
        oper_status=iface.oper,
        admin_status=iface.admin,
        speed_mbps=configured or iface.speed_mbps,
        in_bps=in_bps,
        out_bps=out_bps,
        status=worst(f.status for f in findings),
        findings=findings,
        link_id=contract.link_id if contract else None,
        down_util_pct=down_util,
        up_util_pct=up_util,
        no_rate_reason=reason,
        memory=memory,
        speed_suspect=placeholder is not None,
    )


def plan(memory: dict[str, dict[str, Any]], now: float, settings: SnmpSettings) -> list[str] | None:
    """The columns the next poll walks: None (all of them) when there is no recent full walk."""
    inventory = memory.get("device", {}).get("inventory")
    if not inventory or inventory.get("stale") or now - inventory["at"] >= settings.rediscover_minutes * 60:
        return None
    return routine_columns(inventory)


def _unmeasured(device: Device, watch: Watch, finding: Finding) -> InterfaceResult:
    """A contracted link with no measurement this run (device silent, interface gone)."""
    return InterfaceResult(
        target=watch.contract.link_id,
        device=device.id,
        if_index=normalise_index(watch.if_index) if watch.if_index is not None else -1,
        if_name=watch.if_name or "",
        if_alias="",
        oper_status=None,
        admin_status=None,
        speed_mbps=None,
        in_bps=None,
        out_bps=None,
        status=finding.status,
        findings=[finding],
        link_id=watch.contract.link_id,
    )


def evaluate_device(
    device: Device,
    poll: DevicePoll,
    memory: dict[str, dict[str, Any]],
    settings: SnmpSettings,
) -> DeviceResult:
    """`memory`: this device's previous state, keyed "device" and by ifIndex (as text)."""
    prev_device = memory.get("device", {})
    if poll.failure is not None:
        return failed_device(device, poll.failure)
    if poll.error:
        finding = Finding("device_unreachable", "unknown", {"host": device.host, "error": poll.error})
        # The links it carries have no measurement this run: say so on each, keep their memory.
        ports, queues = _unmeasured_all(device, finding)
        return DeviceResult(
            device.id, device.host, "unknown", [finding], ports, poll_s=poll.elapsed_s, queues=queues
        )
    findings: list[Finding] = []
    old_uptime = prev_device.get("uptime")
    if old_uptime is not None and poll.uptime_ticks is not None and poll.uptime_ticks < old_uptime:
        findings.append(
            Finding(
                "device_rebooted",
                "warn",
                {"uptime": round(poll.uptime_ticks / 100 / 60, 1)},
                # sysUpTime in TimeTicks (1/100 s): lower than the last run's, so it restarted
                observed=quantity(poll.uptime_ticks, "tick"),
                limit=quantity(old_uptime, "tick"),
            )
        )
    inventory = prev_device.get("inventory")
    if poll.full or not inventory:
        pairs = pair_foreign_rows(poll.table)
        found = interfaces(poll.table, pairs)
        inventory = inventory_of(poll.table, pairs, found, poll.at)
    else:
        pairs = {int(x): i for x, i in inventory["pairs"].items()}
        found = interfaces(poll.table, pairs, inventory["rows"])
        if findings or any(str(i.index) not in inventory["rows"] for i in found):
            # Rebooted, or a new interface: the indexes may have moved; walk everything next time.
            inventory = {**inventory, "stale": True}
    if not found:
        findings.append(Finding("no_interfaces", "unknown", {"host": device.host}))
    bound, missing = match_watches(device, found)
    queues: list[QueueResult] = []
    if device.queues:
        queues, said = evaluate_queues(device, poll, memory, settings, found, bound)
        findings += said
    results = [
        evaluate_interface(
            device, i, memory.get(str(i.index)), bound.get(i.index), poll.uptime_ticks, poll.at, settings
        )
        for i in found
    ]
    for w in missing:
        absent = Finding(
            "interface_missing",
            "unknown",
            {"index": w.if_index, "name": w.if_name, "device": device.id},
        )
        results.append(_unmeasured(device, w, absent))
    if not findings:
        findings.append(Finding("device_ok", "ok", {"count": len(found), "requests": poll.requests}))
    return DeviceResult(
        device.id,
        device.host,
        worst(f.status for f in findings),
        findings,
        results,
        uptime_ticks=poll.uptime_ticks,
        memory={"uptime": poll.uptime_ticks, "at": poll.at, "inventory": inventory},
        poll_s=poll.elapsed_s,
        queues=queues,
    )


def _unmeasured_all(device: Device, finding: Finding) -> tuple[list[InterfaceResult], list[QueueResult]]:
    ports = [_unmeasured(device, w, finding) for w in device.watches if w.queue is None]
    return ports, [unmeasured_queue(device, w, finding) for w in device.watches if w.queue is not None]


def failed_device(device: Device, finding: Finding) -> DeviceResult:
    """A device whose poll or evaluation raised (a bug): UNKNOWN, and so is each link it carries.
    No memory: the device keeps what its last good run left, for the next rate."""
    ports, queues = _unmeasured_all(device, finding)
    return DeviceResult(device.id, device.host, finding.status, [finding], ports, queues=queues)


def evaluate_isolated(
    device: Device, poll: DevicePoll, memory: dict[str, dict[str, Any]], settings: SnmpSettings
) -> DeviceResult:
    """evaluate_device, with a bug on this device (say, memory of an older shape) UNKNOWN for it alone."""
    try:
        return evaluate_device(device, poll, memory, settings)
    except Exception as exc:
        return failed_device(device, internal_error(exc, log, device.id))
