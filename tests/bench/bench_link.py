"""Link benchmark: 1,000 targets x 3 ICMP probes per cycle, beside `fping` doing the same in the same run.

    .venv/bin/python tests/bench/bench_link.py [--targets 1000] [--dead-pct 10]

Runs inside a network namespace of its own (it re-executes itself under `unshare -n`), where every
target is a loopback address and --dead-pct of them sit in a blackholed /24: dead links that never
answer, as in a real cycle.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE)]

from netns import reexec_in_blackhole_netns  # noqa: E402

from checks.link import LinkSettings, LinkTarget, probe_all  # noqa: E402


def addresses(n: int, dead_pct: float) -> tuple[list[str], int]:
    dead = int(n * dead_pct / 100)
    live = [f"127.3.{i // 250}.{i % 250 + 1}" for i in range(n - dead)]
    gone = [
        f"127.9.9.{i % 250 + 1}" if i < 250 else f"127.9.{10 + i // 250}.{i % 250 + 1}" for i in range(dead)
    ]
    return live + gone, dead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--dead-pct", type=float, default=10)
    args = parser.parse_args()
    reexec_in_blackhole_netns()
    hosts, dead = addresses(args.targets, args.dead_pct)
    settings = LinkSettings(probes=3, probe_interval_s=0.2, timeout_s=1.0, concurrency=1024)
    targets = [LinkTarget(h, h) for h in hosts]
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    results = asyncio.run(probe_all(targets, settings))
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    answered = sum(1 for r in results if r.received)
    probes = sum(r.sent for r in results)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    fping = subprocess.run(
        ["fping", "-q", "-C", "3", "-p", "200", "-t", "1000", "-r", "0", "-i", "1", *hosts],
        capture_output=True,
        text=True,
    )
    fping_elapsed = time.perf_counter() - t0
    fping_answered = sum(1 for line in fping.stderr.splitlines() if line.split(":")[1].split()[0] != "-")
    print(f"targets: {len(hosts)} ({dead} blackholed), 3 ICMP probes each, 200 ms apart, 1 s timeout")
    print(
        f"sigap: {probes} probes in {elapsed:.2f} s, {answered} targets answered, CPU {cpu:.2f} s, "
        f"peak RSS {rss:.0f} MiB"
    )
    print(f"fping: -C 3 -p 200 -t 1000 -i 1: {fping_elapsed:.2f} s, {fping_answered} targets answered")


if __name__ == "__main__":
    main()
