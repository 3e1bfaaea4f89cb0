"""The weekly report (and the monthly recap) as SOP steps: made and archived (step 4, "Arsip"), sent to
the Kepala Bidang (step 2, "Laporan rekapitulasi hasil monitoring"), approved (step 3, "Disposisi").

Every one of these is a step run in the ledger, so the next week's report shows whether last week's
report went out and was approved, and `sigap serve` asks the ledger (not its memory) whether this
week's is still owed. The archive (reports/archive.py) keeps what was sent or approved as it was: a
period made again becomes its next revision. The runs' plumbing is in report_steps.py.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reports import archive, data, mail, render
from reports.period import Month, Period, Week
from reports.texts import get as report_texts
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.models import StepRun
from sop_registry.loader import Registry
from sop_registry.schema import WEEKDAYS

from . import kinds
from .config import Config
from .report_steps import (
    AGENT,
    APPROVAL,
    approval_of,
    archive_dir,
    frozen_in_ledger,
    key,
    language,
    make_command,
    name,
    no_report,
    parse,
    period_runs,
    record_send,
    step_run,
)

log = logging.getLogger("sigap.report")

__all__ = ["AGENT", "APPROVAL", "approval_of", "archive_dir", "language"]


@dataclass
class Produced:
    week: Period  # the period: a week, or a month for the monthly recap
    directory: Path
    files: dict[str, Path]  # in the archive
    lang: str
    revision: int = 1
    copies: dict[str, Path] = field(default_factory=dict)  # in --out


def file_name(period: Period, fmt: str, revision: int = 1) -> str:
    return archive.file_name(period, fmt, revision)


def produce(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Period,
    now: datetime,
    *,
    formats: tuple[str, ...] = render.FORMATS,
    lang: str | None = None,
    trigger: str = "manual",
    clock: Any = None,
    out: Path | None = None,
    out_formats: tuple[str, ...] | None = None,
) -> Produced:
    """Build the period's figures from the ledger, render them, store them in the archive (step 4).

    A sent or approved revision stays as it is: this one becomes the next. With `out`, the files (of
    `out_formats`, default all) are copied there too; if they cannot be, nothing is written anywhere
    (InputError)."""
    lang = language(config, lang)
    if out is not None and not out.is_dir():
        raise InputError(f"--out: {out}: not an existing directory")
    directory = archive_dir(config, week)
    record = archive.load(directory, week)
    with Session(engine) as session:
        report = data.build(session, config, week, now)
        report.approval = approval_of(session, config, week)
        number = record.target(frozen_in_ledger(session, config, week))
    contents = _render(report, config, registry, lang, formats, number)
    names = {fmt: archive.file_name(week, fmt, number) for fmt in formats}
    summary = render.tiles(report, render.formatter(config, lang), report_texts(lang))
    replaced = record.latest if record.latest and record.latest.number == number else None
    copied = {fmt: contents[fmt] for fmt in out_formats or formats}
    staged = _stage_copies(out, names, copied) if out is not None else {}
    try:
        archive.make_dir(directory)
        for fmt, content in contents.items():
            archive.write_atomic(directory / names[fmt], content)
        record.put(archive.Revision(number, now, lang, names, summary))
        archive.save(record)
    except BaseException:
        archive.discard(staged.values())
        raise
    copies = {fmt: archive.publish(tmp, tmp.parent / names[fmt]) for fmt, tmp in staged.items()}
    for stale in set(replaced.files.values() if replaced else ()) - set(names.values()):
        # The draft's other formats were of another rendering: a send must not mix them with this one.
        (directory / stale).unlink(missing_ok=True)
    files = {fmt: directory / file for fmt, file in names.items()}
    finished = clock() if clock else now
    with Session(engine) as session, session.begin():
        step_run(
            session, registry, config, config.report.archive_step, at=now, finished_at=max(finished, now),
            agent=AGENT, trigger=trigger, status="ok",
            summary=f"{name(week)} revisi {number} diarsipkan ({', '.join(formats)})",
            output_kind="arsip", output_ref=str(directory),
            details={key(week): str(week), "revision": number, "files": list(names.values())},
        )  # fmt: skip
    log.info(
        "report archived %s=%s revision=%s dir=%s formats=%s",
        key(week), week, number, directory, ",".join(formats),
    )  # fmt: skip
    return Produced(week, directory, files, lang, number, copies)


def _render(
    report: data.Report,
    config: Config,
    registry: Registry,
    lang: str,
    formats: tuple[str, ...],
    number: int,
) -> dict[str, bytes]:
    """Every file in memory first: a rendering that fails leaves the archive as it was."""
    titles = {sop_id: sop.title for sop_id, sop in registry.sops.items()}
    kind_titles = {kind.id: kind.title(lang) for kind in kinds.KINDS.values()}
    # The charts' PNGs ride in the archived HTML for the mail body; a PDF alone does not need them.
    with_png = "html" in formats
    document = render.html(report, config, lang, titles, kind_titles, revision=number, with_png=with_png)
    makers = {
        "html": lambda: document.encode("utf-8"),
        "pdf": lambda: render.pdf(document),
        "xlsx": lambda: render.xlsx(report, config, lang, kind_titles),
    }
    return {fmt: makers[fmt]() for fmt in formats}


def _stage_copies(out: Path, names: dict[str, str], contents: dict[str, bytes]) -> dict[str, Path]:
    """The --out copies written beside their places before the archive is touched."""
    staged: dict[str, Path] = {}
    try:
        for fmt, content in contents.items():
            staged[fmt] = archive.stage(out / names[fmt], content)
    except OSError as exc:
        archive.discard(staged.values())
        raise InputError(f"--out: {out}: cannot write there ({exc.strerror or exc})") from None
    return staged


def subject(config: Config, week: Period, lang: str, revision: int = 1) -> str:
    t = report_texts(lang)
    f = render.formatter(config, lang)
    label = render.period_label(week, lang)
    if revision > 1:
        label += ", " + t["revision"].format(n=revision)
    office = config.office.short_name or config.office.name
    title = t["title_monthly"] if week.kind == "monthly" else t["title"]
    if week.kind == "monthly":
        return f"{title} — {label} — {office}"
    return f"{title} — {label} ({f.range(week.first, week.last)}) — {office}"


def _text_body(config: Config, week: Period, rev: archive.Revision, attachments: list[Path]) -> str:
    """The plain-text part: the subject, the summary stored when the report was made, the files."""
    lines = [subject(config, week, rev.language, rev.number), ""]
    lines += [f"- {tile['label']}: {tile['value']}" for tile in rev.summary]
    lines += ["", ", ".join(sorted(p.name for p in attachments))]
    return "\n".join(lines)


def deliver(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Period,
    now: datetime,
    *,
    to: list[str] | None = None,
    trigger: str = "manual",
    revision: int | None = None,
) -> mail.Sent:
    """Send a revision of the archived report of `week` (default: the latest) and record step 2.

    A failed send is recorded as an `error` run with the server's answer and raised again."""
    settings = config.report
    if settings.smtp is None:
        raise InputError("report.smtp: no mail server configured to send the report through")
    recipients = list(to or settings.recipients)
    if not recipients:
        raise InputError("report.recipients: nobody to send the report to (or give --to)")
    directory = archive_dir(config, week)
    record = archive.load(directory, week)
    if not record.revisions:
        raise no_report(week, directory)
    rev = record.revision(revision)
    wanted = ["html", *settings.attach]
    for fmt in wanted:
        if fmt not in rev.files or not (directory / rev.files[fmt]).is_file():
            raise InputError(
                f"{directory / file_name(week, fmt, rev.number)}: missing from the archive (revision "
                f"{rev.number}); make it again with {make_command(week)}"
            )
    html_path = directory / rev.files["html"]
    attachments = [directory / rev.files[fmt] for fmt in settings.attach]
    cc = [] if to else list(settings.cc)
    message = mail.compose(
        settings.smtp.sender,
        recipients,
        cc,
        subject(config, week, rev.language, rev.number),
        _text_body(config, week, rev, attachments),
        html_path.read_text(encoding="utf-8"),
        attachments,
    )
    sop_step = config.report.deliver_step
    names = [html_path.name, *(p.name for p in attachments)]
    what = {key(week): str(week), "revision": rev.number}
    try:
        sent = mail.send(settings.smtp, message, recipients + cc)
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"smtp {settings.smtp.host}:{settings.smtp.effective_port}: {exc}"
        with Session(engine) as session, session.begin():
            step_run(
                session, registry, config, sop_step, at=now, agent=AGENT, trigger=trigger, status="error",
                reason=reason, summary=f"{name(week)} revisi {rev.number} gagal dikirim",
                details={**what, "recipients": recipients + cc},
            )  # fmt: skip
        failed = archive.Send(now, False, rev.number, names, recipients + cc, error=reason)
        record_send(directory, week, failed)
        log.error("report send failed %s=%s revision=%s error=%s", key(week), week, rev.number, exc)
        raise
    with Session(engine) as session, session.begin():
        step_run(
            session, registry, config, sop_step, at=now, agent=AGENT, trigger=trigger, status="ok",
            summary=f"{name(week)} revisi {rev.number} dikirim ke {len(sent.recipients)} penerima",
            output_kind="laporan_rekapitulasi", output_ref=str(attachments[0] if attachments else html_path),
            details={**what, "recipients": sent.recipients, "refused": sent.refused,
                     "message_id": sent.message_id, "attachments": [p.name for p in attachments]},
        )  # fmt: skip
    record_send(directory, week, archive.Send(now, True, rev.number, names, sent.recipients, sent.refused))
    log.info(
        "report sent %s=%s revision=%s recipients=%s refused=%s",
        key(week), week, rev.number, len(sent.recipients), len(sent.refused),
    )  # fmt: skip
    return sent


