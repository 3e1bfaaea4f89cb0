"""The SNMP poll at net-snmp's speed (issue 22 §3): the SNMPv2c BER codec against pysnmp's, and the
poll in worker processes against the one-process poll -- same results, and a worker killed mid-poll
loses only its own unsent devices."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from typing import Any

import pytest
from helpers.netservers import free_port
from helpers.snmpservers import Snmpsim, recording
from pyasn1.codec.ber import decoder, encoder
from pydantic import ValidationError
from pysnmp.proto import api, rfc1902, rfc1905

from checks.snmp import Credentials, Device, SnmpSettings, check_snmp, device_memory
from checks.snmp.engine import value_of
from checks.snmp.fetch import COLUMNS, V2cClient, poll_device
from checks.snmp.wire import Malformed, decode_oid, decode_response, encode_getbulk, encode_oid
from checks.snmp.workers import SnmpWorkers

RECORDINGS = [
    "brocade-ds-5100b",
    "cisco-c3750",
    "cisco-ios-unmarked-0",
    "hpe-procurve-516733-b21",
    "huawei-s5720",
    "huawei-unknown-001",
    "juniper-mx960-13-3r9-13",
    "linux-netsnmp-slackware",
    "metel-poe-box",
    "paloalto-pa-5000",
    "sangfor-wac",
    "ubiquiti-m5",
    "venus-vsos-v0600r0705b20180507",
    "vyatta-unknown",
]
FAST = SnmpSettings(timeout_s=1.0, retries=0, workers=1)


@pytest.fixture(scope="module")
def sim():
    server = Snmpsim({name: recording(name) for name in RECORDINGS})
    yield server
    server.stop()


def _devices(sim: Snmpsim, copies: int = 1) -> list[Device]:
    """Every recording, `copies` times over (the same community under other device ids)."""
    return [
        Device(f"{name}#{c}", "127.0.0.1", sim.port, Credentials(community=name))
        for c in range(copies)
        for name in RECORDINGS
    ]


# --- the codec, against pysnmp's own encoder and decoder


def _pysnmp_response(request_id: int, varbinds: list[tuple[str, Any]], status: int = 0) -> bytes:
    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = v2c.ResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_error_status(pdu, status)
    v2c.apiPDU.set_varbinds(pdu, varbinds)
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, "public")
    v2c.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def test_the_codec_reads_what_pysnmp_writes() -> None:
    long_oid = "1.3.6.1.4.1.14988.1.1.2.1.1.2.4294967295"
    text = "GigabitEthernet0/1 \x00\x00 " + "x" * 300  # past 255 octets: a two-byte length
    sent = [
        ("1.3.6.1.2.1.1.3.0", rfc1902.TimeTicks(4294967295)),
        ("1.3.6.1.2.1.2.2.1.2.1", rfc1902.OctetString(text)),
        ("1.3.6.1.2.1.31.1.1.1.6.1", rfc1902.Counter64(2**64 - 1)),
        ("1.3.6.1.2.1.2.2.1.10.1", rfc1902.Counter32(2**32 - 1)),
        ("1.3.6.1.2.1.2.2.1.5.1", rfc1902.Gauge32(0)),
        (long_oid, rfc1902.Integer32(-2147483648)),
        ("1.3.6.1.2.1.4.20.1.1.10.0.0.1", rfc1902.IpAddress("10.0.0.1")),
        ("1.3.6.1.2.1.2.2.1.7.9", rfc1905.noSuchInstance),
        ("1.3.6.1.2.1.2.2.1.8.9", rfc1905.endOfMibView),
        ("1.3.6.1.2.1.1.2.0", rfc1902.ObjectName("1.3.6.1.4.1.9")),
    ]
    request_id, status, index, varbinds = decode_response(_pysnmp_response(0x7FFFFFFE, sent))
    assert (request_id, status, index) == (0x7FFFFFFE, 0, 0)
    assert [v[0] for v in varbinds] == [tuple(int(x) for x in oid.split(".")) for oid, _ in sent]
    # The values as the pysnmp path gives them (engine.value_of), whatever that makes of an IpAddress.
    assert [v[1] for v in varbinds] == [value_of(value) for _, value in sent]
    assert varbinds[1][1] == "GigabitEthernet0/1  " + "x" * 300 and varbinds[5][1] == -2147483648
    assert [v[2] for v in varbinds] == [isinstance(value, rfc1902.Counter64) for _, value in sent]


def test_pysnmp_reads_the_request_the_codec_writes() -> None:
    oids = [(1, 3, 6, 1, 2, 1, 1, 3), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 200000), (1, 3, 6, 1, 4, 1, 14988)]
    data = encode_getbulk(123456, b"sigap-ro", 1, 25, oids)
    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, rest = decoder.decode(data, asn1Spec=v2c.Message())
    assert rest == b""
    assert str(v2c.apiMessage.get_community(message)) == "sigap-ro"
    pdu = v2c.apiMessage.get_pdu(message)
    assert int(v2c.apiBulkPDU.get_request_id(pdu)) == 123456
    assert int(v2c.apiBulkPDU.get_non_repeaters(pdu)) == 1
    assert int(v2c.apiBulkPDU.get_max_repetitions(pdu)) == 25
    assert [tuple(oid) for oid, _ in v2c.apiBulkPDU.get_varbinds(pdu)] == oids
    for oid in oids:
        assert decode_oid(encode_oid(oid)[2:]) == oid


def test_the_codec_drops_what_it_cannot_read() -> None:
    good = _pysnmp_response(7, [("1.3.6.1.2.1.1.3.0", rfc1902.TimeTicks(5))])
    for broken in (good[:-3], b"\x30\x85" + good[2:], b"\x02\x01\x00", good.replace(b"\xa2", b"\xa3", 1)):
        with pytest.raises(Malformed):
            decode_response(broken)


# --- the fast path against pysnmp, on every recording


def test_the_v2c_codec_walks_every_recording_as_pysnmp_does(sim: Snmpsim) -> None:
    from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

    async def both(device: Device) -> tuple[Any, Any]:
        engine = SnmpEngine()
        client = V2cClient()
        try:
            ours = await poll_device(None, device, FAST, client=client)
            theirs = await poll_device(engine, device, FAST)
        finally:
            client.close()
            engine.close_dispatcher()
        return ours, theirs

    for device in _devices(sim):
        ours, theirs = asyncio.run(both(device))
        assert ours.error is None and theirs.error is None, device.id
        timeless = {k: v for k, v in ours.table.items() if not k.endswith("_at")}
        assert timeless == {k: v for k, v in theirs.table.items() if not k.endswith("_at")}, device.id
        assert ours.table.keys() == theirs.table.keys()
        assert (ours.uptime_ticks, ours.requests) == (theirs.uptime_ticks, theirs.requests), device.id
        assert set(ours.table) >= set(COLUMNS)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_a_silent_v2c_device_times_out_in_pysnmps_words(host: str) -> None:
    device = Device("silent", host, free_port(), Credentials(community="x"))
    settings = SnmpSettings(timeout_s=0.2, retries=1, workers=1)
    t0 = time.monotonic()
    [result] = asyncio.run(check_snmp([device], {}, settings))
    assert 0.35 < time.monotonic() - t0 < 2
    [finding] = result.findings
    assert finding.code == "device_unreachable"
    assert finding.params["error"] == "No SNMP response received before timeout"


# --- workers: the same results as one process


def _timeless(value: Any) -> Any:
    """A result with its clock readings taken out: epoch seconds and poll durations differ by run."""
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: None if k in ("poll_s", "at", "read_at") else _timeless(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_timeless(v) for v in value]
    if isinstance(value, float) and value > 1e9:
        return "epoch"
    return value


def test_two_workers_give_the_results_of_one_process(sim: Snmpsim) -> None:
    devices = _devices(sim, copies=2)  # 28 devices: past the in-process threshold
    workers = SnmpWorkers()

    async def two_polls(settings: SnmpSettings) -> list[list[Any]]:
        out, memory = [], {}
        for _ in range(2):  # the discovery, then a routine poll (rates and memory from the first)
            results = await workers.check(devices, memory, settings)
            memory = {r.device: device_memory(r) for r in results}
            out.append(results)
        return out

    try:
        one = asyncio.run(two_polls(FAST))
        assert workers.pids() == []  # workers 1: nothing started
        two = asyncio.run(two_polls(FAST.model_copy(update={"workers": 2})))
        assert len([p for p in workers.pids() if p]) == 2 and os.getpid() not in workers.pids()
    finally:
        workers.close()
    for a, b in zip(one, two, strict=True):
        assert [r.device for r in b] == [d.id for d in devices]
        assert all(r.status != "unknown" for r in b), [
            (r.device, r.findings) for r in b if r.status == "unknown"
        ]
        assert _timeless(a) == _timeless(b)
    assert any(i.in_bps is not None for r in two[1] for i in r.interfaces)  # the second poll has rates


def test_few_devices_stay_in_process(sim: Snmpsim) -> None:
    workers = SnmpWorkers()
    try:
        results = asyncio.run(workers.check(_devices(sim)[:3], {}, FAST.model_copy(update={"workers": 2})))
    finally:
        workers.close()
    assert [r.status for r in results] == ["ok"] * 3 and workers.pids() == []


def test_a_worker_killed_mid_poll_loses_only_its_unsent_devices(sim: Snmpsim) -> None:
    good = _devices(sim, copies=2)[:20]
    # Every even position goes to worker 0: silent devices there keep it busy for a second.
    silent = [Device(f"silent-{k}", "127.0.0.1", free_port(), Credentials(community="x")) for k in range(10)]
    devices = [d for pair in zip(silent, good[:10], strict=True) for d in pair] + good[10:]
    settings = SnmpSettings(timeout_s=1.0, retries=0, workers=2)
    workers = SnmpWorkers(min_devices=1)
    victims = []

    async def killed() -> list[Any]:
        await workers.check(good[:4], {}, settings)  # both workers started
        victims.append(workers.pids()[0])
        poll = asyncio.create_task(workers.check(devices, {}, settings))
        await asyncio.sleep(0.5)
        os.kill(victims[0], signal.SIGKILL)
        return await poll

    try:
        first = asyncio.run(killed())
        assert workers.pids()[0] is None  # the dead one is gone, the other kept
        again = asyncio.run(workers.check(devices, {}, settings))
        assert workers.pids()[0] not in (None, victims[0])  # started again
    finally:
        workers.close()
    by_id = {r.device: r for r in first}
    assert list(by_id) == [d.id for d in devices]  # no device lost, in order
    for pos, device in enumerate(devices):
        result = by_id[device.id]
        if pos % 2 == 1:  # worker 1's devices: measured as if nothing happened
            assert result.status == "ok", (device.id, result.findings)
        elif device.id.startswith("silent"):  # still waiting when worker 0 died
            [finding] = result.findings
            assert finding.code == "internal_error" and finding.params["error"] == "WorkerDied"
        else:  # sent before the kill, or lost with the worker: either way said
            assert result.status == "ok" or result.findings[0].code == "internal_error"
    codes = {r.device: r.findings[0].code for r in again}
    assert {codes[d.id] for d in silent} == {"device_unreachable"}
    assert all(r.status == "ok" for r in again if not r.device.startswith("silent"))


def test_the_workers_setting() -> None:
    assert SnmpSettings().workers == len(os.sched_getaffinity(0))
    assert SnmpSettings(workers=1).workers == 1
    with pytest.raises(ValidationError):
        SnmpSettings(workers=0)


def test_the_agent_records_what_the_workers_measured(sim: Snmpsim, db_url: str, tmp_path) -> None:
    """polman-13 step 9 through the service's worker pool: every device's state and the link's samples
    reach the ledger, written by the caller from what the workers sent back."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from agents.config import load_config
    from agents.runner import run_step
    from sop_registry.ledger import CheckState, Sample, connect, upgrade
    from sop_registry.loader import load_registry

    names = [f"sw-{k:02d}" for k in range(18)]
    communities = [RECORDINGS[k % len(RECORDINGS)] for k in range(len(names))]
    rows = "".join(
        f"    - {{id: {n}, host: 127.0.0.1, port: {sim.port}, community: {c}}}\n"
        for n, c in zip(names, communities, strict=True)
    )
    config_path = tmp_path / "sigap.yaml"
    config_path.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: {db_url}\nstate_dir: {tmp_path / 'state'}\n"
        "snmp:\n  timeout_s: 1\n  retries: 0\n  workers: 2\n"
        "targets:\n  snmp_devices:\n" + rows + "  links:\n"
        f"    - {{id: dinkes, opd: Dinas Kesehatan, device: {names[RECORDINGS.index('vyatta-unknown')]}, "
        "if_name: eth1, contracted_down_mbps: 10, contracted_up_mbps: 20}\n"
    )
    config = load_config(config_path)
    registry = load_registry(())
    sop = registry.sops["polman-13"]
    engine = connect(db_url)
    upgrade(engine)
    workers = SnmpWorkers()
    t0 = datetime.now(UTC)
    try:
        for k in range(2):
            at = t0 + timedelta(seconds=60 * k)
            run = asyncio.run(
                run_step(
                    config,
                    engine,
                    sop,
                    9,
                    clock=lambda at=at: at,
                    registry=registry,
                    resources={"snmp_workers": workers},
                )
            )
            assert run.status in ("ok", "warn"), run
        assert len([p for p in workers.pids() if p]) == 2
        with Session(engine) as s:
            states = {row.key: row.data for row in s.scalars(select(CheckState))}
            assert set(states) == set(names)
            assert all(state["device"]["inventory"]["rows"] for state in states.values())
            assert s.scalars(select(Sample)).first() is not None  # the second run's rate of the link
    finally:
        workers.close()
        engine.dispose()


