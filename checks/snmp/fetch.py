"""The only part of the SNMP check that does I/O: one multi-column GETBULK walk of the interface
tables per device. SNMPv2c goes over one UDP socket per poll with the BER codec of wire.py; SNMPv3
over the process's one shared pysnmp SnmpEngine (engine.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from ..finding import internal_error
from .model import Credentials, Device, DevicePoll, SnmpSettings
from .queues import QUEUE_COLUMNS, QUEUE_TIMED, QUEUE_TYPED
from .routeros import read_limits
from .v2c import V2cClient
from .wire import SnmpFailure, Varbind, error_name

log = logging.getLogger("sigap.checks.snmp")

SYS_UPTIME_NEXT = (1, 3, 6, 1, 2, 1, 1, 3)  # GETNEXT of this is sysUpTime.0
# IF-MIB columns: ifTable (2.2.1) and ifXTable (31.1.1.1); the latter may be missing, partial or on
# other indexes (the parse step sorts that out).
COLUMNS = {
    "descr": "1.3.6.1.2.1.2.2.1.2",
    "speed": "1.3.6.1.2.1.2.2.1.5",
    "admin": "1.3.6.1.2.1.2.2.1.7",
    "oper": "1.3.6.1.2.1.2.2.1.8",
    "in32": "1.3.6.1.2.1.2.2.1.10",
    "out32": "1.3.6.1.2.1.2.2.1.16",
    "name": "1.3.6.1.2.1.31.1.1.1.1",
    "in64": "1.3.6.1.2.1.31.1.1.1.6",
    "out64": "1.3.6.1.2.1.31.1.1.1.10",
    "high_speed": "1.3.6.1.2.1.31.1.1.1.15",
    "alias": "1.3.6.1.2.1.31.1.1.1.18",
}


class Bulk(Protocol):
    """One GETBULK: (error status name, or None; varbinds as (OID tuple, value, typed Counter64))."""

    def __call__(
        self, non_repeaters: int, max_repetitions: int, oids: list[tuple[int, ...]]
    ) -> Awaitable[tuple[str | None, list[Varbind]]]: ...


class V2cBulk:
    """GETBULK of one SNMPv2c device over the poll's V2cClient."""

    def __init__(self, client: V2cClient, community: str) -> None:
        self.client, self.community = client, community
        self.target: tuple[int, Any] | None = None

    async def open(self, host: str, port: int, timeout: float, retries: int) -> None:
        self.target = await self.client.resolve(host, port)
        self.timeout, self.retries = timeout, retries

    async def __call__(
        self, non_repeaters: int, max_repetitions: int, oids: list[tuple[int, ...]]
    ) -> tuple[str | None, list[Varbind]]:
        assert self.target is not None
        status, _index, varbinds = await self.client.get_bulk(
            self.target, self.community, non_repeaters, max_repetitions, oids, self.timeout, self.retries
        )
        return (error_name(status), []) if status else (None, varbinds)


