"""A poll worker that hangs -- alive, never answering -- does not hold the poll (issue 22 §3): its share
has a deadline from its devices' timeouts and retries, after which it is killed, its unsent devices
say so, the other worker's are measured, and a new worker is started for the next run.

The hang is real: the worker process is stopped with SIGSTOP (no test hook in the product)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from helpers.snmpservers import Snmpsim, recording

from checks.snmp import Credentials, Device, RouterOsApi, SnmpSettings, device_memory
from checks.snmp import workers as workers_module
from checks.snmp.workers import SnmpWorkers, round_budget_s

RECORDINGS = ["cisco-c3750", "huawei-s5720", "linux-netsnmp-slackware", "vyatta-unknown"]


@pytest.fixture(scope="module")
def sim():
    server = Snmpsim({name: recording(name) for name in RECORDINGS})
    yield server
    server.stop()


def _devices(sim: Snmpsim, n: int) -> list[Device]:
    return [
        Device(f"dev-{k:02d}", "127.0.0.1", sim.port, Credentials(community=RECORDINGS[k % len(RECORDINGS)]))
        for k in range(n)
    ]


def _state(pid: int) -> str | None:
    """The process's state letter in /proc (T: stopped, Z: dead, waiting to be reaped), None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return text.rpartition(")")[2].split()[0]


def test_a_stopped_worker_is_killed_at_its_deadline_and_replaced(sim: Snmpsim, monkeypatch) -> None:
    monkeypatch.setattr(workers_module, "START_S", 2.0)  # the start allowance, not the rule under test
    settings = SnmpSettings(timeout_s=0.5, retries=0, workers=2)
    devices = _devices(sim, 20)
    workers = SnmpWorkers(min_devices=1)
    share = settings.model_copy(update={"concurrency": 16})  # 32 in flight over two workers
    budget = round_budget_s(devices[0::2], share)
    assert budget == pytest.approx(1 * (2 * 0.5) * workers_module.SLACK + 2.0)
    victim = None
    try:
        first = asyncio.run(workers.check(devices, {}, settings))  # both workers started, discovery done
        assert all(r.status == "ok" for r in first), [(r.device, r.findings) for r in first]
        memory = {r.device: device_memory(r) for r in first}
        victim, other = workers.pids()
        os.kill(victim, signal.SIGSTOP)
        t0 = time.monotonic()
        hung = asyncio.run(workers.check(devices, memory, settings))
        elapsed = time.monotonic() - t0
        assert budget - 0.5 <= elapsed < budget + 5, elapsed  # waited for the deadline, not forever
        pids = workers.pids()
        assert pids == [None, other]  # the stopped one gone, the other kept
        deadline = time.monotonic() + 5
        while _state(victim) not in (None, "Z") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(victim) in (None, "Z")  # killed, not left stopped
        again = asyncio.run(workers.check(devices, memory, settings))
        assert workers.pids()[0] not in (None, victim) and workers.pids()[1] == other  # started anew
    finally:
        if victim is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        workers.close()
    assert [r.device for r in hung] == [d.id for d in devices]  # no device lost, in order
    for pos, result in enumerate(hung):
        if pos % 2:  # the other worker's share: measured, rates from the memory
            assert result.status == "ok", (result.device, result.findings)
        else:
            [finding] = result.findings
            assert (finding.code, finding.status, finding.params["error"]) == (
                "internal_error",
                "unknown",
                "WorkerHung",
            )
            assert "hung" in finding.params["detail"] and "killed" in finding.params["detail"]
            assert result.memory is None  # the device keeps its last memory for the next rate
    assert any(i.in_bps is not None for r in hung[1::2] for i in r.interfaces)
    assert all(r.status == "ok" for r in again), [(r.device, r.findings) for r in again]


def test_the_round_budget_follows_the_devices_timeouts_and_retries() -> None:
    settings = SnmpSettings(timeout_s=2.0, retries=1, concurrency=4, routeros_timeout_s=5.0)
    plain = Device("a", "127.0.0.1")
    slow = Device("b", "127.0.0.1", timeout_s=3.0, retries=2)  # its own: 3 s x 3 attempts per request
    api = RouterOsApi("https://127.0.0.1", "u", "p")
    router = Device("c", "127.0.0.1", queues=True, routeros=api)
    start, slack = workers_module.START_S, workers_module.SLACK
    assert round_budget_s([], settings) == start
    assert round_budget_s([plain], settings) == pytest.approx(2 * 2.0 * 2 * slack + start)
    assert round_budget_s([plain, slow], settings) == pytest.approx(2 * 9.0 * slack + start)
    assert round_budget_s([plain, router], settings) == pytest.approx((2 * 4.0 + 5.0) * slack + start)
    # Nine devices, four in flight: three waves.
    assert round_budget_s([plain] * 9, settings) == pytest.approx(3 * 8.0 * slack + start)
