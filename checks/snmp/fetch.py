"""The only part of the SNMP check that does I/O: one multi-column GETBULK walk of the interface
tables per device, over the process's one shared SnmpEngine.

One engine per process, not per device: a new engine per device was ~17x slower and, without
close_dispatcher(), leaked sockets (shared/knowledge/monitoring-lessons.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    usm3DESEDEPrivProtocol,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)
from pysnmp.proto import rfc1902

from ..finding import internal_error
from .model import Credentials, Device, DevicePoll, SnmpSettings
from .queues import QUEUE_COLUMNS, QUEUE_TIMED, QUEUE_TYPED
from .routeros import read_limits

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
AUTH = {
    "MD5": usmHMACMD5AuthProtocol,
    "SHA": usmHMACSHAAuthProtocol,
    "SHA224": usmHMAC128SHA224AuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA384": usmHMAC256SHA384AuthProtocol,
    "SHA512": usmHMAC384SHA512AuthProtocol,
}
PRIV = {
    "DES": usmDESPrivProtocol,
    "3DES": usm3DESEDEPrivProtocol,
    "AES": usmAesCfb128Protocol,
    "AES192": usmAesCfb192Protocol,
    "AES256": usmAesCfb256Protocol,
}
_INTEGERS = (
    rfc1902.Integer,
    rfc1902.Integer32,
    rfc1902.Counter32,
    rfc1902.Counter64,
    rfc1902.Gauge32,
    rfc1902.TimeTicks,
    rfc1902.Unsigned32,
)


class SnmpFailure(Exception):
    """The device did not answer, or answered with an error: the poll has no data."""


def auth_data(credentials: Credentials) -> CommunityData | UsmUserData:
    if credentials.user:
        return UsmUserData(
            credentials.user,
            authKey=credentials.auth_key,
            privKey=credentials.priv_key,
            authProtocol=AUTH[credentials.auth_protocol] if credentials.auth_key else usmNoAuthProtocol,
            privProtocol=PRIV[credentials.priv_protocol] if credentials.priv_key else usmNoPrivProtocol,
        )
    return CommunityData(credentials.community or "public", mpModel=1)  # mpModel 1: SNMPv2c


def value_of(value: Any) -> Any:
    """A varbind's value as Python: text, an int, or None for noSuchObject/endOfMibView."""
    if isinstance(value, rfc1902.OctetString):
        # NUL padding and CR/LF appear in real ifDescr values (Huawei); they are not part of the name.
        return bytes(value).decode("utf-8", "replace").replace("\x00", "").strip()
    if isinstance(value, _INTEGERS):
        return int(value)
    return None