def test_a_share_that_cannot_reach_its_worker_loses_no_other_device(sim: Snmpsim) -> None:
    """An exception on the way to a worker (here a device that cannot be pickled) fails that worker's
    share, said on each of its devices; the other worker's devices are measured."""
    devices = _devices(sim, copies=2)[:20]
    devices[0] = dataclasses.replace(devices[0], routeros=lambda: None)  # never used: no queues
    workers = SnmpWorkers()
    settings = FAST.model_copy(update={"workers": 2})
    try:
        results = asyncio.run(workers.check(devices, {}, settings))
        again = asyncio.run(workers.check(devices[1:], {}, settings))
    finally:
        workers.close()
    assert [r.device for r in results] == [d.id for d in devices]
    for pos, result in enumerate(results):
        if pos % 2:
            assert result.status == "ok", result.findings
        else:
            assert result.findings[0].code == "internal_error"
            assert result.findings[0].params["error"] == "WorkerFailed"
    assert all(r.status == "ok" for r in again)


def test_a_v2c_poll_never_loads_pysnmp() -> None:
    """pysnmp and pyasn1 (~15 MiB, 0.3 s to import) only where an SNMPv3 device is polled."""
    import subprocess
    import sys

    code = (
        "import sys, asyncio\n"
        "import agents.kinds.snmp, checks.snmp.workers\n"
        "from checks.snmp import check_snmp, Device, Credentials, SnmpSettings\n"
        f"device = Device('x', '127.0.0.1', {free_port()}, Credentials(community='c'))\n"
        "asyncio.run(check_snmp([device], {}, SnmpSettings(timeout_s=0.1, retries=0)))\n"
        "print(sorted(m for m in ('pysnmp', 'pyasn1') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_cancelled_poll_stops_the_workers_and_the_next_starts_them_again(sim: Snmpsim) -> None:
    silent = [Device(f"silent-{k}", "127.0.0.1", free_port(), Credentials(community="x")) for k in range(20)]
    settings = SnmpSettings(timeout_s=2.0, retries=0, workers=2)
    workers = SnmpWorkers()

    async def cancelled() -> list[int | None]:
        poll = asyncio.create_task(workers.check(silent, {}, settings))
        await asyncio.sleep(1.0)
        started = workers.pids()
        t0 = time.monotonic()
        poll.cancel()
        with pytest.raises(asyncio.CancelledError):
            await poll
        assert time.monotonic() - t0 < 1.5  # killed, not waited for
        return started

    try:
        started = asyncio.run(cancelled())
        assert workers.pids() == [] and all(started)
        results = asyncio.run(workers.check(_devices(sim, copies=2)[:20], {}, settings))
        assert all(r.status == "ok" for r in results) and not set(workers.pids()) & set(started)
    finally:
        workers.close()
