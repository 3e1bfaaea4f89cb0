"""Benchmark: crawl N simulated OPD sites on loopback, then curl the very same URLs, in one run.

    .venv/bin/python tests/bench/bench_web.py [--sites 1000] [--concurrency 64] [--bombs 20]
        [--watch on|off] [--injected 10] [--check-against 25]

Each site has its own 127.1.x.y address; every response waits 100-300 ms (seeded), as government
sites are slow. The site server runs in a separate process so the figures are the crawler's own:
wall time, sites/minute, CPU milliseconds per site (user+system of the crawling process) and peak
RSS. Then curl fetches exactly the URLs the crawler fetched, with the same parallelism
(`curl --parallel --parallel-max C`), and the ratio of the two wall times is printed.
`--watch off` crawls without the injection watch (issue 21), to compare requests and CPU per site;
`--injected N` plants a hidden block of gambling links on N of the sites, to count what is found.

Every site knows the newest date a careful person reads on it (a portal: its newest news item's day;
a CMS fixture: `webfixtures.NEWEST`), and the crawl's answers are counted against that ground truth:
"right date: 1000/1000". The clock is the fixtures' (`webfixtures.NOW`), so the answers and statuses
do not depend on the day the benchmark runs. Before the timed crawl, the first `--check-against N`
sites (25) are crawled alone by a fresh client: the same sites must get the same date, from the same
source and with the same number of requests, in the crowd as alone, so speed is never bought by
skipping sources. Peak RSS is each process's own high-water mark (VmHWM), not ru_maxrss, which a
forked or exec'd process inherits from its parent.
Traffic stays on 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parents[1])]

from helpers.webfixtures import FAMILIES, NEWEST, NOW, TZ, indonesian  # noqa: E402
from helpers.websrv import Site, WebServer  # noqa: E402

SUMMARY = "Ringkasan berita kegiatan. " * 12
# The block a hacked OPD page carries after its footer (tests/fixtures/web/inject: hidden_offscreen).
SPAM = (
    '<div style="position:absolute;left:-9999px"><a href="https://casino-gacor.example/">Slot Gacor</a> '
    '<a href="https://maxwin88.example/">situs slot maxwin</a></div>'
)


def host(i: int) -> str:
    return f"127.1.{i // 250}.{i % 250 + 1}"


def _newest_item(rng: random.Random, now: datetime) -> datetime:
    """When a portal's newest item was posted (office time): 0-40 days before `now`."""
    return now.astimezone(ZoneInfo(TZ)) - timedelta(days=rng.randint(0, 40))


def portal(newest: datetime) -> Site:
    """A large home page as real OPD portals have: a long menu and 40 dated news items (~60 KB), the
    newest posted at `newest` (office time)."""
    menu = "".join(f'<li><a href="/halaman/menu-{k}">Menu layanan publik {k}</a></li>' for k in range(120))
    sections = (
        '<a href="/profil">Profil</a><a href="/berita">Berita</a><a href="/agenda">Agenda</a>'
        '<a href="/ppid">PPID</a><a href="/kontak">Kontak</a><a href="/pengumuman">Pengumuman</a>'
    )
    items = []
    for k in range(40):
        day = newest - timedelta(days=k * 2)
        items.append(
            f'<div class="post-item"><h3><a href="/berita/{k}/kegiatan-pemerintah-daerah-nomor-{k}">Kegiatan '
            f'Pemerintah Daerah nomor {k} bersama perangkat daerah</a></h3><span class="tgl">'
            f"{indonesian(day)}</span><p>{SUMMARY}</p></div>"
        )
    body = (
        f"<html><head><meta charset='utf-8'><title>Portal OPD</title></head><body><nav><ul>{menu}</ul>"
        f"</nav><div class='menu-utama'>{sections}</div><main>{''.join(items)}</main>"
        "<footer>Hak cipta Pemerintah Daerah</footer></body></html>"
    )
    # the item's own page: the same moment, in the office's zone, so its day is the one the list prints
    article = (
        "<html><head><meta property='article:published_time' content='"
        f"{newest.isoformat()}'></head><body><h1>Berita</h1></body></html>"
    )
    return Site().add("/", body).add(f"/berita/0/kegiatan-pemerintah-daerah-nomor-{0}", article)


