"""Soak: `sigap serve` with 500 websites, 200 SNMP devices and 500 links on loopback, for 30 minutes.

    .venv/bin/python tests/bench/soak_serve.py [--minutes 30] [--sites 500] [--devices 200] [--links 500]

Runs in a network namespace of its own (unshare -n) where 127.9.0.0/16 is blackholed, so 10 % of the
links are really down (cases open, notifications go to a webhook on loopback) while the rest answer
ICMP. Schedules are tightened so 30 minutes hold many runs: links every minute (as shipped), SNMP every
minute (shipped: 5), the website crawl every 10 minutes (shipped: weekly). Every 30 s it samples the
service's RSS and open file descriptors from /proc (and its children's: the crawl's parse workers),
and prints them; at the end, the first/last/peak figures and the runs recorded. Beside it, in the same
run, fping probes the same 500 link addresses (the reference for one link round), and snmpbulkwalk
reads one device. Traffic stays inside the namespace's loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(HERE.parent), str(REPO), str(HERE)]

from netns import reexec_in_blackhole_netns  # noqa: E402


def link_hosts(n: int, dead_pct: float) -> list[str]:
    dead = int(n * dead_pct / 100)
    live = [f"127.3.{i // 250}.{i % 250 + 1}" for i in range(n - dead)]
    return live + [f"127.9.{i // 250}.{i % 250 + 1}" for i in range(dead)]


def tree_pids(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for child in children:
        out += tree_pids(int(child))
    return out


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def write_config(
    work: Path, web_port: int, snmp_ports: list[int], hosts: list[str], hook: int, http: int, args
):
    from bench_web import host

    per = (args.devices + len(snmp_ports) - 1) // len(snmp_ports)
    lines = [
        "office: {name: Diskominfo Soak, timezone: Asia/Makassar}",
        'database: {url: "sqlite:///ledger.db"}',
        f"state_dir: {work / 'state'}",
        f'http: {{listen: "127.0.0.1:{http}"}}',
        "link: {probes: 3, timeout_s: 1.0}",
        "snmp: {timeout_s: 5, retries: 1}",
        "web: {crawl: {concurrency: 32, timeout_s: 20}}",
        "notify:",
        "  channels:",
        f'    - {{id: hook, url: "json://127.0.0.1:{hook}/kirim", roles: ["*"]}}',
        "agents:",
        "  polman-15: {schedule: {every_minutes: 1}}",
        "  polman-13: {schedule: {every_minutes: 1}}",
        "  kaltim-monitoring-website: {schedule: {every_minutes: 10}}",
        "  polman-03: {enabled: false}",
        "  polman-05: {enabled: false}",
        "  polman-07: {enabled: false}",
        "targets:",
        "  websites:",
    ]
    for i in range(args.sites):
        lines.append(
            f"    - {{id: site{i}, opd: OPD {i}, url: 'http://{host(i)}:{web_port}/', owned_by_office: true}}"
        )
    lines.append("  snmp_devices:")
    for d in range(args.devices):
        port = snmp_ports[d // per]
        lines.append(
            f"    - {{id: sw{d:03d}, host: 127.0.0.1, port: {port}, community: sw{d:03d}, timeout_s: 5}}"
        )
    lines.append("  links:")
    for i, address in enumerate(hosts):
        device = ""
        if i < args.devices:  # the first links are measured by SNMP too: port 1 of their switch
            device = f", device: sw{i:03d}, if_index: {i % 48 + 1}"
        lines.append(
            f"    - {{id: link{i}, opd: OPD {i}, host: {address}, contracted_down_mbps: 20, "
            f"contracted_up_mbps: 20{device}}}"
        )
    path = work / "sigap.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--links", type=int, default=500)
    parser.add_argument("--interfaces", type=int, default=48)
    parser.add_argument("--dead-pct", type=float, default=10)
    parser.add_argument("--sample-s", type=float, default=30)
    args = parser.parse_args()
    reexec_in_blackhole_netns()

    from bench_snmp import switch
    from helpers.netservers import free_port
    from helpers.receivers import Webhook
    from helpers.snmpservers import Snmpsim

    work = Path(tempfile.mkdtemp(prefix="sigap-soak-"))
    web = subprocess.Popen(
        [sys.executable, str(HERE / "bench_web.py"), "--serve", "--sites", str(args.sites)],
        stdout=subprocess.PIPE,
        text=True,
    )
    web_port = int(web.stdout.readline())
    servers = []
    share = (args.devices + 1) // 2
    for s in range(2):
        names = [f"sw{k:03d}" for k in range(s * share, min(args.devices, (s + 1) * share))]
        servers.append(
            Snmpsim({n: switch(args.interfaces, int(n[2:])) for n in names}, extra=["--max-var-binds=256"])
        )
    hook = Webhook()
    hook.up = True
    http_port = free_port()
    hosts = link_hosts(args.links, args.dead_pct)
    config = write_config(work, web_port, [s.port for s in servers], hosts, hook.port, http_port, args)
    print(
        f"soak: {args.sites} websites (crawl every 10 min), {args.devices} SNMP devices x {args.interfaces} "
        f"interfaces (every min), {args.links} links ({args.dead_pct:g} % blackholed, every min), "
        f"{args.minutes:g} min, SQLite ledger",
        flush=True,
    )
    # The references, same targets, same run: one round of the links by fping, one device by snmpbulkwalk.
    t0 = time.perf_counter()
    subprocess.run(
        ["fping", "-q", "-C", "3", "-p", "200", "-t", "1000", "-r", "0", "-i", "1", *hosts],
        capture_output=True,
    )
    fping_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    if shutil.which("snmpbulkwalk"):
        subprocess.run(
            [
                "snmpbulkwalk",
                "-v2c",
                "-c",
                "sw000",
                "-Cr25",
                f"127.0.0.1:{servers[0].port}",
                "1.3.6.1.2.1.2.2",
            ],
            capture_output=True,
        )
    walk_s = time.perf_counter() - t0
    env = {k: v for k, v in os.environ.items() if k not in {"SIGAP_CONFIG", "SIGAP_STATE_DIR"}}
    log = open(work / "serve.log", "wb")  # noqa: SIM115 -- open while the service runs
    serve = subprocess.Popen(
        [sys.executable, "-m", "agents.cli", "--config", str(config), "serve"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    samples = []
    start = time.monotonic()
    print(f"{'min':>5} {'RSS MiB':>8} {'tree MiB':>9} {'fds':>5} {'threads':>8}", flush=True)
    try:
        while time.monotonic() - start < args.minutes * 60:
            time.sleep(args.sample_s)
            if serve.poll() is not None:
                raise SystemExit(f"serve exited with {serve.returncode}; see {work / 'serve.log'}")
            pids = tree_pids(serve.pid)
            threads = len(os.listdir(f"/proc/{serve.pid}/task"))
            sample = (
                (time.monotonic() - start) / 60,
                rss_mib(serve.pid),
                sum(rss_mib(p) for p in pids),
                fds(serve.pid),
                threads,
            )
            samples.append(sample)
            print(
                f"{sample[0]:5.1f} {sample[1]:8.1f} {sample[2]:9.1f} {sample[3]:5d} {sample[4]:8d}",
                flush=True,
            )
        health = json.loads(
            subprocess.run(
                ["curl", "-s", f"http://127.0.0.1:{http_port}/healthz"], capture_output=True, text=True
            ).stdout
        )
        serve.terminate()
        serve.wait(30)
    finally:
        if serve.poll() is None:
            serve.kill()
        web.kill()
        for s in servers:
            s.stop()
    db = sqlite3.connect(work / "state" / "ledger.db")
    rows = db.execute(
        "SELECT sop_id, status, count(*), avg((julianday(finished_at) - julianday(started_at)) * 86400) "
        "FROM step_runs GROUP BY sop_id, status ORDER BY sop_id, status"
    ).fetchall()
    notes = db.execute("SELECT status, count(*) FROM notifications GROUP BY status").fetchall()
    rss = [s[1] for s in samples]
    fd = [s[3] for s in samples]
    # Flat: the second half's figures against the first half's.
    half = len(samples) // 2
    print()
    print(
        f"service RSS: first {rss[0]:.1f} MiB, last {rss[-1]:.1f} MiB, peak {max(rss):.1f} MiB "
        f"(with parse workers: peak {max(s[2] for s in samples):.1f} MiB)"
    )
    print(
        f"RSS mean first half {sum(rss[:half]) / max(half, 1):.1f} MiB, second half "
        f"{sum(rss[half:]) / max(len(rss) - half, 1):.1f} MiB"
    )
    print(f"open fds: first {fd[0]}, last {fd[-1]}, min {min(fd)}, max {max(fd)}")
    for sop_id, status, n, mean in rows:
        print(f"step runs {sop_id} {status}: {n}, mean {mean or 0:.2f} s")
    print(f"notifications: {dict(notes)}; webhook received {len(hook.received)}")
    print(f"healthz at the end: {health['status']}, leader {health['leader']}")
    print(
        f"reference: fping, one round of the {len(hosts)} links (3 probes, 200 ms apart): {fping_s:.2f} s; "
        f"snmpbulkwalk of one device's ifTable: {walk_s:.2f} s"
    )
    print(f"work dir: {work}")


if __name__ == "__main__":
    main()
