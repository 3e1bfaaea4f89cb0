"""SNMP benchmark: 200 simulated devices x 48 interfaces polled as the service polls them (`--workers`
processes, default one per core; 1 = in one process), beside net-snmp's `snmpbulkwalk` reading the same
IF-MIB columns from the same devices in the same run.

Two figures: the discovery walk (all 11 columns: names, aliases, which counters exist) and the routine
poll that runs every 5 minutes between discoveries (state, 64-bit counters, speed: 5 columns).

    .venv/bin/python tests/bench/bench_snmp.py [--devices 200] [--interfaces 48] [--servers 2] [--workers N]

CPU is the poller's own: this process plus its workers (each reports its CPU time per run); for
snmpbulkwalk, the finished processes' (RUSAGE_CHILDREN), the simulators' not counted for either.

The devices are snmpsim communities (one recording each, a 48-port access switch), served on
127.0.0.1 by --servers simulator processes. Needs snmpsim (see .ci/run) and the `snmp` package.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from helpers.snmpservers import Snmpsim  # noqa: E402

from checks.snmp import Credentials, Device, SnmpSettings, device_memory  # noqa: E402
from checks.snmp.evaluate import plan  # noqa: E402
from checks.snmp.fetch import COLUMNS  # noqa: E402
from checks.snmp.workers import SnmpWorkers  # noqa: E402


def switch(ports: int, seed: int) -> str:
    """A 48-port access switch: the ifTable and ifXTable columns a real one has, 64- and 32-bit counters."""
    rows: list[tuple[tuple[int, ...], str]] = [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), f"4|Sigap bench switch {seed}"),
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), f"67|{1000000 + seed}"),
        ((1, 3, 6, 1, 2, 1, 1, 5, 0), f"4|sw-{seed}"),
        ((1, 3, 6, 1, 2, 1, 2, 1, 0), f"2|{ports}"),
    ]
    for i in range(1, ports + 1):
        octets = (seed * 7919 + i * 104729) * 1000
        if_table = {
            1: f"2|{i}",
            2: f"4|GigabitEthernet1/0/{i}",
            3: "2|6",
            4: "2|1500",
            5: "66|1000000000",
            6: f"4x|0011223344{i:02x}",
            7: "2|1",
            8: f"2|{1 if i % 5 else 2}",
            9: "67|0",
            10: f"65|{octets % 2**32}",
            11: f"65|{octets // 1500 % 2**32}",
            13: "65|0",
            14: "65|0",
            16: f"65|{octets // 3 % 2**32}",
            17: f"65|{octets // 4500 % 2**32}",
            19: "65|0",
            20: "65|0",
        }
        for column, value in if_table.items():
            rows.append(((1, 3, 6, 1, 2, 1, 2, 2, 1, column, i), value))
        if_x = {
            1: f"4|Gi1/0/{i}",
            6: f"70|{octets}",
            7: f"70|{octets // 1500}",
            10: f"70|{octets // 3}",
            11: f"70|{octets // 4500}",
            15: "66|1000",
            18: f"4|OPD {i}",
        }
        for column, value in if_x.items():
            rows.append(((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, column, i), value))
    rows.sort()
    return "".join(f"{'.'.join(map(str, oid))}|{value}\n" for oid, value in rows)


def reference(devices: list[Device], workers: int, oids: list[str]) -> tuple[float, float, int]:
    """snmpbulkwalk, one process per device and column (it walks one subtree), `workers` at once."""
    binary = shutil.which("snmpbulkwalk")
    if binary is None:
        raise SystemExit("snmpbulkwalk not installed (apt-get install snmp)")
    jobs = [
        [
            binary,
            "-v2c",
            "-c",
            d.credentials.community or "",
            "-m",
            "",
            "-On",
            "-Cr25",
            "-r",
            "1",
            "-t",
            "2",
            f"{d.host}:{d.port}",
            oid,
        ]
        for d in devices
        for oid in oids
    ]

    def run(cmd: list[str]) -> int:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        return out.count("\n")

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        lines = sum(pool.map(run, jobs))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--interfaces", type=int, default=48)
    parser.add_argument("--servers", type=int, default=2, help="snmpsim processes serving the devices")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-repetitions", type=int, default=25)
    parser.add_argument("--walk-workers", type=int, default=16, help="snmpbulkwalk processes at once")
    parser.add_argument("--workers", type=int, default=SnmpSettings().workers, help="poll processes (cores)")
    args = parser.parse_args()

    print(f"building {args.devices} recordings x {args.interfaces} interfaces ...", flush=True)
    share = (args.devices + args.servers - 1) // args.servers
    servers = []
    devices: list[Device] = []
    try:
        for s in range(args.servers):
            names = [f"sw{k:03d}" for k in range(s * share, min(args.devices, (s + 1) * share))]
            files = {n: switch(args.interfaces, int(n[2:])) for n in names}
            # snmpsim caps an answer at 64 varbinds by default; real switches send ~1,400 bytes'
            # worth. 256 lets one GETBULK carry 25 rows of the 11 columns, as a real device's would.
            server = Snmpsim(files, extra=["--max-var-binds=256"])
            servers.append(server)
            devices += [Device(n, "127.0.0.1", server.port, Credentials(community=n)) for n in names]
        settings = SnmpSettings(
            timeout_s=5,
            retries=1,
            concurrency=args.concurrency,
            max_repetitions=args.max_repetitions,
            workers=args.workers,
        )
        pool = SnmpWorkers(min_devices=1)  # the service's pool; min 1 so the warm-up starts the workers
        # Warm up: index files built, the workers started and their code loaded.
        asyncio.run(pool.check(devices[: 2 * args.workers], {}, settings))
        print(
            f"devices: {len(devices)}, interfaces each: {args.interfaces}, snmpsim processes: {args.servers}"
        )
        print(
            f"sigap: {args.workers} worker process(es), {args.concurrency} devices at once in all, "
            f"GETBULK x{args.max_repetitions}"
        )
        memory: dict = {}
        for label in ("discovery", "routine"):
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            results = asyncio.run(pool.check(devices, memory, settings))
            elapsed = time.perf_counter() - t0
            own_cpu = time.process_time() - cpu0
            workers_cpu = pool.stats.cpu_s if args.workers > 1 else 0.0
            cpu = own_cpu + workers_cpu
            memory = {r.device: device_memory(r) for r in results}
            interfaces = sum(len(r.interfaces) for r in results)
            failed = [r.device for r in results if r.status == "unknown"]
            columns = plan(memory[devices[0].id], time.time(), settings) if label == "routine" else None
            oids = (
                [COLUMNS[c] for c in (columns or COLUMNS)] if label == "routine" else list(COLUMNS.values())
            )
            walk_s, walk_cpu, walk_lines = reference(devices, args.walk_workers, oids)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            worker_rss = (
                " + ".join(f"{k / 1024:.0f}" for k in pool.stats.peak_rss_kib) if args.workers > 1 else ""
            )
            walked = walk_lines / len(oids)
            print(f"{label} ({len(oids)} columns):")
            print(
                f"  sigap: {interfaces} interfaces in {elapsed:.2f} s = "
                f"{interfaces / elapsed:,.0f} interfaces/s; CPU {cpu:.2f} s ({own_cpu:.2f} here + "
                f"{workers_cpu:.2f} in workers) = {interfaces / cpu:,.0f} interfaces per CPU-second; "
                f"peak RSS {rss:.0f} MiB" + (f" + workers {worker_rss} MiB" if worker_rss else "") + "; "
                f"{len(failed)} devices failed {failed[:5]}"
            )
            print(
                f"  snmpbulkwalk, {args.walk_workers} at once: {walk_lines} values in {walk_s:.2f} s = "
                f"{walked / walk_s:,.0f} interfaces/s; CPU {walk_cpu:.2f} s = "
                f"{walked / walk_cpu:,.0f} interfaces per CPU-second; sigap / snmpbulkwalk wall time "
                f"{elapsed / walk_s:.2f}x"
            )
        pool.close()
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
