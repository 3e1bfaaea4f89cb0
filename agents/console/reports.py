"""The weekly reports as the console and the API read them: the archive's record (agents/weekly_report.py
`archived()`), its files by revision, and the Kepala Bidang's approval, recorded exactly as
`sigap report approve` records it (step run "disposisi" and the archive's meta.json)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.archive import Archive
from reports.period import Week

from .. import weekly_report
from .web import Console, NotFound

WEEK_PATTERN = re.compile(r"^\d{4}-W\d{2}$")
MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The stored report is Sigap's own template, with its own inline styles and SVG charts, and names
# what monitored sites published: shown sandboxed, scripts never run, nothing loaded from elsewhere.
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)


def archives(console: Console) -> list[Archive]:
    return weekly_report.archived(console.config)


def week_of(text: str) -> Week:
    if not WEEK_PATTERN.fullmatch(text):
        raise NotFound(text)
    try:
        return Week.parse(text)
    except Exception:
        raise NotFound(text) from None


def archive_of(console: Console, week_text: str) -> Archive:
    week = week_of(week_text)
    record = next((a for a in archives(console) if a.week == str(week)), None)
    if record is None:
        raise NotFound(week_text)
    return record


def report_file(console: Console, week_text: str, revision: int, fmt: str) -> Path:
    """A stored file of a revision, by the record's own name for it (never a path from the request)."""
    record = archive_of(console, week_text)
    rev = next((r for r in record.revisions if r.number == revision), None)
    if rev is None or fmt not in MEDIA or fmt not in rev.files:
        raise NotFound(f"{week_text} r{revision} {fmt}")
    path = record.directory / Path(rev.files[fmt]).name
    if not path.is_file():
        raise NotFound(str(path.name))
    return path


@dataclass
class Approved:
    run_id: int
    summary: str


def approve(
    console: Console, week_text: str, by: str, note: str | None, revision: int | None = None
) -> Approved:
    """The same approval as `sigap report approve --week W --by NAME --note N [--revision R]`; a week
    approved already, or without a stored report, is the InputError the CLI prints."""
    record = archive_of(console, week_text)
    run_id, summary = weekly_report.approve(
        console.config,
        console.registry,
        console.engine,
        week_of(record.week),
        by,
        console.clock(),
        note,
        revision,
    )
    return Approved(run_id, summary)


@dataclass
class Resent:
    revision: int
    recipients: list[str]


def send_again(console: Console, week_text: str, revision: int | None = None) -> Resent:
    """The same send as `sigap report send --week W [--revision R]`: the stored files as they were
    made, to report.recipients, recorded as the report's step 2 run. No mail server or no recipients
    is the InputError the CLI prints; the server refusing is OSError/SMTPException, raised."""
    record = archive_of(console, week_text)
    rev = record.revision(revision)
    config, registry, engine = console.config, console.registry, console.engine
    sent = weekly_report.deliver(
        config, registry, engine, week_of(record.week), console.clock(), revision=rev.number
    )
    return Resent(rev.number, list(sent.recipients))


def as_json(record: Archive) -> dict[str, Any]:
    data = record.to_json()
    for rev in data["revisions"]:
        rev["sent"] = len(record.sent(rev["revision"]))
    return data
