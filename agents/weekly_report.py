"""The weekly report as SOP steps: made and archived (step 4, "Arsip"), sent to the Kepala Bidang
(step 2, "Laporan rekapitulasi hasil monitoring"), approved (step 3, "Disposisi").

Every one of these is a step run in the ledger, so the next week's report shows whether last week's
report went out and was approved, and `sigap serve` asks the ledger (not its memory) whether this
week's is still owed. The archive (reports/archive.py) keeps what was sent or approved as it was: a
week made again becomes its next revision.
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
from reports.period import Week
from reports.texts import get as report_texts
from sop_registry.errors import InputError
from sop_registry.ledger import records
from sop_registry.ledger.models import StepRun
from sop_registry.ledger.store import begin_step_run, finish_step_run
from sop_registry.loader import Registry
from sop_registry.schema import WEEKDAYS

from . import kinds
from .config import Config

log = logging.getLogger("sigap.report")

AGENT = "weekly_report"
APPROVAL = "approval"


@dataclass
class Produced:
    week: Week
    directory: Path
    files: dict[str, Path]  # in the archive
    lang: str
    revision: int = 1
    copies: dict[str, Path] = field(default_factory=dict)  # in --out


def language(config: Config, lang: str | None = None) -> str:
    return lang or config.report.language or config.office.language


def archive_dir(config: Config, week: Week) -> Path:
    return config.resolved_state_dir / "reports" / str(week)


def file_name(week: Week, fmt: str, revision: int = 1) -> str:
    return archive.file_name(week, fmt, revision)


def _week_runs(session: Session, config: Config, step_no: int, agent: str, week: Week) -> list[StepRun]:
    """This SOP step's runs by `agent` about `week` (the week is in the run's details)."""
    start, _ = week.bounds(config.office.zone)
    runs = session.scalars(
        select(StepRun)
        .where(
            StepRun.sop_id == config.report.sop,
            StepRun.step_no == step_no,
            StepRun.agent == agent,
            StepRun.started_at >= start,
        )
        .order_by(StepRun.started_at, StepRun.id)
    )
    return [r for r in runs if (r.details or {}).get("week") == str(week)]


def approval_of(session: Session, config: Config, week: Week) -> dict[str, Any] | None:
    for run in _week_runs(session, config, config.report.approve_step, APPROVAL, week):
        if run.status == "ok":
            d = run.details or {}
            return {
                "by": d.get("by"),
                "at": run.started_at.isoformat(),
                "note": d.get("note"),
                "revision": d.get("revision", 1),  # approvals from before revisions: the only one
            }
    return None


def _frozen_in_ledger(session: Session, config: Config, week: Week) -> set[int]:
    """The revisions the ledger says were sent or approved: a crash between the ledger's commit and
    meta.json's write must not leave a sent report open to be written over."""
    sent = _week_runs(session, config, config.report.deliver_step, AGENT, week)
    frozen = {(r.details or {}).get("revision", 1) for r in sent if r.status == "ok"}
    approval = approval_of(session, config, week)
    return frozen | ({approval["revision"]} if approval else set())


def _step_run(
    session: Session,
    registry: Registry,
    config: Config,
    step_no: int,
    *,
    at: datetime,
    agent: str,
    trigger: str,
    **finish: Any,
) -> StepRun:
    run = begin_step_run(
        session,
        registry[config.report.sop],
        step_no,
        started_at=at,
        agent=agent,
        target_group="report",
        probe=config.probe,
        trigger=trigger,
    )
    return finish_step_run(session, run, finished_at=finish.pop("finished_at", at), **finish)