def _oid(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


async def walk_columns(
    bulk: Bulk,
    columns: dict[str, str],
    max_repetitions: int,
    clock: Callable[[], float] = time.time,
    leading: tuple[int, ...] | None = None,
) -> tuple[dict[str, dict[int, Any]], int, Any]:
    """All columns in step: each GETBULK carries one varbind per column not yet finished, so a device
    with 48 interfaces and 11 columns takes 2-3 round trips, not 11 walks. `leading`: an OID read once
    (GETNEXT) as the first request's non-repeater -- sysUpTime without a round trip of its own.

    The "in64_at"/"in32_at" columns hold, per row, the middle of the round trip that carried its octet
    counters: a rate needs the time the counter was read, not when the whole walk ended. The
    "in64_bits"/"out64_bits" columns hold the width the device typed its ifHC counters with: a Venustech
    VSOS firewall and a Metel PoE switch answer them as Counter32, which wrap at 2^32 like ifInOctets."""
    table: dict[str, dict[int, Any]] = {name: {} for name in columns}
    timed = {"in64", "in32", *QUEUE_TIMED} & set(columns)
    typed = {"in64", "out64", *QUEUE_TYPED} & set(columns)
    if set(columns) - set(QUEUE_COLUMNS):  # the interface tables: parse expects these four
        table["in64_at"], table["in32_at"] = {}, {}
        table["in64_bits"], table["out64_bits"] = {}, {}
    for name in timed:
        table[name + "_at"] = {}
    for name in typed:
        table[name + "_bits"] = {}
    prefixes = {name: _oid(oid) for name, oid in columns.items()}
    cursor = dict(prefixes)  # where each column continues
    requests = 0
    lead_value: Any = None
    lead_pending = leading is not None
    while cursor:
        names = list(cursor)
        lead = [leading] if lead_pending and leading is not None else []
        requests += 1
        sent = clock()
        status, varbinds = await bulk(len(lead), max_repetitions, [*lead, *(cursor[n] for n in names)])
        if status:
            if status == "tooBig" and max_repetitions > 1:
                max_repetitions = max(1, max_repetitions // 2)  # the device's buffer is smaller
                continue
            raise SnmpFailure(f"SNMP error {status}")
        if not varbinds:
            break
        read_at = (sent + clock()) / 2
        if lead:
            lead_value = varbinds[0][1]
            varbinds = varbinds[1:]
            lead_pending = False
        finished: set[str] = set()
        width = len(names)
        # The answer is row-major: repetition r holds one varbind per requested column, in order.
        for k, (at, value, is64) in enumerate(varbinds):
            name = names[k % width]
            if name in finished:
                continue
            prefix = prefixes[name]
            size = len(prefix)
            if at[:size] != prefix or len(at) <= size or value is None:
                finished.add(name)  # walked past the column, or the end of the MIB view
                continue
            if at <= cursor[name]:
                finished.add(name)  # a device that does not move forward would loop us forever
                continue
            # The row index is the first sub-identifier after the column: unsigned on the wire,
            # even where RouterOS prints ifIndex as a negative Integer32.
            row = at[size]
            table[name][row] = value
            if name in timed:
                table[name + "_at"][row] = read_at
            if name in typed:
                table[name + "_bits"][row] = 64 if is64 else 32
            cursor[name] = at
        cursor = {n: oid for n, oid in cursor.items() if n not in finished}
    return table, requests, lead_value


async def poll_device(
    engine: Any,
    device: Device,
    settings: SnmpSettings,
    *,
    columns: list[str] | None = None,
    clock: Callable[[], float] = time.time,
    client: V2cClient | None = None,
) -> DevicePoll:
    """sysUpTime and the interface tables of one device: every column, or the `columns` named (a
    routine poll). SNMPv2c over `client` (wire.py), SNMPv3 -- or v2c when no client is given -- over
    pysnmp's `engine`. A failure is a result, never an exception."""
    poll = DevicePoll(at=clock(), full=columns is None)
    started = time.perf_counter()
    wanted = COLUMNS if columns is None else {c: COLUMNS[c] for c in columns}
    try:
        bulk = _bulk(engine, device.credentials, client)
        await bulk.open(
            device.host,
            device.port,
            device.timeout_s or settings.timeout_s,
            settings.retries if device.retries is None else device.retries,
        )
        poll.table, poll.requests, uptime = await walk_columns(
            bulk, wanted, settings.max_repetitions, clock, leading=SYS_UPTIME_NEXT
        )
        poll.uptime_ticks = uptime if isinstance(uptime, int) else None
        if device.queues:
            await _walk_queues(bulk, settings, poll, clock)
        # Rates use each row's own read time (walk_columns); this is the poll's, for the record.
        poll.at = clock()
    except (SnmpFailure, OSError, TimeoutError) as exc:
        poll.error = str(exc) or type(exc).__name__
    if device.queues and device.routeros and not poll.error:
        # After the walk, not beside it: a TLS handshake in the same event loop delayed reading the SNMP
        # answers, and the counters' read times with them (+15 % on a 1-second interval).
        poll.limits = await read_limits(device.routeros, settings.routeros_timeout_s)
    poll.elapsed_s = round(time.perf_counter() - started, 4)
    return poll


def _bulk(engine: Any, credentials: Credentials, client: V2cClient | None) -> Any:
    if client is not None and not credentials.user:
        return V2cBulk(client, credentials.community or "public")
    from .engine import PysnmpBulk

    return PysnmpBulk(engine, credentials)


async def _walk_queues(
    bulk: Bulk, settings: SnmpSettings, poll: DevicePoll, clock: Callable[[], float]
) -> None:
    """MIKROTIK-MIB's queue tables, every column every poll: a queue made again under its old name
    has a new index, and only the names tell. A device without them answers an empty table."""
    try:
        poll.queue_table, requests, _ = await walk_columns(
            bulk, QUEUE_COLUMNS, settings.max_repetitions, clock
        )
        poll.requests += requests
    except (SnmpFailure, OSError, TimeoutError) as exc:
        poll.queue_error = str(exc) or type(exc).__name__


def _engine_groups(devices: list[Device]) -> list[list[int]]:
    """Device positions by engine. pysnmp keeps one set of keys per SNMPv3 user name in an engine: two
    devices with the same user but different pass phrases would replace each other's keys mid-poll,
    so each further key set of a user gets an engine of its own. Everything else shares the first."""
    groups: list[list[int]] = [[]]
    keys_of_user: dict[str, list[Credentials]] = {}
    for pos, device in enumerate(devices):
        c = device.credentials
        slot = 0
        if c.user:
            seen = keys_of_user.setdefault(c.user, [])
            if c not in seen:
                seen.append(c)
            slot = seen.index(c)
        while len(groups) <= slot:
            groups.append([])
        groups[slot].append(pos)
    return [g for g in groups if g]


async def poll_all(
    devices: Iterable[Device],
    settings: SnmpSettings,
    *,
    engine: Any = None,
    plans: list[list[str] | None] | None = None,
    clock: Callable[[], float] = time.time,
    done: Callable[[int, DevicePoll], None] | None = None,
) -> list[DevicePoll]:
    """Every device, `settings.concurrency` at a time: SNMPv2c over one UDP socket (wire.py), SNMPv3
    over one pysnmp engine (the caller's, as the service's, or one made and closed here; see
    _engine_groups for the one exception). `done(position, poll)` as each device's poll ends."""
    devices = list(devices)
    gate = asyncio.Semaphore(settings.concurrency)
    v3 = [pos for pos, d in enumerate(devices) if d.credentials.user]
    groups = _engine_groups([devices[pos] for pos in v3]) if v3 else []
    groups = [[v3[k] for k in g] for g in groups]
    if v3:
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine  # ~0.3 s to import: only where v3 is polled

        own = [SnmpEngine() for _ in groups[1 if engine else 0 :]]
    else:
        own = []
    engines = ([engine] if engine else []) + own
    client = V2cClient()
    polls: list[DevicePoll | None] = [None] * len(devices)

    async def one(pos: int, on: Any) -> None:
        async with gate:
            columns = plans[pos] if plans else None
            try:
                polls[pos] = await poll_device(
                    on, devices[pos], settings, columns=columns, clock=clock, client=client
                )
            except Exception as exc:  # a bug on one device: UNKNOWN for it, the others are polled
                polls[pos] = DevicePoll(at=clock(), failure=internal_error(exc, log, devices[pos].id))
        if done is not None:
            done(pos, polls[pos])

    v2c = (one(pos, None) for pos, d in enumerate(devices) if not d.credentials.user)
    try:
        await asyncio.gather(
            *v2c, *(one(pos, e) for e, group in zip(engines, groups, strict=False) for pos in group)
        )
    finally:
        client.close()
        for e in own:
            e.close_dispatcher()
    return [p for p in polls if p is not None]
