"""The weekly crawls' recaps as the console reads them, each parsed once per console process.

A crawl's recap (step_runs.details of a web_freshness run) is written once, when its run finishes
(store.finish_step_run), and never changed after, so a finished crawl's rows can be kept. Website OPD
reads twelve weeks of them for its strips and the public status page ninety days; a province's recap
is 500 rows, about 130 KB of JSON, and parsing and validating every one of them on every load was most
of those pages' time. What is read each time is the crawls' ids and times; a crawl is kept under its
id and start (an id SQLite hands out again after the newest row is deleted comes with another start).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sop_registry.ledger import records
from sop_registry.ledger.models import StepRun

FINISHED = ("ok", "warn", "crit", "unknown")  # a crawl that ran to its end: it has a recap
KEPT = 48  # crawls kept: ninety days of weekly ones with their catch-ups, for a few ledgers' worth


@dataclass(frozen=True)
class Crawl:
    id: int
    started_at: datetime
    rows: tuple[records.WebRecapRow, ...] = ()
    by_url: dict[str, records.WebRecapRow] = field(default_factory=dict)


def _crawl(run_id: int, started_at: datetime, details: dict | None) -> Crawl:
    rows = tuple(records.readable_recap(run_id, details))
    return Crawl(run_id, started_at, rows, {r.url: r for r in rows})


_all: weakref.WeakSet[Recaps] = weakref.WeakSet()


def clear_all() -> None:
    """Forget every console's crawls (the benchmark's cold loads)."""
    for recaps in list(_all):
        recaps.clear()


def _heads() -> Select:
    """The crawls with a recap: web_freshness runs that ran to their end, not a shared measurement's."""
    return select(StepRun.id, StepRun.started_at).where(
        StepRun.agent == records.WEB_FRESHNESS,
        StepRun.status.in_(FINISHED),
        StepRun.measured_by_run_id.is_(None),
    )


class Recaps:
    """One per console (one ledger): the finished crawls' parsed recaps, the newest KEPT."""

    def __init__(self, kept: int = KEPT) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._crawls: OrderedDict[tuple[int, datetime], Crawl] = OrderedDict()
        _all.add(self)

    def clear(self) -> None:
        with self._lock:
            self._crawls.clear()

    def newest(self, db: Session) -> Crawl | None:
        """The newest crawl that ran to its end (a shared measurement's own run is not one)."""
        head = db.execute(_heads().order_by(StepRun.started_at.desc(), StepRun.id.desc()).limit(1)).first()
        return self._read(db, [(head.id, head.started_at)])[0] if head else None

    def since(self, db: Session, since: datetime) -> list[Crawl]:
        """Every crawl started since then that ran to its end, oldest first."""
        query = _heads().where(StepRun.started_at >= since).order_by(StepRun.started_at, StepRun.id)
        return self._read(db, [(h.id, h.started_at) for h in db.execute(query)])

    def _read(self, db: Session, heads: list[tuple[int, datetime]]) -> list[Crawl]:
        with self._lock:
            found = {key: self._crawls.get(key) for key in heads}
        missing = [run_id for (run_id, _at), crawl in found.items() if crawl is None]
        if missing:
            fetched = db.execute(
                select(StepRun.id, StepRun.started_at, StepRun.details).where(StepRun.id.in_(missing))
            ).all()
            parsed = {(run_id, at): _crawl(run_id, at, details) for run_id, at, details in fetched}
            found.update(parsed)  # parsed outside the lock: the other page threads need not wait
            with self._lock:
                self._crawls.update(parsed)
                while len(self._crawls) > self._kept:
                    self._crawls.popitem(last=False)
        with self._lock:
            for key in heads:
                if key in self._crawls:
                    self._crawls.move_to_end(key)
        return [found[key] for key in heads if found.get(key) is not None]
