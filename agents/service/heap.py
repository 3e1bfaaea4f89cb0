"""Short garbage-collector pauses for the scheduler's loop.

CPython's full (generation 2) collection walks every tracked object; a service that has imported
SQLAlchemy, pydantic, the SOP registry and the kinds' libraries has some 150,000 of them, and a full
pass took 100-165 ms, on the loop, in the middle of a link round (tests/bench/bench_console.py
caught it as the loop's largest lag). What is alive once the service has started, and once each job
has run the first time (its kind's lazy imports, its clients), lives for the service's life:
`gc.freeze()` moves it out of the collector's sight, and the later full passes walk only what was
made since (about 1 ms).
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("sigap.service")


def settle(why: str) -> float:
    """Collect what is garbage now, then freeze the rest; the seconds it took."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    took = time.perf_counter() - started
    log.debug("heap frozen why=%s objects=%s took_ms=%.0f", why, gc.get_freeze_count(), took * 1000)
    return took


class Settler:
    """Settles the heap once at start and once after each job's first run."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def after_first_run(self, job_id: str) -> None:
        if job_id not in self.seen:
            self.seen.add(job_id)
            settle(f"first run of {job_id}")
