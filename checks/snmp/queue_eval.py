"""From the walked queue tables and the RouterOS API's limits to one result per MikroTik queue: rates
with the interfaces' wrap/reset/reboot discipline, the contract's over-use and under-delivery, and what
only a queue can say -- its max-limit against the contract, traffic held at its own limit (the OPD is
capped by us, not by the provider), a bound queue gone or disabled. Pure: polls and memory in,
results and the next memory out.
"""

from __future__ import annotations

from typing import Any, Literal

from ..finding import Finding, quantity, worst
from .model import Device, DevicePoll, Interface, QueueResult, SnmpSettings, Watch
from .queue_findings import limit_findings, traffic_findings
from .queues import QueueConfig, QueueRow, oriented, queue_configs, queue_rows, tree_direction
from .rates import CounterSample, rate
from .speed import CONTRACT_CEILING

_RESETS = ("counter_reset", "queue_recreated")


def memory_key(kind: str, name: str) -> str:
    """Where a queue's memory sits beside the interfaces' (keyed by ifIndex) in the device's state."""
    return f"queue:{kind}:{name}"


def _port_download(device: Device, found: list[Interface], bound: dict[int, Watch]) -> dict[str, str]:
    """Interface name -> the `download` of the link bound to it (a tree queue's direction)."""
    return {i.name: bound[i.index].contract.download for i in found if i.index in bound}


def evaluate_queues(
    device: Device,
    poll: DevicePoll,
    memory: dict[str, dict[str, Any]],
    settings: SnmpSettings,
    found: list[Interface],
    bound: dict[int, Watch],
) -> tuple[list[QueueResult], list[Finding]]:
    """Every queue of the device, and the device's own word on them (API or walk failed)."""
    said: list[Finding] = []
    if poll.queue_error:
        said.append(Finding("queue_walk_failed", "unknown", {"host": device.host, "error": poll.queue_error}))
    limits = poll.limits
    if limits is not None and limits.error:
        url = device.routeros.url if device.routeros else ""
        said.append(Finding("routeros_api_failed", "unknown", {"url": url, "error": limits.error}))
    unread = None if limits is not None and not limits.error else ("api_failed" if limits else "no_api")
    configs = queue_configs(limits)
    rows = queue_rows(poll.queue_table)
    walked = {(r.type, r.name): r for r in rows}
    trees = {r.index: r for r in rows if r.type == "tree"}
    api_parents = {c.name: c.parent for c in configs.values() if c.type == "tree" and c.parent}
    ports = _port_download(device, found, bound)
    names = {i.index: i.name for i in found}
    watches: dict[tuple[str, str], Watch] = {}
    absent: list[Watch] = []
    for w in device.watches:
        if w.queue is None:
            continue
        key = next(((t, w.queue) for t in ("simple", "tree") if (t, w.queue) in walked), None)
        key = key or next(((t, w.queue) for t in ("simple", "tree") if (t, w.queue) in configs), None)
        if key is None:
            absent.append(w)
        else:
            watches[key] = w
    results = []
    for row in rows:
        key = (row.type, row.name)
        direction = tree_direction(row.name, trees, names, ports, api_parents) if row.type == "tree" else None
        results.append(
            _evaluate_queue(
                device, row, configs.get(key), unread, memory.get(memory_key(*key)), watches.get(key),
                poll, settings, direction,
            )
        )  # fmt: skip
    for key, config in configs.items():
        if key not in walked:  # listed by the API only: disabled, or (rarely) not in SNMP
            results.append(_api_only(device, config, watches.get(key)))
    for w in absent:
        where = "snmp" if unread else "snmp+api"
        gone = Finding("queue_missing", "unknown", {"name": w.queue, "device": device.id, "where": where})
        results.append(unmeasured_queue(device, w, gone))
    return results, said


def _limits(
    config: QueueConfig | None, row_type: str, download: Literal["in", "out"], direction: str | None
) -> tuple[tuple[float | None, float | None], tuple[float | None, float | None]]:
    """(max-limit down, up), (limit-at down, up) for the OPD."""
    if config is None:
        return (None, None), (None, None)
    if row_type == "tree":
        one = (config.single, None) if direction == "down" else (None, config.single)
        at = (config.single_at, None) if direction == "down" else (None, config.single_at)
        return one, at
    limit = oriented((config.max_limit_down, config.max_limit_up), download)
    at = oriented((config.limit_at_down, config.limit_at_up), download)
    return limit, at


