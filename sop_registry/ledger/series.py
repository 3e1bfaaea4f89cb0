"""Reading the measured time series back: the weekly report's 95th percentile of each link's traffic.

The 95th percentile is what providers bill and contracts quote: the level traffic stays under for
all but 5% of the samples (about 8.4 hours of a week), so a short burst does not count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Sample


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (the definition carriers use for 95th-percentile billing)."""
    if not values:
        return None
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} outside (0, 100]")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class SeriesSummary:
    series: str
    count: int
    p95: float | None
    mean: float | None
    peak: float | None


def summarise(session: Session, series: str, start: datetime, end: datetime, q: float = 95) -> SeriesSummary:
    """One series over [start, end): sample count, percentile `q`, mean and peak."""
    values = list(
        session.scalars(
            select(Sample.value).where(Sample.series == series, Sample.at >= start, Sample.at < end)
        )
    )
    return summary_of(series, values, q)


def summary_of(series: str, values: Sequence[float], q: float = 95) -> SeriesSummary:
    """The same summary of values already read (a caller that also needs the times reads once)."""
    return SeriesSummary(
        series,
        len(values),
        percentile(values, q),
        sum(values) / len(values) if values else None,
        max(values, default=None),
    )
