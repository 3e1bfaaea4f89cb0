"""DNS benchmark: the DNS/IP reconciliation against Debian's NSD on loopback, beside `dig` doing the
same questions in the same run.

    .venv/bin/python tests/bench/bench_dns.py [--hosts 2000] [--dig-procs 8]

Prints lookups/s for Sigap and for dig (batch mode, several processes in parallel), and how long
the event loop was ever blocked during Sigap's run (a 5 ms ticker measures its lateness).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent)]

from helpers.netservers import Nsd  # noqa: E402

from checks.dns import DnsSettings, InventoryHost, Nameserver, check_dns  # noqa: E402

ZONE = "bench.polewalimandarkab.go.id"


def zones(n: int) -> dict[str, str]:
    head = "$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 900 604800 300\n@ IN NS ns1\nns1 IN A 198.18.0.1\n"
    forward = [f"$ORIGIN {ZONE}.", head]
    reverse = [
        "$ORIGIN 18.198.in-addr.arpa.",
        head.replace("ns1 IN A 198.18.0.1\n", "").replace("ns1", f"ns1.{ZONE}."),
    ]
    for i in range(n):
        ip = ipaddress.ip_address("198.18.1.0") + i
        forward.append(f"h{i} IN A {ip}")
        if i % 5:  # every fifth without PTR, every seventh pointing elsewhere: realistic misses
            target = f"h{i}" if i % 7 else "lama"
            reverse.append(f"{ip.packed[3]}.{ip.packed[2]} IN PTR {target}.{ZONE}.")
    return {ZONE: "\n".join(forward) + "\n", "18.198.in-addr.arpa": "\n".join(reverse) + "\n"}


def inventory(n: int) -> list[InventoryHost]:
    return [
        InventoryHost(f"h{i}.{ZONE}", (ipaddress.ip_address("198.18.1.0") + i,), "OPD", "bench")
        for i in range(n)
    ]


async def sigap_run(hosts, server, settings) -> tuple[float, int, float]:
    lag = 0.0
    stop = False

    async def ticker() -> None:
        nonlocal lag
        while not stop:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            lag = max(lag, time.perf_counter() - t - 0.005)

    tick = asyncio.create_task(ticker())
    t0 = time.perf_counter()
    results, obs = await check_dns(hosts, [server], [], settings)
    elapsed = time.perf_counter() - t0
    stop = True
    await tick
    assert len(results) == len(hosts)
    return elapsed, obs.queries, lag


def dig_run(hosts, nsd: Nsd, procs: int) -> tuple[float, int]:
    questions = []
    for h in hosts:
        questions += [f"{h.name} A", f"{h.name} AAAA", f"-x {h.ips[0]}"]
    tmp = Path(tempfile.mkdtemp())
    files = []
    for p in range(procs):
        f = tmp / f"batch{p}"
        f.write_text("\n".join(questions[p::procs]) + "\n")
        files.append(f)
    cmd = ["dig", "@127.0.0.1", "-p", str(nsd.port), "+norecurse", "+tries=1", "+time=2"]
    t0 = time.perf_counter()
    running = [subprocess.Popen([*cmd, "-f", str(f)], stdout=subprocess.DEVNULL) for f in files]
    for p in running:
        p.wait()
    return time.perf_counter() - t0, len(questions)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--dig-procs", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    hosts = inventory(args.hosts)
    with Nsd(zones(args.hosts), xfr=False) as nsd:
        server = Nameserver("127.0.0.1", nsd.port)
        settings = DnsSettings(concurrency=args.concurrency, zone_transfer=False)
        asyncio.run(sigap_run(hosts[:50], server, settings))  # warm up
        cpu0 = time.process_time()
        elapsed, queries, lag = asyncio.run(sigap_run(hosts, server, settings))
        cpu = time.process_time() - cpu0
        dig_elapsed, dig_queries = dig_run(hosts, nsd, args.dig_procs)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"hosts: {args.hosts}, A + AAAA + PTR per host, one NSD on 127.0.0.1, {os.cpu_count()} cores")
    print(
        f"sigap  (concurrency {args.concurrency}): {queries} lookups in {elapsed:.2f} s = "
        f"{queries / elapsed:,.0f} lookups/s, CPU {cpu:.2f} s, max event-loop lag {lag * 1000:.1f} ms, "
        f"peak RSS {rss:.0f} MiB"
    )
    print(
        f"dig    ({args.dig_procs} processes, batch mode): {dig_queries} lookups in {dig_elapsed:.2f} s = "
        f"{dig_queries / dig_elapsed:,.0f} lookups/s"
    )


if __name__ == "__main__":
    main()
