"""The public status page (/status): off by default. With `console.public_status` it shows, without a
login, the office's name, each chosen target's state now and its availability over 90 days, and the
announcements (the configured ones, and maintenance windows now or within a week). It names no target,
OPD or internal id unless the operator gives a label (or `show_names: true`).

A link's availability is its `link:<id>:up` samples' mean over 90 days; a website's is the share of
its weekly crawls in 90 days that found it reachable and dated (not `unknown`). The figures are kept
for `CACHE_S`, so a public page hit often costs one aggregate query per target every few minutes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sop_registry.ledger import records
from sop_registry.ledger.models import MaintenanceWindow, Sample

from .recaps import Recaps

DAYS = 90
CACHE_S = 300.0


class StatusTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    website: str | None = None  # a targets.websites id
    link: str | None = None  # a targets.links id
    label: str | None = Field(default=None, min_length=1, max_length=120)  # what the public reads

    @model_validator(mode="after")
    def _one(self) -> StatusTarget:
        if (self.website is None) == (self.link is None):
            raise ValueError("give one of website or link")
        return self


class Announcement(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1, max_length=1000)
    text_en: str | None = Field(default=None, max_length=1000)


class PublicStatus(BaseModel):
    """`console.public_status`: true (every link and site, unnamed) or this mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    targets: list[StatusTarget] = Field(default_factory=list)  # empty: every website and link
    show_names: bool = False  # label a target without a label by its id (internal names)
    announcements: list[Announcement] = Field(default_factory=list)
    show_maintenance: bool = True  # maintenance windows now or within a week, without their targets


def settings_of(value: Any) -> PublicStatus:
    if value is None or value is False:
        return PublicStatus(enabled=False)
    if value is True:
        return PublicStatus()
    if isinstance(value, PublicStatus):
        return value
    return PublicStatus.model_validate(value if isinstance(value, dict) else value.model_dump())


def check_targets(settings: PublicStatus, config: Any) -> None:
    sites = {w.id for w in config.targets.websites}
    links = {link.id for link in config.targets.links}
    for i, t in enumerate(settings.targets):
        if t.website is not None and t.website not in sites:
            raise ValueError(
                f"console.public_status.targets[{i}].website: no targets.websites id {t.website!r}"
            )
        if t.link is not None and t.link not in links:
            raise ValueError(f"console.public_status.targets[{i}].link: no targets.links id {t.link!r}")


@dataclass
class Line:
    label: str
    kind: str  # website | link
    state: str  # ok | down | degraded | unknown
    availability_pct: float | None


_lock = threading.Lock()
_cache: dict[int, tuple[float, list[Line]]] = {}


def _chosen(settings: PublicStatus, config: Any) -> list[StatusTarget]:
    if settings.targets:
        return list(settings.targets)
    return [StatusTarget(link=link.id) for link in config.targets.links] + [
        StatusTarget(website=w.id) for w in config.targets.websites
    ]


def _link_state(db: Session, link_id: str, since: datetime) -> tuple[str, float | None]:
    series = records.link_up(link_id)
    mean = db.scalar(select(func.avg(Sample.value)).where(Sample.series == series, Sample.at >= since))
    last = db.scalar(select(Sample.value).where(Sample.series == series).order_by(Sample.at.desc()).limit(1))
    state = "unknown" if last is None else ("ok" if last >= 0.5 else "down")
    return state, None if mean is None else float(mean) * 100


def _site_states(
    recaps: Recaps, db: Session, since: datetime
) -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
    """The newest crawl's status per site URL, and per URL (crawls measured, crawls in 90 days)."""
    newest = recaps.newest(db)
    now_status = {r.url: r.status for r in newest.rows} if newest else {}
    counts: dict[str, tuple[int, int]] = {}
    for crawl in recaps.since(db, since):
        for r in crawl.rows:
            good, total = counts.get(r.url, (0, 0))
            counts[r.url] = (good + (r.status != "unknown"), total + 1)
    return now_status, counts


_building = threading.Lock()


def lines(console: Any, db: Session, settings: PublicStatus, now: datetime, lang: str) -> list[Line]:
    key = id(console)
    with _lock:
        hit = _cache.get(key)
        if hit and time.monotonic() - hit[0] < CACHE_S:
            return _labelled(hit[1], settings, console, lang)
    with _building:  # one reader at a time makes the figures; the others wait and share them
        with _lock:
            hit = _cache.get(key)
            if hit and time.monotonic() - hit[0] < CACHE_S:
                return _labelled(hit[1], settings, console, lang)
        return _labelled(_measure(console, db, settings, now), settings, console, lang)


def _measure(console: Any, db: Session, settings: PublicStatus, now: datetime) -> list[Line]:
    key = id(console)
    since = now - timedelta(days=DAYS)
    config = console.config
    sites = {w.id: w for w in config.targets.websites}
    site_now, site_counts = _site_states(console.recaps, db, since)
    out = []
    for t in _chosen(settings, config):
        if t.link is not None:
            state, pct = _link_state(db, t.link, since)
            out.append(Line(t.link, "link", state, pct))
        else:
            url = sites[t.website].url
            crawl = site_now.get(url)
            state = {"ok": "ok", "warn": "ok", "crit": "ok", "unknown": "down"}.get(crawl or "", "unknown")
            good, total = site_counts.get(url, (0, 0))
            out.append(Line(t.website, "website", state, good / total * 100 if total else None))
    with _lock:
        _cache[key] = (time.monotonic(), out)
    return out


def _labelled(found: list[Line], settings: PublicStatus, console: Any, lang: str) -> list[Line]:
    from .texts import text

    labels = {(t.link or t.website): t.label for t in _chosen(settings, console.config)}
    n = {"link": 0, "website": 0}
    shown = []
    for line in found:
        n[line.kind] += 1
        label = labels.get(line.label) or (
            line.label if settings.show_names else text(lang, f"status_generic_{line.kind}", n=n[line.kind])
        )
        shown.append(Line(label, line.kind, line.state, line.availability_pct))
    return shown


def maintenance_now(db: Session, now: datetime) -> list[MaintenanceWindow]:
    """One-off windows going on or starting within a week, and every weekly one (no target named)."""
    rows = db.scalars(select(MaintenanceWindow).where(MaintenanceWindow.removed_at.is_(None)))
    soon = now + timedelta(days=7)
    out = []
    for w in rows:
        if w.days:
            out.append(w)
        elif w.starts_at is not None and w.ends_at is not None:
            starts, ends = _utc(w.starts_at), _utc(w.ends_at)
            if ends > now and starts < soon:
                out.append(w)
    return out


def _utc(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


Kind = Literal["website", "link"]