def approve(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Period,
    by: str,
    now: datetime,
    note: str | None,
    revision: int | None = None,
) -> tuple[int, str]:
    """The Kepala Bidang's approval of a revision of the period's report (default: the latest):
    step 3, output "Disposisi". One approval per period."""
    directory = archive_dir(config, week)
    record = archive.load(directory, week)
    if not record.revisions:
        raise no_report(week, directory, f"--{key(week)}: ")
    number = record.revision(revision).number
    with Session(engine) as session, session.begin():
        earlier = approval_of(session, config, week)
        if earlier is not None:
            raise InputError(
                f"--{key(week)}: the report for {week} was already approved by {earlier['by']} at "
                f"{earlier['at']} (revision {earlier['revision']})"
            )
        run = step_run(
            session, registry, config, config.report.approve_step, at=now, agent=APPROVAL, trigger="manual",
            status="ok", summary=f"{name(week)} revisi {number} disetujui oleh {by}",
            output_kind="disposisi", output_ref=str(directory),
            details={key(week): str(week), "revision": number, "by": by, "note": note},
        )  # fmt: skip
        recorded = (run.id, run.summary or "")
    record = archive.load(directory, week)
    record.approval = archive.Approval(by, now, number, note)
    archive.save(record)
    return recorded


def archived(config: Config) -> list[archive.Archive]:
    """The stored reports, newest period first (weeks and months)."""
    root = config.resolved_state_dir / "reports"
    if not root.is_dir():
        return []
    out = []
    for directory in sorted(root.iterdir(), reverse=True):
        if directory.is_dir():
            record = archive.load(directory, directory.name)
            if record.revisions:
                out.append(record)
    return out