def _oid(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


async def walk_columns(
    engine: SnmpEngine,
    auth: CommunityData | UsmUserData,
    target: UdpTransportTarget,
    columns: dict[str, str],
    max_repetitions: int,
    clock: Callable[[], float] = time.time,
    leading: str | None = None,
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
        lead = [ObjectType(ObjectIdentity(leading))] if lead_pending else []
        requests += 1
        sent = clock()
        error, status, _index, varbinds = await bulk_cmd(
            engine,
            auth,
            target,
            ContextData(),
            len(lead),
            max_repetitions,
            *lead,
            *[ObjectType(ObjectIdentity(cursor[n])) for n in names],
            lookupMib=False,
        )
        if error:
            raise SnmpFailure(str(error))
        if status and int(status):
            if status.prettyPrint() == "tooBig" and max_repetitions > 1:
                max_repetitions = max(1, max_repetitions // 2)  # the device's buffer is smaller
                continue
            raise SnmpFailure(f"SNMP error {status.prettyPrint()}")
        if not varbinds:
            break
        read_at = (sent + clock()) / 2
        if lead:
            lead_value = value_of(varbinds[0][1])
            varbinds = varbinds[1:]
            lead_pending = False
        finished: set[str] = set()
        # The answer is row-major: repetition r holds one varbind per requested column, in order.
        for k, (oid, value) in enumerate(varbinds):
            name = names[k % len(names)]
            if name in finished:
                continue
            at = tuple(oid)  # an ObjectName with lookupMib=False
            prefix = prefixes[name]
            if at[: len(prefix)] != prefix or len(at) <= len(prefix) or value_of(value) is None:
                finished.add(name)  # walked past the column, or the end of the MIB view
                continue
            if at <= cursor[name]:
                finished.add(name)  # a device that does not move forward would loop us forever
                continue
            # The row index is the first sub-identifier after the column: unsigned on the wire,
            # even where RouterOS prints ifIndex as a negative Integer32.
            row = at[len(prefix)]
            table[name][row] = value_of(value)
            if name in timed:
                table[name + "_at"][row] = read_at
            if name in typed:
                table[name + "_bits"][row] = 64 if isinstance(value, rfc1902.Counter64) else 32
            cursor[name] = at
        cursor = {n: oid for n, oid in cursor.items() if n not in finished}
    return table, requests, lead_value


async def poll_device(
    engine: SnmpEngine,
    device: Device,
    settings: SnmpSettings,
    *,
    columns: list[str] | None = None,
    clock: Callable[[], float] = time.time,
) -> DevicePoll:
    """sysUpTime and the interface tables of one device: every column, or the `columns` named (a
    routine poll). A failure is a result, never an exception."""
    poll = DevicePoll(at=clock(), full=columns is None)
    started = time.perf_counter()
    wanted = COLUMNS if columns is None else {c: COLUMNS[c] for c in columns}
    try:
        target = await UdpTransportTarget.create(
            (device.host, device.port),
            timeout=device.timeout_s or settings.timeout_s,
            retries=settings.retries if device.retries is None else device.retries,
        )
        auth = auth_data(device.credentials)
        poll.table, poll.requests, uptime = await walk_columns(
            engine, auth, target, wanted, settings.max_repetitions, clock, leading=SYS_UPTIME_NEXT
        )
        poll.uptime_ticks = uptime if isinstance(uptime, int) else None
        if device.queues:
            await _walk_queues(engine, auth, target, settings, poll, clock)
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


async def _walk_queues(
    engine: SnmpEngine,
    auth: CommunityData | UsmUserData,
    target: UdpTransportTarget,
    settings: SnmpSettings,
    poll: DevicePoll,
    clock: Callable[[], float],
) -> None:
    """MIKROTIK-MIB's queue tables, every column every poll: a queue made again under its old name
    has a new index, and only the names tell. A device without them answers an empty table."""
    try:
        poll.queue_table, requests, _ = await walk_columns(
            engine, auth, target, QUEUE_COLUMNS, settings.max_repetitions, clock
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
    engine: SnmpEngine | None = None,
    plans: list[list[str] | None] | None = None,
    clock: Callable[[], float] = time.time,
) -> list[DevicePoll]:
    """Every device, `settings.concurrency` at a time, over one engine (the caller's, as the service's,
    or one made and closed here); see _engine_groups for the one exception."""
    devices = list(devices)
    gate = asyncio.Semaphore(settings.concurrency)
    groups = _engine_groups(devices)
    own = [SnmpEngine() for _ in groups[1 if engine else 0 :]]
    engines = ([engine] if engine else []) + own
    polls: list[DevicePoll | None] = [None] * len(devices)

    async def one(pos: int, on: SnmpEngine) -> None:
        async with gate:
            columns = plans[pos] if plans else None
            try:
                polls[pos] = await poll_device(on, devices[pos], settings, columns=columns, clock=clock)
            except Exception as exc:  # a bug on one device: UNKNOWN for it, the others are polled
                polls[pos] = DevicePoll(at=clock(), failure=internal_error(exc, log, devices[pos].id))

    try:
        await asyncio.gather(
            *(one(pos, e) for e, group in zip(engines, groups, strict=False) for pos in group)
        )
    finally:
        for e in own:
            e.close_dispatcher()
    return [p for p in polls if p is not None]
