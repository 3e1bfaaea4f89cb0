"""The weekly report as SOP steps: made and archived (step 4, "Arsip"), sent to the Kepala Bidang
(step 2, "Laporan rekapitulasi hasil monitoring"), approved (step 3, "Disposisi").

Every one of these is a step run in the ledger, so the next week's report shows whether last week's
report went out and was approved, and `sigap serve` asks the ledger (not its memory) whether this
week's is still owed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reports import data, mail, render
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
_META = "meta.json"


@dataclass
class Produced:
    week: Week
    directory: Path
    files: dict[str, Path]
    lang: str


def language(config: Config, lang: str | None = None) -> str:
    return lang or config.report.language or config.office.language


def archive_dir(config: Config, week: Week) -> Path:
    return config.resolved_state_dir / "reports" / str(week)


def file_name(week: Week, fmt: str) -> str:
    return f"laporan-mingguan-{week}.{fmt}"


def read_meta(directory: Path) -> dict[str, Any]:
    path = directory / _META
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable report record: {exc}") from None


def _write_atomic(path: Path, content: bytes) -> None:
    """Never a half-written report or record after a crash: write beside it, then rename over it."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)


def _write_meta(directory: Path, meta: dict[str, Any]) -> None:
    text = json.dumps(meta, ensure_ascii=False, indent=2, default=str)
    _write_atomic(directory / _META, text.encode("utf-8"))


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
            return {"by": d.get("by"), "at": run.started_at.isoformat(), "note": d.get("note")}
    return None


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
) -> Produced:
    """Build the week's figures from the ledger, render them, store them in the archive (step 4)."""
    lang = language(config, lang)
    with Session(engine) as session:
        report = data.build(session, config, week, now)
        report.approval = approval_of(session, config, week)
    titles = {sop_id: sop.title for sop_id, sop in registry.sops.items()}
    directory = archive_dir(config, week)
    directory.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    kind_titles = {kind.id: kind.title(lang) for kind in kinds.KINDS.values()}
    document = render.html(report, config, lang, titles, kind_titles)
    contents = {
        "html": lambda: document.encode("utf-8"),
        "pdf": lambda: render.pdf(document),
        "xlsx": lambda: render.xlsx(report, config, lang, kind_titles),
    }
    for fmt in formats:
        path = directory / file_name(week, fmt)
        _write_atomic(path, contents[fmt]())
        files[fmt] = path
    meta = read_meta(directory)
    meta.update(
        {
            "week": str(week),
            "generated_at": now.isoformat(),
            "language": lang,
            "files": sorted({*meta.get("files", []), *(p.name for p in files.values())}),
            # The summary as made: a re-send's text part says what its attachments say.
            "summary": render.tiles(report, render.formatter(config, lang), report_texts(lang)),
        }
    )
    meta.setdefault("sends", [])
    _write_meta(directory, meta)
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
            summary=f"Laporan mingguan {week} diarsipkan ({', '.join(formats)})",
            output_kind="arsip",
            output_ref=str(directory),
            details={"week": str(week), "files": [p.name for p in files.values()]},
        )
    log.info("report archived week=%s dir=%s formats=%s", week, directory, ",".join(formats))
    return Produced(week, directory, files, lang)


def subject(config: Config, week: Week, lang: str) -> str:
    t = report_texts(lang)
    f = render.formatter(config, lang)
    label = t["week"].format(n=week.number, year=week.year)
    office = config.office.short_name or config.office.name
    return f"{t['title']} — {label} ({f.range(week.monday, week.sunday)}) — {office}"


def _text_body(config: Config, week: Week, lang: str, meta: dict[str, Any], attachments: list[Path]) -> str:
    """The plain-text part: the subject, the summary stored when the report was made, the files."""
    lines = [subject(config, week, lang), ""]
    lines += [f"- {tile['label']}: {tile['value']}" for tile in meta.get("summary", [])]
    lines += ["", ", ".join(sorted(p.name for p in attachments))]
    return "\n".join(lines)


