"""SNMP bandwidth: interface discovery, 64-bit counters with 32-bit fallback, wrap/reboot-safe rates,
utilisation against the contracted rate, interface state. fetch -> parse -> evaluate."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ..finding import as_dicts
from .evaluate import evaluate_isolated, plan
from .messages import TEMPLATES
from .model import (
    AUTH_PROTOCOLS,
    PRIV_PROTOCOLS,
    Contract,
    Credentials,
    Device,
    DevicePoll,
    DeviceResult,
    InterfaceResult,
    QueueResult,
    RouterOsApi,
    SnmpSettings,
    Watch,
)
from .queue_eval import memory_key

# pysnmp takes ~0.3 s to import: only the functions that poll load it (fetch), so the CLI and the
# config stay quick.

__all__ = [
    "AUTH_PROTOCOLS",
    "PRIV_PROTOCOLS",
    "Contract",
    "Credentials",
    "Device",
    "DeviceResult",
    "InterfaceResult",
    "QueueResult",
    "RouterOsApi",
    "SnmpSettings",
    "Watch",
    "check_snmp",
    "device_as_dict",
    "device_memory",
    "interface_as_dict",
    "queue_as_dict",
    "sample_twice",
]

log = logging.getLogger("sigap.checks.snmp")


async def check_snmp(
    devices: list[Device],
    memory: dict[str, dict[str, dict[str, Any]]],
    settings: SnmpSettings,
    *,
    engine: Any = None,
    clock: Callable[[], float] = time.time,
    on_result: Callable[[int, DeviceResult], None] | None = None,
) -> list[DeviceResult]:
    """`memory`: per device id, what its last run left (see evaluate_device). `engine`: the
    process's SnmpEngine (SNMPv3), or None for one made and closed for this call. Each device is
    evaluated as soon as its poll ends; `on_result(position, result)` then (a poll worker streams it)."""
    from .fetch import poll_all

    plans = [_plan(d, memory.get(d.id, {}), clock(), settings) for d in devices]
    results: list[DeviceResult | None] = [None] * len(devices)

    def done(pos: int, poll: DevicePoll) -> None:
        device = devices[pos]
        results[pos] = evaluate_isolated(device, poll, memory.get(device.id, {}), settings)
        if on_result is not None:
            on_result(pos, results[pos])

    await poll_all(devices, settings, engine=engine, plans=plans, clock=clock, done=done)
    return [r for r in results if r is not None]


def _plan(
    device: Device, memory: dict[str, dict[str, Any]], now: float, settings: SnmpSettings
) -> list[str] | None:
    """The device's routine columns; a full walk when its memory cannot be read (logged once)."""
    try:
        return plan(memory, now, settings)
    except Exception:
        log.exception("unreadable memory of SNMP device %s: walking every column", device.id)
        return None


async def sample_twice(
    devices: list[Device],
    settings: SnmpSettings,
    interval_s: float,
    *,
    clock: Callable[[], float] = time.time,
) -> list[DeviceResult]:
    """Two polls `interval_s` apart over one engine: the second has rates (`sigap check snmp`)."""
    engine = None
    if any(d.credentials.user for d in devices):  # SNMPv3 keeps its engine ids between the two polls
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

        engine = SnmpEngine()
    try:
        first = await check_snmp(devices, {}, settings, engine=engine, clock=clock)
        memory = {r.device: device_memory(r) for r in first}
        await asyncio.sleep(interval_s)
        return await check_snmp(devices, memory, settings, engine=engine, clock=clock)
    finally:
        if engine is not None:
            engine.close_dispatcher()


def device_memory(result: DeviceResult) -> dict[str, dict[str, Any]]:
    """What to keep for the device's next run; an unreachable device keeps what it had."""
    out: dict[str, dict[str, Any]] = {}
    if result.memory:
        out["device"] = result.memory
    for i in result.interfaces:
        if i.memory is not None:
            out[str(i.if_index)] = i.memory
    for q in result.queues:
        if q.memory is not None and q.type is not None:
            out[memory_key(q.type, q.name)] = q.memory
    return out


def interface_as_dict(result: InterfaceResult, lang: str = "id") -> dict[str, Any]:
    """The `sigap check snmp --json` contract: one object per interface."""
    return {
        "kind": "interface",
        "target": result.target,
        "device": result.device,
        "if_index": result.if_index,
        "if_name": result.if_name,
        "if_alias": result.if_alias,
        "oper_status": result.oper_status,
        "admin_status": result.admin_status,
        "in_bps": None if result.in_bps is None else round(result.in_bps),
        "out_bps": None if result.out_bps is None else round(result.out_bps),
        "speed_mbps": result.speed_mbps,
        "speed_suspect": result.speed_suspect,
        "link": result.link_id,
        "down_util_pct": result.down_util_pct,
        "up_util_pct": result.up_util_pct,
        "no_rate_reason": result.no_rate_reason,
        "status": result.status,
        "findings": as_dicts(TEMPLATES, result.findings, lang),
    }


def device_as_dict(result: DeviceResult, lang: str = "id") -> dict[str, Any]:
    """The device's own line: what it said of itself (rebooted, silent), beside its interfaces' lines."""
    return {
        "kind": "device",
        "target": result.device,
        "host": result.host,
        "status": result.status,
        "uptime_ticks": result.uptime_ticks,
        "poll_s": result.poll_s,
        "findings": as_dicts(TEMPLATES, result.findings, lang),
    }


def queue_as_dict(result: QueueResult, lang: str = "id") -> dict[str, Any]:
    """The `sigap check snmp --queues --json` contract: one object per MikroTik queue. Download is the
    traffic towards the queue's target (the OPD); a limit is None when not read, 0 when unlimited; a
    tree queue's one rate and limit stand in the fields of its `direction`."""

    def bps(value: float | None) -> int | None:
        return None if value is None else round(value)

    return {
        "kind": "queue",
        "target": result.target,
        "device": result.device,
        "name": result.name,
        "type": result.type,
        "index": result.index,
        "download_bps": bps(result.download_bps),
        "upload_bps": bps(result.upload_bps),
        "max_limit_down_mbps": result.max_limit_down_mbps,
        "max_limit_up_mbps": result.max_limit_up_mbps,
        "limit_at_down_mbps": result.limit_at_down_mbps,
        "limit_at_up_mbps": result.limit_at_up_mbps,
        "disabled": result.disabled,
        "parent": result.parent,
        "direction": result.direction,
        "direction_from": result.direction_from,
        "link": result.link_id,
        "down_util_pct": result.down_util_pct,
        "up_util_pct": result.up_util_pct,
        "no_rate_reason": result.no_rate_reason,
        "status": result.status,
        "findings": as_dicts(TEMPLATES, result.findings, lang),
    }


# The operator's `snmp:` section of the config file: agents/config picks it up from here.
OPERATOR_SECTION = ("snmp", SnmpSettings)