# --- the service's Monday send ----------------------------------------------------------------


def owed(session: Session, config: Config, now: datetime) -> Period | None:
    """Last week's report, if `sigap serve` should make and send it now; else last month's recap on
    the month's first send day (report.monthly_auto_send); None otherwise."""
    settings = config.report
    if not settings.auto_send or not settings.recipients or settings.smtp is None:
        return None
    zone = config.office.zone
    local = now.astimezone(zone)
    this_week = Week.containing(local.date())
    send_day = this_week.monday + timedelta(days=WEEKDAYS.index(settings.send_day))
    week = this_week.shift(-1)
    if _owes(session, config, week, datetime.combine(send_day, settings.send_after, zone), now):
        return week
    if not settings.monthly_auto_send:
        return None
    month = Month.previous_of(now, zone)
    first = month.last + timedelta(days=1)
    day = first + timedelta(days=(WEEKDAYS.index(settings.send_day) - first.weekday()) % 7)
    if _owes(session, config, month, datetime.combine(day, settings.send_after, zone), now):
        return month
    return None


def _owes(session: Session, config: Config, period: Period, send_at: datetime, now: datetime) -> bool:
    settings = config.report
    if now < send_at:
        return False
    if not _ledger_existed_in(session, period, config.office.zone):
        return False  # a first start owes nobody last week's report of an empty ledger
    runs = period_runs(session, config, settings.deliver_step, AGENT, period)
    if any(r.status == "ok" for r in runs):
        return False
    failures = [r for r in runs if r.status == "error"]
    if len(failures) >= settings.max_attempts:
        return False
    if failures and now - failures[-1].started_at < timedelta(minutes=settings.retry_minutes):
        return False
    waiting = now < send_at + timedelta(hours=settings.wait_for_crawl_hours)
    return not (
        settings.after_crawl
        and waiting
        and kinds.get(records.WEB_FRESHNESS).has_work(config)
        and not _crawled(session, send_at)
    )


