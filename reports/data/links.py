"""Link availability, outages and bandwidth from the samples, in grouped statements.

Measured (tests/bench/bench_report.py, 200 links, 2.0 M up/down samples a week): the first wave read
every sample of every link into Python, four queries per link, 4.45 s against 0.37 s for the sqlite3
command line computing the uptime with one GROUP BY. Here the database counts:

- per link and office day, the samples: one statement, a UNION ALL of one range of the (series, at)
  index per day, which counts without reading a row (a CASE on the time, or grouping by it, made
  SQLite sort 2 M rows: 1.0 s; the ranges: 0.12 s);
- the down samples only, each with the time of the sample after it (an index lookup): the samples up
  per day are the samples less these, consecutive down samples are one outage, and the sample after
  the last is its end;
- bandwidth count, mean, peak and the nearest-rank 95th percentile in one window statement, and the
  chart's 6-hour means in one GROUP BY;
- for a link bound to a MikroTik queue, the queue's max-limit as the newest SNMP run of the period
  read it (step_runs.details["queues"], records.QueueLinkRow): the newest run first, most often the
  only one read.

The same statements run on SQLite and PostgreSQL. Series are named in chunks, so that no statement
carries more parameters than SQLite allows (32,766) whatever the number of links.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from sop_registry.ledger import records
from sop_registry.ledger.models import Finding, Sample, StepRun

from ..period import day_bounds
from .model import LinkRow, Outage, pct

_UP = 0.5  # a probe writes 1.0 up, 0.0 down
_CHUNK = 200  # series per statement: 200 x 31 days of parameters stays far under SQLite's limit
PERCENTILE = 95  # what providers bill and contracts quote (sop_registry.ledger.series)


def bucket_hours(days: int) -> int:
    """The utilisation chart's buckets: 6 hours over a week (28 points), a day over a month."""
    return 6 if days <= 7 else 24


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _sample_counts(session: Session, series: list[str], edges: list[datetime]) -> dict[tuple[str, int], int]:
    """(series, day index) -> samples in [edges[i], edges[i+1]): counted from the (series, at) index
    alone, without reading a row (0.12 s for 2 M samples; counting the up ones too read every row)."""
    out: dict[tuple[str, int], int] = {}
    for chunk in _chunks(series):
        parts = [
            select(Sample.series, literal(i).label("day"), func.count())
            .where(Sample.series.in_(chunk), Sample.at >= lo, Sample.at < hi)
            .group_by(Sample.series)
            for i, (lo, hi) in enumerate(pairwise(edges))
            if lo < hi
        ]
        if not parts:
            continue
        for name, day, n in session.execute(union_all(*parts)):
            out[(name, int(day))] = int(n)
    return out


def _down_samples(session: Session, series: list[str], start: datetime, end: datetime) -> list[tuple]:
    """Every down sample with the time of the next sample of its series (None: the last one)."""
    after = Sample.__table__.alias("after")
    nxt = (
        select(func.min(after.c.at))
        .where(after.c.series == Sample.series, after.c.at > Sample.at, after.c.at < end)
        .scalar_subquery()
    )
    rows: list[tuple] = []
    for chunk in _chunks(series):
        rows += session.execute(
            select(Sample.series, Sample.at, nxt)
            .where(Sample.series.in_(chunk), Sample.at >= start, Sample.at < end, Sample.value < _UP)
            .order_by(Sample.series, Sample.at)
        ).all()
    return rows