def _evaluate_queue(
    device: Device,
    row: QueueRow,
    config: QueueConfig | None,
    unread: str | None,
    prev: dict[str, Any] | None,
    watch: Watch | None,
    poll: DevicePoll,
    settings: SnmpSettings,
    tree: tuple[Literal["down", "up"], str, str | None] | None,
) -> QueueResult:
    prev = prev or {}
    contract = watch.contract if watch else None
    download = contract.download if contract else device.queue_download
    direction, direction_from, parent = tree if tree else (None, None, None)
    (lim_down, lim_up), (at_down, at_up) = _limits(config, row.type, download, direction)
    findings: list[Finding] = []
    unread = unread or (None if config else "not_in_api")
    if unread:
        findings.append(Finding("queue_limit_unread", "ok", {"name": row.name, "reason": unread}))
    result = QueueResult(
        target=contract.link_id if contract else f"{device.id}/queue:{row.name}",
        device=device.id,
        name=row.name,
        type=row.type,
        index=row.index,
        download_bps=None,
        upload_bps=None,
        max_limit_down_mbps=lim_down,
        max_limit_up_mbps=lim_up,
        status="ok",
        findings=findings,
        limit_at_down_mbps=at_down,
        limit_at_up_mbps=at_up,
        disabled=config.disabled if config else None,
        parent=parent if row.type == "tree" else None,
        direction=direction,
        direction_from=direction_from,
        link_id=contract.link_id if contract else None,
    )
    if contract:
        findings += limit_findings(row.name, (lim_down, lim_up), contract, direction)
    if config is not None and config.disabled:
        # Not shaping, and its counters stand still: no rate, and the next one starts afresh.
        findings.append(
            Finding("queue_disabled", "warn" if watch else "ok", {"name": row.name, "device": device.id})
        )
        result.no_rate_reason = "disabled"
        result.memory = {"index": row.index, "sample": None, "history": []}
        return _finish(result)
    at = row.read_at or poll.at
    sample = CounterSample(at, poll.uptime_ticks, row.in_octets, row.out_octets, row.bits)
    history = [e for e in prev.get("history", []) if e[1] > at - 2 * settings.window_minutes * 60]
    previous = CounterSample.from_json(prev["sample"]) if prev.get("sample") else None
    if row.bits == 0:
        reason, in_bps, out_bps = "no_counter", None, None
    elif previous is not None and prev.get("index") not in (None, row.index):
        reason, in_bps, out_bps = "queue_recreated", None, None  # same name, new .id: a new counter
    else:
        top = max(
            [x for x in (lim_down, lim_up) if x]
            + ([contract.down_mbps, contract.up_mbps] if contract else []),
            default=0,
        )
        r = rate(previous, sample, ceiling_bps=top * 1e6 * CONTRACT_CEILING or None)
        reason, in_bps, out_bps = r.reason, r.in_bps, r.out_bps
    result.no_rate_reason = reason
    if reason in _RESETS:
        # Counters that went back are a queue removed and made again (or reset): never a spike.
        findings.append(
            Finding("queue_reset", "ok", {"name": row.name, "reason": reason}, quantity(reason, "reason"))
        )
    elif reason and reason not in ("first_sample", "reboot", "no_counter"):
        findings.append(
            Finding("counter_discontinuity", "ok", {"reason": reason}, quantity(reason, "reason"))
        )
    if in_bps is not None and out_bps is not None and previous is not None:
        if row.type == "tree":
            down, up = (in_bps, None) if direction == "down" else (None, in_bps)
        else:
            down, up = oriented((in_bps, out_bps), download)
        result.download_bps, result.upload_bps = down, up
        history.append([previous.at, at, down, up])
        findings += traffic_findings(result, contract, history, at, settings)
    result.memory = {"index": row.index, "sample": sample.to_json() if row.bits else None, "history": history}
    return _finish(result)


def _finish(result: QueueResult) -> QueueResult:
    result.status = worst(f.status for f in result.findings)  # type: ignore[assignment]
    return result


def _api_only(device: Device, config: QueueConfig, watch: Watch | None) -> QueueResult:
    """A queue the API lists and SNMP does not: a disabled one (RouterOS may leave it out), or one
    SNMP has not caught up with."""
    contract = watch.contract if watch else None
    if config.disabled:
        finding = Finding(
            "queue_disabled", "warn" if watch else "ok", {"name": config.name, "device": device.id}
        )
    else:
        finding = Finding(
            "queue_missing",
            "unknown" if watch else "ok",
            {"name": config.name, "device": device.id, "where": "snmp"},
        )
    download = contract.download if contract else device.queue_download
    (down, up), (at_down, at_up) = _limits(config, config.type, download, "down")
    findings = [finding] + (
        limit_findings(config.name, (down, up), contract, None)
        if contract and config.type == "simple"
        else []
    )
    return _finish(
        QueueResult(
            target=contract.link_id if contract else f"{device.id}/queue:{config.name}",
            device=device.id,
            name=config.name,
            type=config.type,
            index=None,
            download_bps=None,
            upload_bps=None,
            max_limit_down_mbps=down,
            max_limit_up_mbps=up,
            status="ok",
            findings=findings,
            limit_at_down_mbps=at_down,
            limit_at_up_mbps=at_up,
            disabled=config.disabled,
            parent=config.parent,
            link_id=contract.link_id if contract else None,
            no_rate_reason="disabled" if config.disabled else "not_in_snmp",
        )
    )


def unmeasured_queue(device: Device, watch: Watch, finding: Finding) -> QueueResult:
    """A bound queue with no measurement this run (device silent, queue gone, a bug)."""
    return QueueResult(
        target=watch.contract.link_id,
        device=device.id,
        name=watch.queue or "",
        type=None,
        index=None,
        download_bps=None,
        upload_bps=None,
        max_limit_down_mbps=None,
        max_limit_up_mbps=None,
        status=finding.status,
        findings=[finding],
        link_id=watch.contract.link_id,
    )