def _ledger_existed_in(session: Session, period: Period, zone) -> bool:
    """Was anything recorded before the period ended (the service, or the ledger, was there)?"""
    _start, end = period.bounds(zone)
    first = session.scalars(select(StepRun.started_at).order_by(StepRun.started_at).limit(1)).first()
    return first is not None and first < end


def _crawled(session: Session, since: datetime) -> bool:
    """Has the send day's website crawl finished (none still running)?"""
    day_start = datetime.combine(since.date(), time(0), since.tzinfo).astimezone(UTC)  # office midnight
    statuses = list(
        session.scalars(
            select(StepRun.status).where(
                StepRun.agent == records.WEB_FRESHNESS, StepRun.started_at >= day_start
            )
        )
    )
    return bool(statuses) and "running" not in statuses and any(s in data.DONE for s in statuses)


def owed_week(config: Config, engine: Engine, now: datetime) -> Period | None:
    with Session(engine) as session:
        return owed(session, config, now)


def make_and_send(config: Config, registry: Registry, engine: Engine, week: Period, clock: Any) -> None:
    """Make, archive and send the period's report as the service does (trigger `scheduled`)."""
    produced = produce(config, registry, engine, week, clock(), trigger="scheduled", clock=clock)
    # A failure is recorded as an error run and tried again after report.retry_minutes.
    with contextlib.suppress(OSError, smtplib.SMTPException):
        deliver(config, registry, engine, week, clock(), trigger="scheduled", revision=produced.revision)


def make_and_send_in_child(config: Config, registry: Registry, week_text: str) -> None:
    """The service's way: in a process of its own (spawned), so WeasyPrint's memory for the PDF goes
    back to the system when it ends instead of staying in the service's heap. `week_text`: the
    period as owed_week gave it ("2026-W47", or "2026-11" for the monthly recap)."""
    from sop_registry.ledger import connect

    engine = connect(config.database_url())
    try:
        make_and_send(config, registry, engine, parse(week_text), lambda: datetime.now(UTC))
    finally:
        engine.dispose()