def deliver(
    config: Config,
    registry: Registry,
    engine: Engine,
    week: Week,
    now: datetime,
    *,
    to: list[str] | None = None,
    trigger: str = "manual",
) -> mail.Sent:
    """Send the archived report of `week` (made earlier by `produce`) and record step 2.

    A failed send is recorded as an `error` run with the server's answer and raised again."""
    settings = config.report
    if settings.smtp is None:
        raise InputError("report.smtp: no mail server configured to send the report through")
    recipients = list(to or settings.recipients)
    if not recipients:
        raise InputError("report.recipients: nobody to send the report to (or give --to)")
    directory = archive_dir(config, week)
    meta = read_meta(directory)
    if not meta:
        raise InputError(
            f"no stored report for {week} in {directory}: make it with 'sigap report weekly --week {week}'"
        )
    lang = meta.get("language") or language(config)
    html_path = directory / file_name(week, "html")
    attachments = [directory / file_name(week, fmt) for fmt in settings.attach]
    missing = [p for p in [html_path, *attachments] if not p.is_file()]
    if missing:
        raise InputError(
            f"{missing[0]}: missing from the archive; make it again with 'sigap report weekly --week {week}'"
        )
    cc = [] if to else list(settings.cc)
    message = mail.compose(
        settings.smtp.sender,
        recipients,
        cc,
        subject(config, week, lang),
        _text_body(config, week, lang, meta, attachments),
        html_path.read_text(encoding="utf-8"),
        attachments,
    )
    sop_step = config.report.deliver_step
    try:
        sent = mail.send(settings.smtp, message, recipients + cc)
    except (OSError, smtplib.SMTPException) as exc:
        reason = f"smtp {settings.smtp.host}:{settings.smtp.effective_port}: {exc}"
        with Session(engine) as session, session.begin():
            _step_run(
                session, registry, config, sop_step, at=now, agent=AGENT, trigger=trigger, status="error",
                reason=reason, summary=f"Laporan mingguan {week} gagal dikirim",
                details={"week": str(week), "recipients": recipients + cc},
            )  # fmt: skip
        _append_send(directory, {"at": now.isoformat(), "ok": False, "error": reason, "to": recipients + cc})
        log.error("report send failed week=%s error=%s", week, exc)
        raise
    with Session(engine) as session, session.begin():
        _step_run(
            session, registry, config, sop_step, at=now, agent=AGENT, trigger=trigger, status="ok",
            summary=f"Laporan mingguan {week} dikirim ke {len(sent.recipients)} penerima",
            output_kind="laporan_rekapitulasi", output_ref=str(attachments[0] if attachments else html_path),
            details={"week": str(week), "recipients": sent.recipients, "refused": sent.refused,
                     "message_id": sent.message_id, "attachments": [p.name for p in attachments]},
        )  # fmt: skip
    _append_send(
        directory, {"at": now.isoformat(), "ok": True, "to": sent.recipients, "refused": sent.refused}
    )
    log.info("report sent week=%s recipients=%s refused=%s", week, len(sent.recipients), len(sent.refused))
    return sent


def _append_send(directory: Path, entry: dict[str, Any]) -> None:
    meta = read_meta(directory)
    meta.setdefault("sends", []).append(entry)
    _write_meta(directory, meta)


def approve(
    config: Config, registry: Registry, engine: Engine, week: Week, by: str, now: datetime, note: str | None
) -> tuple[int, str]:
    """The Kepala Bidang's approval of the week's report: step 3, output "Disposisi"."""
    directory = archive_dir(config, week)
    if not read_meta(directory):
        raise InputError(
            f"--week: no stored report for {week}; make it first with 'sigap report weekly --week {week}'"
        )
    with Session(engine) as session, session.begin():
        earlier = approval_of(session, config, week)
        if earlier is not None:
            raise InputError(
                f"--week: the report for {week} was already approved by {earlier['by']} at {earlier['at']}"
            )
        run = _step_run(
            session, registry, config, config.report.approve_step, at=now, agent=APPROVAL, trigger="manual",
            status="ok", summary=f"Laporan mingguan {week} disetujui oleh {by}", output_kind="disposisi",
            output_ref=str(directory), details={"week": str(week), "by": by, "note": note},
        )  # fmt: skip
        recorded = (run.id, run.summary or "")
    meta = read_meta(directory)
    meta["approval"] = {"by": by, "at": now.isoformat(), "note": note}
    _write_meta(directory, meta)
    return recorded


def archived(config: Config) -> list[dict[str, Any]]:
    """The stored reports, newest week first."""
    root = config.resolved_state_dir / "reports"
    if not root.is_dir():
        return []
    out = []
    for directory in sorted(root.iterdir(), reverse=True):
        meta = read_meta(directory) if directory.is_dir() else {}
        if meta:
            meta["directory"] = str(directory)
            out.append(meta)
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
    produce(config, registry, engine, week, clock(), trigger="scheduled", clock=clock)
    # A failure is recorded as an error run and tried again after report.retry_minutes.
    with contextlib.suppress(OSError, smtplib.SMTPException):
        deliver(config, registry, engine, week, clock(), trigger="scheduled")


def make_and_send_in_child(config: Config, registry: Registry, week_text: str) -> None:
    """The service's way: in a process of its own (spawned), so WeasyPrint's few hundred MiB for a
    long PDF go back to the system when it ends instead of staying in the service's heap."""
    from sop_registry.ledger import connect

    engine = connect(config.database_url())
    try:
        make_and_send(config, registry, engine, Week.parse(week_text), lambda: datetime.now(UTC))
    finally:
        engine.dispose()
