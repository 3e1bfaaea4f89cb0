"""The SNMP poll in worker processes: `snmp.workers` long-lived processes (forkserver), each with its
own event loop, UDP socket and -- for SNMPv3 -- its own pysnmp engine, each polling and evaluating a
share of the devices (every n-th, so a device stays with the same worker and its engine's SNMPv3
engine-id cache between runs).

Workers write nothing: each gets its devices, their memory and the settings, and sends back every
device's DeviceResult as soon as it is evaluated -- the same result check_snmp gives in one process,
memory for the next run included, which the caller records. A worker that dies (or raises) loses only
the devices it had not yet sent: each is that device's internal_error, the rest of the run is kept,
and the worker is started again for the next run.

A worker that hangs -- alive, never answering (stopped, swapped out, stuck) -- is given until its
share's deadline (round_budget_s: what its devices' timeouts and retries allow, with room to spare),
then killed like a dead one: its unsent devices are each an internal_error saying so (`WorkerHung`),
never polled again in the service's own process (whatever hung the worker could hang the service), and
keep their memory for the next rate; a new worker is started at the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from ..finding import INTERNAL_ERROR, Finding
from . import check_snmp
from .evaluate import failed_device
from .model import Device, DeviceResult, SnmpSettings

log = logging.getLogger("sigap.checks.snmp")

# Fewer devices than this are polled in the caller's process: a worker's start (~0.5 s) and the
# results' trip back cost more than a small office's whole poll (8 devices: 0.1 s in one process).
MIN_DEVICES = 16
# A share's deadline (round_budget_s): a device's poll times out at most twice (the interface walk,
# then the queue walk) and reads the RouterOS API once; the answers it does get take time too, so its
# worst is taken SLACK times over; plus a worker's start (forkserver, imports) on a loaded machine.
SLACK = 3.0
START_S = 30.0


def _attempts_s(device: Device, settings: SnmpSettings) -> float:
    """One request's worst: every attempt timed out (the first and each retry)."""
    timeout = device.timeout_s or settings.timeout_s
    retries = settings.retries if device.retries is None else device.retries
    return timeout * (retries + 1)


def round_budget_s(devices: list[Device], settings: SnmpSettings) -> float:
    """How long a worker may take over `devices` (its share) before it is taken for hung: the slowest
    device's worst poll (two walks timing out, the RouterOS read) times SLACK, once per wave of
    `settings.concurrency` devices in flight (the share's own concurrency), plus START_S."""
    if not devices:
        return START_S
    worst = max(
        2 * _attempts_s(d, settings) + (settings.routeros_timeout_s if d.queues and d.routeros else 0)
        for d in devices
    )
    waves = -(-len(devices) // settings.concurrency)
    return waves * worst * SLACK + START_S


@dataclass
class _Worker:
    process: Any
    conn: Connection

    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self, wait_s: float = 2.0) -> None:
        """Asked to end (it finishes the job in hand first), killed after `wait_s`."""
        if wait_s > 0:
            with contextlib.suppress(OSError, ValueError):  # dead already, or its pipe closed
                self.conn.send(None)
            self.process.join(wait_s)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1)
        self.conn.close()


@dataclass
class JobStats:
    """What the last run cost in the workers (their own CPU time and peak RSS), for the benchmark."""

    cpu_s: float = 0.0
    peak_rss_kib: list[int] = field(default_factory=list)


