"""How fast the console is on a province-sized ledger, and what twenty people browsing it cost the
scheduler. A script, not a test (the machine it runs on is named in what it prints).

The ledger is tests/bench/bench_report.py's (500 sites on three Mondays, 200 links with a week of
minute samples, 2.0 M rows, hourly SNMP rates, 300 cases), on SQLite. The console's clock stands on
the Sunday evening of that week, so Ringkasan, Tautan and SOP read the whole week.

1. Each page, as an admin, through the ASGI app in this process: its median server time over a few
   loads (the one-minute figure cache cleared before each, so the report's figures are rebuilt), beside
   the time of the SQL statements that same page ran, re-run directly on a sqlite3 connection (the
   statements captured with SQLAlchemy's cursor events). Target: ratio at most 3x.
2. `sigap serve`'s arrangement: uvicorn in a thread of its own serving the console on 127.0.0.1, the
   scheduler's asyncio loop in the main thread running the real link round (polman-15 step 1, the link
   agent over the 200 links, TCP probes to a loopback listener) back to back, and a heartbeat measuring
   the loop's lag every 20 ms. First without clients, then with 20 clients (threads, one login each)
   loading pages for 60 s. Targets: the loop's largest lag at most 50 ms; a link round with clients at
   most 1.1x the round without.

    .venv/bin/python tests/bench/bench_console.py [--seconds 60] [--clients 20] [--loads 3]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import multiprocessing
import os
import random
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/helpers, after the packages
sys.path.append(str(Path(__file__).resolve().parent))  # bench_report, its ledger builder

import bench_report
import httpx
from sqlalchemy import event
from sqlalchemy.orm import Session

from agents.config import Config
from agents.console import accounts, home, recaps, status
from agents.console.app import build_console
from agents.service.heap import Settler
from sop_registry.ledger import connect, upgrade
from sop_registry.loader import load_registry

NOW = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # Sunday 22 November 2026 22.00 WITA, in 2026-W47
PASSWORD = "bench-password-console"
PAGES = [
    "/",
    "/cases",
    "/cases?state=all",
    "/websites",
    "/websites?bucket=passive",
    "/websites/s7",
    "/links?week=2026-W47",
    "/dns",
    "/certificates",
    "/sop",
    "/maintenance",
    "/users",
    "/reports",
    "/status",
    "/api/v1/cases?state=all",
    "/api/v1/websites",
]


class Listener:
    """A TCP port on 127.0.0.1 that accepts and closes: the links' far end. In a process of its own:
    the far end of a link is another machine, and 600 accepts a round on a thread of the scheduler's
    process would be the harness's load on the scheduler's GIL, not Sigap's."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = self.sock.getsockname()[1]
        self.process = multiprocessing.get_context("spawn").Process(
            target=accept_forever, args=(self.sock,), daemon=True
        )
        self.process.start()


def accept_forever(sock: socket.socket) -> None:
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        conn.close()


def make_config(state: Path, db: Path, port: int) -> Config:
    base = bench_report.config(500, 200, state).model_dump(mode="json", exclude_none=True)
    for link in base["targets"]["links"]:
        link.update({"method": "tcp", "port": port})
    base["database"] = {"url": f"sqlite:///{db}"}
    base["sops"] = ["polman-15", "kaltim-monitoring-website", "polman-14", "polman-19"]
    base["console"] = {"secret_key": "bench-" + "k" * 40, "session_idle_minutes": 600, "public_status": True}
    base.pop("http", None)
    return Config.model_validate(base)