def _vmhwm_mib() -> float:
    """This process's own peak RSS (VmHWM, MiB). ru_maxrss would carry the parent's across fork/exec."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _worker_usage(_: int) -> tuple[int, float, float]:
    time.sleep(0.05)  # long enough that every worker takes some of the calls
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return os.getpid(), usage.ru_utime + usage.ru_stime, _vmhwm_mib()


def bomb_hosts(n: int, bombs: int) -> set[str]:
    """Which sites serve a compression bomb instead of their home page: spread over the crawl."""
    return {host(i * n // bombs) for i in range(bombs)} if bombs else set()


def double_gzip_bomb(decoded_bytes: int = 1 << 30) -> bytes:
    """`Content-Encoding: gzip, gzip` over 1 GiB of zeros: ~2 KB on the wire (issue 17's page)."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    zero = b"\0" * (1 << 20)
    gz = b"".join(inner.compress(zero) for _ in range(decoded_bytes // len(zero))) + inner.flush()
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return outer.compress(gz) + outer.flush()


def injected_hosts(n: int, injected: int) -> set[str]:
    return {host(i * n // injected + 1) for i in range(injected)} if injected else set()


def site_plan(n: int, seed: int) -> list[tuple[str, str, datetime | None]]:
    """(host, family, the newest portal item's moment or None) for each of the n sites: the one
    seeded plan both the sites and their ground truth come from. The first k are the same for any
    n >= k."""
    rng = random.Random(seed)
    families = list(FAMILIES)
    return [
        (host(i), "portal", _newest_item(rng, NOW))
        if i % 2 == 0
        else (host(i), families[i % len(families)], None)
        for i in range(n)
    ]


def build_sites(n: int, seed: int, injected: int = 0) -> dict[str, Site]:
    """The n sites of the plan."""
    sites = {
        name: portal(newest) if newest is not None else FAMILIES[family]()
        for name, family, newest in site_plan(n, seed)
    }
    for name in injected_hosts(n, injected):
        home = sites[name].routes["/"]
        home.body = home.body.replace(b"</body>", SPAM.encode() + b"</body>", 1)
    return sites


def ground_truth(n: int, seed: int) -> dict[str, tuple[str, date]]:
    """host -> (family, the day of its newest berita): what a careful person reads on each site of the
    plan (without building the pages in the crawler's process)."""
    return {
        name: (family, newest.date() if newest is not None else NEWEST[family])
        for name, family, newest in site_plan(n, seed)
    }


def serve(args: argparse.Namespace) -> None:
    """Child process: serve the sites with a random 100-300 ms delay per response."""
    sites = build_sites(args.sites, args.seed, args.injected)
    rng = random.Random(args.seed + 1)
    for site in sites.values():
        for route in site.routes.values():
            route.delay_s = rng.uniform(args.delay_min, args.delay_max)
    if args.bombs:
        bomb = double_gzip_bomb()
        for name in bomb_hosts(args.sites, args.bombs):
            sites[name] = Site().add("/", bomb, headers={"Content-Encoding": "gzip, gzip"})
    # Unknown paths (404s the crawler probes) are slow too.
    server = WebServer(sites)
    server.missing_delay_s = lambda: rng.uniform(args.delay_min, args.delay_max)

    async def main() -> None:
        await server.start()
        print(server.port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def _answers(results: list) -> dict[str, tuple[str | None, str | None, int]]:
    """host -> (the newest berita's day in the office's zone, its source, requests)."""
    from checks.web import result_as_dict

    out = {}
    for r in results:
        d = result_as_dict(r)
        when = d["latest_published"]
        out[r.target.split("//")[1].split(":")[0]] = (when[:10] if when else None, d["source"], d["requests"])
    return out


def crawl(args: argparse.Namespace, port: int, truth: dict[str, tuple[str, date]]) -> dict:
    from checks.web import CrawlSettings, SiteSpec, WatchSettings, crawl_sites, make_parse_pool
    from checks.web.fetch import make_client

    urls: list[str] = []
    settings = CrawlSettings(concurrency=args.concurrency, timeout_s=20)
    watch = WatchSettings(enabled=args.watch == "on")

    async def record(request) -> None:
        urls.append(str(request.url))

    workers = os.cpu_count() or 1
    pool = make_parse_pool(workers)
    pool_usage: dict[int, tuple[float, float]] = {}

    async def run(n: int, hook) -> list:
        client = make_client(settings)
        if hook:
            client.event_hooks["request"] = [hook]
        specs = [SiteSpec(url=f"http://{host(i)}:{port}/", timezone=TZ) for i in range(n)]
        try:
            return await crawl_sites(specs, settings, NOW, client=client, pool=pool, watch=watch)
        finally:
            await client.aclose()

    def worker_cpu() -> float:
        # The parse workers are the forkserver's children, not ours: ask each for its own usage.
        for pid, cpu_s, rss in pool.map(_worker_usage, range(workers * 4)):
            pool_usage[pid] = (cpu_s, rss)
        return sum(cpu for cpu, _ in pool_usage.values())

    # The first sites crawled alone, untimed: what each of them gets when nothing competes.
    alone = _answers(asyncio.run(run(args.check_against, None))) if args.check_against else {}

    base_workers = worker_cpu()  # starts the workers before the clock

    def own_cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime

    before = own_cpu()
    started = time.perf_counter()
    results = asyncio.run(run(args.sites, record))
    wall = time.perf_counter() - started
    main_cpu = own_cpu() - before
    parse_cpu = worker_cpu() - base_workers
    pool.shutdown()
    cpu = main_cpu + parse_cpu
    statuses: dict[str, int] = {}
    injected: set[str] = set()
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if any(f.code == "content_injected" for f in r.findings):
            injected.add(r.target.split("//")[1].split(":")[0])
    crowd = _answers(results)
    bombed = bomb_hosts(args.sites, args.bombs)
    judged = [h for h in crowd if h not in bombed]  # a bomb's site has no date to read
    wrong = {
        h: {
            "family": truth[h][0],
            "expected": truth[h][1].isoformat(),
            "got": crowd[h][0],
            "source": crowd[h][1],
        }
        for h in judged
        if crowd[h][0] != truth[h][1].isoformat()
    }
    right_alone = sum(alone[h][0] == truth[h][1].isoformat() for h in alone if h not in bombed)
    changed = {h: {"alone": alone[h], "in_crowd": crowd[h]} for h in alone if alone[h] != crowd[h]}
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": _vmhwm_mib(),
        "peak_rss_worker_mib": max(rss for _, rss in pool_usage.values()),
        "main_cpu_s": main_cpu,
        "parse_cpu_s": parse_cpu,
        "requests": len(urls),
        "urls": urls,
        "statuses": statuses,
        "injected_found": injected,
        "watch_requests": sum((r.injection or {}).get("requests", 0) for r in results),
        "right": len(judged) - len(wrong),
        "judged": len(judged),
        "wrong": wrong,
        "right_alone": right_alone,
        "judged_alone": sum(h not in bombed for h in alone),
        "changed_in_crowd": changed,
        "check_against": len(alone),
    }


def curl(urls: list[str], parallel: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as fh:
        for url in urls:
            fh.write(f'url = "{url}"\noutput = "/dev/null"\n')
        cfg = fh.name
    try:
        started = time.perf_counter()
        subprocess.run(
            [
                "curl",
                "--silent",
                "--show-error",
                "--no-progress-meter",
                "--compressed",
                "--parallel",
                "--parallel-max",
                str(parallel),
                "--config",
                cfg,
            ],
            check=False,
        )
        return time.perf_counter() - started
    finally:
        os.unlink(cfg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--delay-min", type=float, default=0.1)
    parser.add_argument("--delay-max", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bombs", type=int, default=0, help="sites serving a 1 GiB double-gzip bomb")
    parser.add_argument("--watch", choices=["on", "off"], default="on", help="the injection watch (issue 21)")
    parser.add_argument("--injected", type=int, default=0, help="sites carrying a hidden gambling block")
    parser.add_argument(
        "--check-against",
        type=int,
        default=25,
        metavar="N",
        help="crawl the first N sites alone first: the same answers are expected in the big crawl (0: off)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.check_against = min(args.check_against, args.sites)
    if args.serve:
        serve(args)
        return
    load_before = os.getloadavg()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", *sys.argv[1:]], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(child.stdout.readline())
        c = crawl(args, port, ground_truth(args.sites, args.seed))
        # curl would inflate each bomb to its whole GiB: it fetches the other sites' URLs.
        bombed = {f"//{h}:{port}/" for h in bomb_hosts(args.sites, args.bombs)}
        curl_wall = curl([u for u in c["urls"] if not any(b in u for b in bombed)], args.concurrency)
    finally:
        child.terminate()
        child.wait(10)
    n = args.sites
    same = c["check_against"] - len(c["changed_in_crowd"])
    report = {
        "sites": n,
        "bomb_sites": args.bombs,
        "concurrency": args.concurrency,
        "delay_ms": [int(args.delay_min * 1000), int(args.delay_max * 1000)],
        "watch": args.watch,
        "requests": c["requests"],
        "requests_per_site": round(c["requests"] / n, 2),
        "watch_requests_per_site": round(c["watch_requests"] / n, 2),
        "sigap_wall_s": round(c["wall_s"], 2),
        "sigap_sites_per_min": round(n / c["wall_s"] * 60),
        "sigap_cpu_ms_per_site": round(c["cpu_s"] * 1000 / n, 1),
        "sigap_cpu_ms_per_site_event_loop": round(c["main_cpu_s"] * 1000 / n, 1),
        "sigap_cpu_ms_per_site_html_parsing": round(c["parse_cpu_s"] * 1000 / n, 1),
        "sigap_parse_capacity_sites_per_min_one_core": round(60 / (c["cpu_s"] / n)),
        "sigap_peak_rss_mib": round(c["peak_rss_mib"], 1),
        "sigap_peak_rss_parse_worker_mib": round(c["peak_rss_worker_mib"], 1),
        "curl_wall_s_same_urls": round(curl_wall, 2),
        "wall_ratio_sigap_over_curl": round(c["wall_s"] / curl_wall, 2),
        # against the sites' ground truth (portal: its newest item's day; fixtures: webfixtures.NEWEST)
        "right_date": f"{c['right']}/{c['judged']}",
        "right_date_pct": round(100 * c["right"] / max(c["judged"], 1), 1),
        # the first N sites crawled alone before: answer (day, source, requests) unchanged in the crowd
        "right_date_first_sites_alone": f"{c['right_alone']}/{c['judged_alone']}",
        "first_sites_same_answer_in_crowd": f"{same}/{c['check_against']}",
        "wrong_dates": dict(list(c["wrong"].items())[:20]),
        "changed_in_crowd": dict(list(c["changed_in_crowd"].items())[:20]),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "statuses": c["statuses"],
    }
    if args.injected:
        planted = injected_hosts(n, args.injected)
        report["injected_sites"] = len(planted)
        report["injected_found"] = len(planted & c["injected_found"])
        report["clean_sites_flagged"] = len(c["injected_found"] - planted)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