def _as_utc(value: Any) -> datetime | None:
    """A time from the subquery, aware UTC (min() keeps the column's type; a string is parsed too)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def outages_from(link_id: str, opd: str, downs: list[tuple[datetime, datetime | None]]) -> list[Outage]:
    """Runs of down samples: from the first down sample to the first sample after the run (up, since
    a down one would be in the run). `downs`: (time, time of the next sample) in order."""
    out: list[Outage] = []
    began: datetime | None = None
    for i, (at, following) in enumerate(downs):
        began = began or at
        continues = i + 1 < len(downs) and following == downs[i + 1][0]
        if continues:
            continue
        if following is None:  # still down at the last sample
            out.append(Outage(link_id, opd, began, None, at, (at - began).total_seconds()))
        else:
            out.append(Outage(link_id, opd, began, following, at, (following - began).total_seconds()))
        began = None
    return out


def _bandwidth(session: Session, series: list[str], start: datetime, end: datetime) -> dict[str, tuple]:
    """series -> (count, mean, peak, nearest-rank percentile), in one window statement."""
    out: dict[str, tuple] = {}
    for chunk in _chunks(series):
        ranked = (
            select(
                Sample.series,
                Sample.value,
                func.row_number().over(partition_by=Sample.series, order_by=Sample.value).label("rn"),
                func.count().over(partition_by=Sample.series).label("n"),
                func.avg(Sample.value).over(partition_by=Sample.series).label("mean"),
                func.max(Sample.value).over(partition_by=Sample.series).label("peak"),
            )
            .where(Sample.series.in_(chunk), Sample.at >= start, Sample.at < end)
            .subquery()
        )
        # Nearest rank: ceil(q/100 * n) in integers, the same on both databases.
        rank = (PERCENTILE * ranked.c.n + 99) // 100
        query = select(ranked.c.series, ranked.c.n, ranked.c.mean, ranked.c.peak, ranked.c.value).where(
            ranked.c.rn == rank
        )
        for name, n, mean, peak, value in session.execute(query):
            out[name] = (int(n), float(mean), float(peak), float(value))
    return out


def _bucket_means(
    session: Session, series: list[str], start: datetime, cut: datetime, count: int, hours: int
) -> dict[tuple[str, int], float]:
    """(series, bucket) -> mean value over [start, cut), `count` buckets of `hours` from `start`.
    A CASE over the bucket edges: the bandwidth series are hourly, a few thousand rows."""
    edges = [start + timedelta(hours=hours * i) for i in range(1, count)]
    bucket = case(*[(Sample.at < edge, i) for i, edge in enumerate(edges)], else_=len(edges))
    out: dict[tuple[str, int], float] = {}
    for chunk in _chunks(series):
        query = (
            select(Sample.series, bucket.label("b"), func.avg(Sample.value))
            .where(Sample.series.in_(chunk), Sample.at >= start, Sample.at < cut)
            .group_by(Sample.series, bucket)
        )
        for name, b, mean in session.execute(query):
            out[(name, int(b))] = float(mean)
    return out


def _of_contract(
    buckets: dict[tuple[str, int], float], series: str, contract_mbps: float, count: int
) -> list[float | None]:
    """A bandwidth series' bucket means as % of the contract (None: no samples in the bucket)."""
    means = (buckets.get((series, i)) for i in range(count))
    return [None if m is None else pct(m / 1e6, contract_mbps) for m in means]


def finding_counts(
    session: Session, codes: tuple[str, ...], start: datetime, end: datetime
) -> dict[tuple[str, str], int]:
    query = (
        select(Finding.code, Finding.target, func.count())
        .join(StepRun, Finding.step_run_id == StepRun.id)
        .where(Finding.code.in_(codes), Finding.status != "ok", and_(StepRun.started_at >= start,
               StepRun.started_at < end))
        .group_by(Finding.code, Finding.target)
    )  # fmt: skip
    return {(code, target): int(n) for code, target, n in session.execute(query)}


def queue_readings(
    session: Session, config: Any, start: datetime, cut: datetime
) -> dict[str, tuple[records.QueueLinkRow, datetime]]:
    """link id -> the newest entry in [start, cut) of the queue it is bound to that has its max-limit
    read (step_runs.details["queues"] of the snmp_bandwidth runs, records.QueueLinkRow), with the run's
    time. Newest run first, stopping once every queue-bound link has one: the newest run has them all
    but when the API failed. A link whose device has no RouterOS API is never looked for (its limit
    cannot have been read), so an office without one reads no run."""
    devices = {d.id: d for d in getattr(config.targets, "snmp_devices", [])}
    wanted = {
        link.id
        for link in config.targets.links
        if getattr(link, "queue", None)
        and getattr(devices.get(getattr(link, "device", None)), "routeros", None) is not None
    }
    found: dict[str, tuple[records.QueueLinkRow, datetime]] = {}
    if not wanted:
        return found
    query = (
        select(StepRun.started_at, StepRun.details)
        .where(
            StepRun.agent == records.SNMP_BANDWIDTH,
            StepRun.measured_by_run_id.is_(None),
            StepRun.started_at >= start,
            StepRun.started_at < cut,
        )
        .order_by(StepRun.started_at.desc(), StepRun.id.desc())
        .execution_options(yield_per=16)
    )
    result = session.execute(query)
    try:
        for at, details in result:
            if not details or not details.get("queues"):
                continue
            for entry in records.SnmpRunDetails.from_json({"queues": details["queues"]}).queues:
                if entry.link in wanted and entry.link not in found and entry.limit_read:
                    found[entry.link] = (entry, _as_utc(at))
            if len(found) == len(wanted):
                break
    finally:
        result.close()
    return found