def produce(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Week,
    now: datetime,
    *,
    formats: tuple[str, ...] = render.FORMATS,
    lang: str | None = None,
    trigger: str = "manual",
    clock: Any = None,
    out: Path | None = None,
    out_formats: tuple[str, ...] | None = None,
) -> Produced:
    """Build the week's figures from the ledger, render them, store them in the archive (step 4).

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
        number = record.target(_frozen_in_ledger(session, config, week))
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
    for name in set(replaced.files.values() if replaced else ()) - set(names.values()):
        # The draft's other formats were of another rendering: a send must not mix them with this one.
        (directory / name).unlink(missing_ok=True)
    files = {fmt: directory / name for fmt, name in names.items()}
    finished = clock() if clock else now
    with Session(engine) as session, session.begin():
        _step_run(
            session,
            registry,
            config,
            config.report.archive_step,
            at=now,
            finished_at=max(finished, now),
            agent=AGENT,
            trigger=trigger,
            status="ok",
            summary=f"Laporan mingguan {week} revisi {number} diarsipkan ({', '.join(formats)})",
            output_kind="arsip",
            output_ref=str(directory),
            details={"week": str(week), "revision": number, "files": list(names.values())},
        )
    log.info(
        "report archived week=%s revision=%s dir=%s formats=%s", week, number, directory, ",".join(formats)
    )
    return Produced(week, directory, files, lang, number, copies)


def _render(
    report: data.WeeklyReport,
    config: Config,
    registry: Registry,
    lang: str,
    formats: tuple[str, ...],
    number: int,
) -> dict[str, bytes]:
    """Every file in memory first: a rendering that fails leaves the archive as it was."""
    titles = {sop_id: sop.title for sop_id, sop in registry.sops.items()}
    kind_titles = {kind.id: kind.title(lang) for kind in kinds.KINDS.values()}
    document = render.html(report, config, lang, titles, kind_titles, revision=number)
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


def subject(config: Config, week: Week, lang: str, revision: int = 1) -> str:
    t = report_texts(lang)
    f = render.formatter(config, lang)
    label = t["week"].format(n=week.number, year=week.year)
    if revision > 1:
        label += ", " + t["revision"].format(n=revision)
    office = config.office.short_name or config.office.name
    return f"{t['title']} — {label} ({f.range(week.monday, week.sunday)}) — {office}"


def _text_body(config: Config, week: Week, rev: archive.Revision, attachments: list[Path]) -> str:
    """The plain-text part: the subject, the summary stored when the report was made, the files."""
    lines = [subject(config, week, rev.language, rev.number), ""]
    lines += [f"- {tile['label']}: {tile['value']}" for tile in rev.summary]
    lines += ["", ", ".join(sorted(p.name for p in attachments))]
    return "\n".join(lines)


def _no_report(week: Week, directory: Path, flag: str = "") -> InputError:
    return InputError(
        f"{flag}no stored report for {week} in {directory}: make it with 'sigap report weekly --week {week}'"
    )


def deliver(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Week,
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
        raise _no_report(week, directory)
    rev = record.revision(revision)
    wanted = ["html", *settings.attach]
    for fmt in wanted:
        if fmt not in rev.files or not (directory / rev.files[fmt]).is_file():
            raise InputError(
                f"{directory / file_name(week, fmt, rev.number)}: missing from the archive (revision "
                f"{rev.number}); make it again with 'sigap report weekly --week {week}'"
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
    try:
        sent = mail.send(settings.smtp, message, recipients + cc)
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"smtp {settings.smtp.host}:{settings.smtp.effective_port}: {exc}"
        with Session(engine) as session, session.begin():
            _step_run(
                session, registry, config, sop_step, at=now, agent=AGENT, trigger=trigger, status="error",
                reason=reason, summary=f"Laporan mingguan {week} revisi {rev.number} gagal dikirim",
                details={"week": str(week), "revision": rev.number, "recipients": recipients + cc},
            )  # fmt: skip
        _record_send(
            directory, week, archive.Send(now, False, rev.number, names, recipients + cc, error=reason)
        )
        log.error("report send failed week=%s revision=%s error=%s", week, rev.number, exc)
        raise
    with Session(engine) as session, session.begin():
        _step_run(
            session, registry, config, sop_step, at=now, agent=AGENT, trigger=trigger, status="ok",
            summary=f"Laporan mingguan {week} revisi {rev.number} dikirim ke {len(sent.recipients)} penerima",
            output_kind="laporan_rekapitulasi", output_ref=str(attachments[0] if attachments else html_path),
            details={"week": str(week), "revision": rev.number, "recipients": sent.recipients,
                     "refused": sent.refused, "message_id": sent.message_id,
                     "attachments": [p.name for p in attachments]},
        )  # fmt: skip
    _record_send(directory, week, archive.Send(now, True, rev.number, names, sent.recipients, sent.refused))
    log.info(
        "report sent week=%s revision=%s recipients=%s refused=%s",
        week, rev.number, len(sent.recipients), len(sent.refused),
    )  # fmt: skip
    return sent


def _record_send(directory: Path, week: Week, entry: archive.Send) -> None:
    record = archive.load(directory, week)  # read again: the send took its time
    record.sends.append(entry)
    archive.save(record)


def approve(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Week,
    by: str,
    now: datetime,
    note: str | None,
    revision: int | None = None,
) -> tuple[int, str]:
    """The Kepala Bidang's approval of a revision of the week's report (default: the latest): step 3,
    output "Disposisi". One approval per week."""
    directory = archive_dir(config, week)
    record = archive.load(directory, week)
    if not record.revisions:
        raise _no_report(week, directory, "--week: ")
    number = record.revision(revision).number
    with Session(engine) as session, session.begin():
        earlier = approval_of(session, config, week)
        if earlier is not None:
            raise InputError(
                f"--week: the report for {week} was already approved by {earlier['by']} at {earlier['at']}"
                f" (revision {earlier['revision']})"
            )
        run = _step_run(
            session, registry, config, config.report.approve_step, at=now, agent=APPROVAL, trigger="manual",
            status="ok", summary=f"Laporan mingguan {week} revisi {number} disetujui oleh {by}",
            output_kind="disposisi", output_ref=str(directory),
            details={"week": str(week), "revision": number, "by": by, "note": note},
        )  # fmt: skip
        recorded = (run.id, run.summary or "")
    record = archive.load(directory, week)
    record.approval = archive.Approval(by, now, number, note)
    archive.save(record)
    return recorded


def archived(config: Config) -> list[archive.Archive]:
    """The stored reports, newest week first."""
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


def owed(session: Session, config: Config, now: datetime) -> Week | None:
    """Last week's report, if `sigap serve` should make and send it now; None otherwise."""
    settings = config.report
    if not settings.auto_send or not settings.recipients or settings.smtp is None:
        return None
    zone = config.office.zone
    local = now.astimezone(zone)
    this_week = Week.containing(local.date())
    send_day = this_week.monday + timedelta(days=WEEKDAYS.index(settings.send_day))
    send_at = datetime.combine(send_day, settings.send_after, zone)
    if local < send_at:
        return None
    week = this_week.shift(-1)
    if not _ledger_existed_in(session, week, zone):
        return None  # a first start owes nobody last week's report of an empty ledger
    runs = _week_runs(session, config, settings.deliver_step, AGENT, week)
    if any(r.status == "ok" for r in runs):
        return None
    failures = [r for r in runs if r.status == "error"]
    if len(failures) >= settings.max_attempts:
        return None
    if failures and now - failures[-1].started_at < timedelta(minutes=settings.retry_minutes):
        return None
    waiting = now < send_at + timedelta(hours=settings.wait_for_crawl_hours)
    if (
        settings.after_crawl
        and waiting
        and kinds.get(records.WEB_FRESHNESS).has_work(config)
        and not _crawled(session, send_at)
    ):
        return None
    return week