class Capture:
    """The SQL statements an engine runs, with their parameters."""

    def __init__(self, engine) -> None:
        self.on = False
        self.statements: list[tuple[str, object]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on and not executemany:
            self.statements.append((statement, parameters))


def login(client) -> None:
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    reply = client.post("/login", data={"csrf": token, "name": "admin", "password": PASSWORD})
    assert reply.status_code == 303, reply.text[:300]


def server_total_s(reply) -> float:
    """The server's own time for the request, from its Server-Timing header (agents/console/timing.py)."""
    total = next(p for p in reply.headers["server-timing"].split(",") if p.strip().startswith("total;"))
    return float(total.split("dur=")[1]) / 1000


def page_times(app, engine, db: Path, token: str, loads: int) -> list[tuple]:
    """Per page: the server's time cold (every cache of the console emptied before each load: the
    Ringkasan's and the status page's figures, the parsed crawl recaps) and the test client's, the
    SQL of a cold load re-run on sqlite3, and the server's time warm (what the next person gets)."""
    from starlette.testclient import TestClient

    capture = Capture(engine)
    out = []
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        login(client)
        raw = sqlite3.connect(db)
        for path in PAGES:
            headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
            times, walls = [], []
            for i in range(loads + 1):
                home._cache.clear()
                status._cache.clear()
                recaps.clear_all()
                capture.statements, capture.on = [], i == 0
                started = time.perf_counter()
                reply = client.get(path, headers=headers)
                elapsed = time.perf_counter() - started
                capture.on = False
                assert reply.status_code == 200, (path, reply.status_code, reply.text[:300])
                if i == 0:
                    statements = list(capture.statements)
                else:
                    times.append(server_total_s(reply))
                    walls.append(elapsed)
            warm = [server_total_s(client.get(path, headers=headers)) for _ in range(loads)]
            sql = []
            for _ in range(loads):
                started = time.perf_counter()
                for statement, params in statements:
                    if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                        raw.execute(statement, params or ()).fetchall()
                sql.append(time.perf_counter() - started)
            medians = (
                statistics.median(times),
                statistics.median(walls),
                statistics.median(sql),
                statistics.median(warm),
            )
            out.append((path, *medians, len(statements)))
        raw.close()
    return out


SETTLER = Settler()  # one for the run, as the service has


def runqueue_wait_s() -> float:
    """How long this thread has waited, runnable, for a CPU (Linux schedstat): time the machine's other
    processes had the cores. A lag less this is the loop's own: its work, its GIL, its ledger."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


async def scheduler(
    config, registry, engine, seconds: float, lags: list[float], rounds: list[float], own_lags: list[float]
) -> None:
    from agents.runner import run_step

    stop = time.monotonic() + seconds

    async def heartbeat() -> None:
        while time.monotonic() < stop:
            before, waited = time.perf_counter(), runqueue_wait_s()
            await asyncio.sleep(0.02)
            lag = time.perf_counter() - before - 0.02
            lags.append(lag)
            own_lags.append(max(0.0, lag - (runqueue_wait_s() - waited)))

    async def link_rounds() -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            await run_step(config, engine, registry["polman-15"], 1, registry=registry)
            rounds.append(time.perf_counter() - started)
            SETTLER.after_first_run("polman-15/1")  # as the service does after a job's first run

    await asyncio.gather(heartbeat(), link_rounds())


class FixedClock:
    """The console's clock in its child: a picklable "now" on the bench week's Sunday."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def browsers(base: str, clients: int, seconds: float, results) -> None:
    """`clients` threads, one login each, loading pages until `seconds` have passed. At nice 10: the
    people browsing sit at their own machines, not on the server's two cores."""
    os.nice(10)
    loads: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + seconds
    threads = [threading.Thread(target=browse, args=(base, stop, loads, errors)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((loads, errors))


def browse(base: str, stop: float, loads: list[float], errors: list[str]) -> None:
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        login(client)
        rng = random.Random(threading.get_ident())
        while time.monotonic() < stop:
            path = rng.choice([p for p in PAGES if not p.startswith("/api/")])
            started = time.perf_counter()
            try:
                reply = client.get(path)
            except httpx.HTTPError as exc:
                errors.append(f"{path} {type(exc).__name__}")
                continue
            loads.append(time.perf_counter() - started)
            if reply.status_code != 200:
                errors.append(f"{path} {reply.status_code} {reply.text[:80]!r}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--loads", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, shared with other work while this ran; {sys.version.split()[0]}")
    listener = Listener()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ledger.db"
        config = make_config(Path(tmp) / "state", db, listener.port)
        registry = load_registry()
        config.check_against(registry)
        engine = connect(config.database_url())
        upgrade(engine)
        started = time.perf_counter()
        rows = bench_report.fill(engine, registry, config)
        bench_report.extras(engine, registry, config)
        with Session(engine) as s, s.begin():
            user = accounts.add_user(s, accounts.NewUser("admin", "admin", "Admin Bench"), PASSWORD, NOW)
            token = accounts.new_token(s, user, "read", NOW)[0]
        print(f"ledger: {rows} samples, filled in {time.perf_counter() - started:.0f} s")
        app = build_console(config, registry, engine, lambda: NOW, public_status=True)

        print("\n1. pages (admin; median of loads, figure cache cleared; SQL re-run directly on sqlite3)")
        print("   server ms: the console's Server-Timing total, cold (caches emptied); client ms: the test")
        print("   client's wall time of the same loads; warm ms: the server's time with its caches kept")
        head = f"{'server ms':>10} {'client ms':>10} {'SQL ms':>9} {'ratio':>7} {'queries':>8} {'warm ms':>8}"
        print(f"{'page':<28} {head}")
        worst, worst_heavy, light_ms = 0.0, 0.0, 0.0
        for path, page_s, wall_s, sql_s, warm_s, n in page_times(app, engine, db, token, args.loads):
            ratio = page_s / sql_s if sql_s > 0 else float("inf")
            worst = max(worst, ratio)
            if sql_s >= 0.001:
                worst_heavy = max(worst_heavy, ratio)
            else:
                light_ms = max(light_ms, page_s * 1000)
            ms = f"{page_s * 1000:10.2f} {wall_s * 1000:10.2f} {sql_s * 1000:9.3f}"
            print(f"{path:<28} {ms} {ratio:6.2f}x {n:8d} {warm_s * 1000:8.2f}")
        print(f"worst ratio {worst:.2f}x (target <= 3x)")
        print(f"  of the pages whose SQL takes 1 ms or more: {worst_heavy:.2f}x")
        print(f"  the others' (SQL under 1 ms) largest server time: {light_ms:.1f} ms")

        from agents.service import heap, logs
        from agents.service.console_proc import ConsoleProcess, health_socket
        from agents.service.http import HealthState, HttpEndpoint, bound_socket, make_app
        from agents.service.metrics import ServiceMetrics

        # sigap serve's arrangement (agents/service/serve.py _start_http): the parent's /healthz and
        # /metrics on a private Unix socket, the console in its child process on the listening socket.
        state = HealthState()
        inner, path = health_socket()
        health = HttpEndpoint.on_socket(inner, make_app(lambda: state, engine, ServiceMetrics(engine)))
        health.start()
        listen = bound_socket("127.0.0.1", 0)
        port = listen.getsockname()[1]
        console = ConsoleProcess(
            listen,
            path,
            config,
            registry,
            config.database_url(),
            logs.secret_values(config),
            clock=FixedClock(NOW),
        )
        console.start()
        base = f"http://127.0.0.1:{port}"
        heap.settle("start")  # as the service does before its scheduler starts
        try:
            quiet_lags: list[float] = []
            quiet_rounds: list[float] = []
            quiet_own: list[float] = []
            asyncio.run(scheduler(config, registry, engine, 20, quiet_lags, quiet_rounds, quiet_own))
            lags: list[float] = []
            rounds: list[float] = []
            own: list[float] = []
            # The people browsing are other machines: their clients run in a process of their own.
            context = multiprocessing.get_context("spawn")
            results = context.Queue()
            clients = context.Process(target=browsers, args=(base, args.clients, args.seconds, results))
            clients.start()
            load_before = os.getloadavg()[0]
            asyncio.run(scheduler(config, registry, engine, args.seconds, lags, rounds, own))
            load_after = os.getloadavg()[0]
            loads, errors = results.get(timeout=args.seconds + 120)
            clients.join(30)
        finally:
            console.stop()
            health.stop()
        q_round, b_round = statistics.median(quiet_rounds), statistics.median(rounds)
        print(f"\n2. scheduler loop with {args.clients} clients browsing for {args.seconds:.0f} s")
        print(f"page loads by the clients: {len(loads)}, median {statistics.median(loads) * 1000:.0f} ms, "
              f"p95 {sorted(loads)[int(len(loads) * 0.95)] * 1000:.0f} ms, errors {len(errors)}")  # fmt: skip
        if errors:
            print("errors:", collections.Counter(errors).most_common(8))
        p99 = sorted(lags)[int(len(lags) * 0.99)]
        print(f"loop lag: largest {max(quiet_lags) * 1000:.1f} ms without clients, "
              f"{max(lags) * 1000:.1f} ms with (target <= 50 ms); p99 with {p99 * 1000:.1f} ms")  # fmt: skip
        print(f"loop lag less the loop thread's wait for a CPU (other processes on the cores): largest "
              f"{max(quiet_own) * 1000:.1f} ms without clients, {max(own) * 1000:.1f} ms with; "
              f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} cores")  # fmt: skip
        print(f"link round (200 links): median {q_round:.2f} s without clients ({len(quiet_rounds)} rounds), "
              f"{b_round:.2f} s with ({len(rounds)} rounds): "
              f"{b_round / q_round:.2f}x (target <= 1.1x)")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