def link_rows(
    session: Session, config: Any, days: list[date], start: datetime, end: datetime, cut: datetime
) -> list[LinkRow]:
    """Each configured link over [start, cut) (cut: now, while the period runs); `days` are the
    period's office days (the daily availability)."""
    links = list(config.targets.links)
    if not links:
        return []
    zone = config.office.zone
    edges = [min(max(e, start), cut) for e in day_bounds(days, zone)]
    ups = [records.link_up(link.id) for link in links]
    counts = _sample_counts(session, ups, edges)
    # The down samples (with the time of the sample after each): the outages, and the samples up
    # per day as the samples less the down ones.
    downs: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    down_per_day: dict[tuple[str, int], int] = defaultdict(int)
    for name, at, following in _down_samples(session, ups, start, cut):
        at = _as_utc(at)
        downs[name].append((at, _as_utc(following)))
        down_per_day[(name, bisect_right(edges, at) - 1)] += 1
    bw_series = [s for link in links for s in (records.bw_down_bps(link.id), records.bw_up_bps(link.id))]
    bandwidth = _bandwidth(session, bw_series, start, cut)
    hours = bucket_hours(len(days))
    n_buckets = int((end - start).total_seconds() // (hours * 3600)) or 1
    buckets = _bucket_means(session, bw_series, start, cut, n_buckets, hours)  # down and up
    codes = ("bw_under_delivery", "bw_over_use", "queue_saturated", "queue_limit_mismatch")
    found = finding_counts(session, codes, start, cut)
    queues = queue_readings(session, config, start, cut)
    rows = []
    for link, series in zip(links, ups, strict=True):
        row = LinkRow(link.id, link.opd, link.provider, link.contracted_down_mbps, link.contracted_up_mbps)
        per_day = [
            (n, n - down_per_day[(series, d)]) if (n := counts.get((series, d))) else None
            for d in range(len(days))
        ]
        row.samples = sum(c[0] for c in per_day if c)
        if row.samples:
            row.uptime_pct = sum(c[1] for c in per_day if c) / row.samples * 100
            row.outages = outages_from(link.id, link.opd, downs.get(series, []))
            row.down_time_s = sum(o.duration_s for o in row.outages)
        row.daily_uptime = [c[1] / c[0] * 100 if c and c[0] else None for c in per_day]
        row.daily_counts = [c or (0, 0) for c in per_day]
        down_series, up_series = records.bw_down_bps(link.id), records.bw_up_bps(link.id)
        down = bandwidth.get(down_series)
        up = bandwidth.get(up_series)
        if down is not None:
            row.bw_samples = down[0]
            row.down_mean_mbps, row.down_peak_mbps, row.down_p95_mbps = (v / 1e6 for v in down[1:])
        if up is not None:
            row.up_mean_mbps, row.up_p95_mbps = up[1] / 1e6, up[3] / 1e6
        row.util_buckets = _of_contract(buckets, down_series, link.contracted_down_mbps, n_buckets)
        row.up_util_buckets = _of_contract(buckets, up_series, link.contracted_up_mbps, n_buckets)
        row.under_delivery = found.get(("bw_under_delivery", link.id), 0)
        row.over_use = found.get(("bw_over_use", link.id), 0)
        row.queue = getattr(link, "queue", None)
        if row.queue:
            row.queue_saturated = found.get(("queue_saturated", link.id), 0)
            row.queue_limit_mismatch = found.get(("queue_limit_mismatch", link.id), 0)
            if (reading := queues.get(link.id)) is not None:
                entry, row.queue_limit_read_at = reading
                row.queue = entry.name
                row.queue_limit_down_mbps = entry.max_limit_down_mbps
                row.queue_limit_up_mbps = entry.max_limit_up_mbps
        rows.append(row)
    return rows