class SnmpWorkers:
    """Made once (the service's `snmp_workers` resource) and closed at stop; processes start at the
    first run that needs them."""

    def __init__(self, min_devices: int = MIN_DEVICES) -> None:
        self.min_devices = min_devices
        self._workers: list[_Worker | None] = []
        self._lock = asyncio.Lock()
        # The threads that wait on the workers' pipes: our own, not the loop's default executor
        # (which the service's other work shares and which has only cores + 4 threads).
        self._readers: ThreadPoolExecutor | None = None
        self._reader_threads = 0
        self.stats = JobStats()

    def pids(self) -> list[int | None]:
        return [w.process.pid if w else None for w in self._workers]

    async def check(
        self,
        devices: list[Device],
        memory: dict[str, dict[str, dict[str, Any]]],
        settings: SnmpSettings,
        *,
        engine: Any = None,
    ) -> list[DeviceResult]:
        """check_snmp's results, from `settings.workers` processes (or this one: workers 1, or a few
        devices)."""
        n = min(settings.workers, len(devices))
        if n <= 1 or len(devices) < self.min_devices:
            return await check_snmp(devices, memory, settings, engine=engine)
        async with self._lock:
            return await self._check(devices, memory, settings, n)

    async def _check(
        self, devices: list[Device], memory: dict[str, Any], settings: SnmpSettings, n: int
    ) -> list[DeviceResult]:
        self._resize(n)
        if self._readers is None or self._reader_threads < n:
            if self._readers is not None:
                self._readers.shutdown(wait=False)
            self._readers = ThreadPoolExecutor(n, thread_name_prefix="sigap-snmp-reader")
            self._reader_threads = n
        # settings.concurrency stays the number of devices in flight in all, as in one process.
        share = settings.model_copy(update={"concurrency": -(-settings.concurrency // n)})
        results: list[DeviceResult | None] = [None] * len(devices)
        self.stats = JobStats()
        finished = False
        try:
            await asyncio.gather(*(self._run_share(k, devices, memory, share, n, results) for k in range(n)))
            finished = True
        finally:
            if not finished:  # cancelled: the workers are mid-job, start them afresh next run
                self.close(wait_s=0)
        return [r for r in results if r is not None]

    async def _run_share(
        self,
        k: int,
        devices: list[Device],
        memory: dict[str, Any],
        settings: SnmpSettings,
        n: int,
        results: list[DeviceResult | None],
    ) -> None:
        positions = list(range(k, len(devices), n))
        mine = [devices[p] for p in positions]
        try:
            worker = self._worker(k)
        except OSError as exc:  # no process to be had (fds, memory): this share in our own process
            log.error("SNMP poll worker %d could not start (%s): its devices polled in-process", k, exc)
            for p, result in zip(positions, await check_snmp(mine, memory, settings), strict=True):
                results[p] = result
            return
        error, problem = "", ""
        loop = asyncio.get_running_loop()
        budget = round_budget_s(mine, settings)
        deadline = loop.time() + budget

        async def within(call: Any, *args: Any) -> Any:
            # In a reader thread: a hung worker's full pipe blocks a send, and nothing comes to recv.
            return await asyncio.wait_for(
                loop.run_in_executor(self._readers, call, *args), deadline - loop.time()
            )

        try:
            await within(worker.conn.send, (mine, {d.id: memory.get(d.id, {}) for d in mine}, settings))
            while True:
                message = await within(worker.conn.recv)
                if message[0] == "result":
                    results[positions[message[1]]] = message[2]
                    continue
                if message[0] == "done":
                    self.stats.cpu_s += message[1]
                    self.stats.peak_rss_kib.append(message[2])
                else:
                    error, problem = "WorkerFailed", f"raised {message[1]}"
                break
        except TimeoutError:
            # Alive but silent past its deadline: killed below, its thread freed by the pipe's EOF.
            error = "WorkerHung"
            problem = f"did not finish within {budget:.0f} s (hung): killed, started again next run"
        except (EOFError, OSError) as exc:
            worker.process.join(1)
            error = "WorkerDied"
            problem = f"died (exit code {worker.process.exitcode}, {type(exc).__name__})"
        except Exception as exc:  # a message that could not be pickled or read: the stream is lost
            error, problem = "WorkerFailed", f"{type(exc).__name__}: {exc}"
        if not error:
            return
        lost = [p for p in positions if results[p] is None]
        log.error("SNMP poll worker %d %s: %d devices not measured this run", k, problem, len(lost))
        finding = Finding(INTERNAL_ERROR, "unknown", {"error": error, "detail": f"worker {problem}"[:200]})
        for p in lost:
            results[p] = failed_device(devices[p], finding)
        worker.stop(0 if error == "WorkerHung" else 0.5)  # a hung worker would not read "stop"
        self._workers[k] = None  # started again at the next run

    def _resize(self, n: int) -> None:
        while len(self._workers) > n:
            w = self._workers.pop()
            if w is not None:
                w.stop()
        self._workers += [None] * (n - len(self._workers))
        for k, w in enumerate(self._workers):
            if w is not None and not w.alive():
                w.stop(0.5)
                self._workers[k] = None

    def _worker(self, k: int) -> _Worker:
        if self._workers[k] is None:
            # forkserver, not fork: the service has threads (scheduler, HTTP), and a forked child
            # may inherit a lock one of them held.
            context = multiprocessing.get_context("forkserver")
            parent, child = context.Pipe()
            process = context.Process(target=serve, args=(child,), name=f"sigap-snmp-{k}", daemon=True)
            process.start()
            child.close()
            self._workers[k] = _Worker(process, parent)
        worker = self._workers[k]
        assert worker is not None
        return worker

    def close(self, wait_s: float = 2.0) -> None:
        for w in self._workers:
            if w is not None:
                w.stop(wait_s)
        self._workers = []
        if self._readers is not None:
            self._readers.shutdown(wait=False)
            self._readers = None


def serve(conn: Connection) -> None:
    """A worker's life: one job (devices, memory, settings) after another, until None or EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on `sigap serve`: the parent stops us
    loop = asyncio.new_event_loop()
    engine = None
    try:
        while True:
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            devices, memory, settings = job
            if engine is None and any(d.credentials.user for d in devices):
                from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

                engine = SnmpEngine()  # kept for the worker's life: SNMPv3 engine ids stay learnt
            cpu = time.process_time()
            try:
                loop.run_until_complete(
                    check_snmp(
                        devices,
                        memory,
                        settings,
                        engine=engine,
                        on_result=lambda pos, result: conn.send(("result", pos, result)),
                    )
                )
            except Exception as exc:
                log.exception("SNMP poll worker failed")
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
                continue
            import resource

            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            conn.send(("done", time.process_time() - cpu, rss))
    finally:
        if engine is not None:
            engine.close_dispatcher()
        loop.close()