def _ledger_existed_in(session: Session, week: Week, zone) -> bool:
    """Was anything recorded before the week ended (the service, or the ledger, was there)?"""
    _start, end = week.bounds(zone)
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


def owed_week(config: Config, engine: Engine, now: datetime) -> Week | None:
    with Session(engine) as session:
        return owed(session, config, now)


def make_and_send(config: Config, registry: Registry, engine: Engine, week: Week, clock: Any) -> None:
    """Make, archive and send `week`'s report as the service does (trigger `scheduled`)."""
    produced = produce(config, registry, engine, week, clock(), trigger="scheduled", clock=clock)
    # A failure is recorded as an error run and tried again after report.retry_minutes.
    with contextlib.suppress(OSError, smtplib.SMTPException):
        deliver(config, registry, engine, week, clock(), trigger="scheduled", revision=produced.revision)


def make_and_send_in_child(config: Config, registry: Registry, week_text: str) -> None:
    """The service's way: in a process of its own (spawned), so WeasyPrint's few hundred MiB for a
    long PDF go back to the system when it ends instead of staying in the service's heap."""
    from sop_registry.ledger import connect

    engine = connect(config.database_url())
    try:
        make_and_send(config, registry, engine, Week.parse(week_text), lambda: datetime.now(UTC))
    finally:
        engine.dispose()
