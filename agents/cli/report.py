"""`sigap report ...`: the weekly report (and the monthly recap) to the Kepala Bidang, made, sent,
approved and listed; the letters to the OPDs whose sites stayed stale."""

from __future__ import annotations

import smtplib
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from reports import texts as report_texts
from reports.period import Month, Period, Week
from reports.render import FORMATS
from sop_registry.errors import InputError

from .. import report_letters, weekly_report
from .cases import _actor, _ledger
from .common import Context, _json_out, bad_input_exits
from .common import now as _now

EXIT_SEND_FAILED = 1


def _week(text: str | None, config, now: datetime) -> Week:
    zone = config.office.zone
    if text is None:
        return Week.previous_of(now, zone)
    week = Week.parse(text)
    if week.bounds(zone)[0] > now:
        raise InputError(f"--week: {week} has not started yet")
    return week


def _month(text: str | None, config, now: datetime) -> Month:
    zone = config.office.zone
    if text is None:
        return Month.previous_of(now, zone)
    month = Month.parse(text)
    if month.bounds(zone)[0] > now:
        raise InputError(f"--month: {month} has not started yet")
    return month


def _period(week_text: str | None, month_text: str | None, config, now: datetime) -> Period:
    if week_text is not None and month_text is not None:
        raise InputError("--week, --month: give one of them")
    return _month(month_text, config, now) if month_text is not None else _week(week_text, config, now)


def _formats(text: str, allowed: tuple[str, ...] = FORMATS) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    for fmt in chosen:
        if fmt not in allowed:
            raise InputError(f"--format: {fmt!r} is not one of {', '.join(allowed)}")
    if not chosen:
        raise InputError("--format: give at least one of " + ", ".join(allowed))
    return chosen


@click.group()
def report() -> None:
    """The weekly monitoring report (SOP kaltim-monitoring-website steps 2-4).

    Also the monthly recap (report monthly) and the letters to OPDs whose sites stayed stale
    (report letters)."""


def _revision(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise InputError(f"--revision: {text!r} is not a revision number (1, 2, ...)")
    return int(text)


_REVISION_HELP = "The archive's revision (default: the latest; see 'sigap report list')."


_OUT_HELP = "Copy the files into this existing directory too."
_SEND_HELP = "E-mail it to report.recipients (PDF and XLSX attached)."


@report.command("weekly")
@click.option("--week", "week_text", metavar="YYYY-Www", help="ISO week (default: the week that ended last).")
@click.option("--format", "format_text", default=",".join(FORMATS), show_default=True, help="Comma list.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help=_OUT_HELP)
@click.option("--send", is_flag=True, help=_SEND_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def report_weekly(
    obj: Context, week_text: str | None, format_text: str, out_dir: Path | None, send: bool, as_json: bool
) -> None:
    """Make the week's report from the ledger and store it under the state directory.

    A report already sent or approved is kept as it was: this one is stored beside it as its next
    revision (laporan-mingguan-WEEK-r2.pdf ...)."""
    _make(obj, lambda config, now: _week(week_text, config, now), format_text, out_dir, send, as_json)


@report.command("monthly")
@click.option("--month", "month_text", metavar="YYYY-MM", help="Default: the month that ended last.")
@click.option("--format", "format_text", default=",".join(FORMATS), show_default=True, help="Comma list.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help=_OUT_HELP)
@click.option("--send", is_flag=True, help=_SEND_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def report_monthly(
    obj: Context, month_text: str | None, format_text: str, out_dir: Path | None, send: bool, as_json: bool
) -> None:
    """Make the month's recap (the weekly sections over the month, with a row per week), archived
    and sent like the weekly report (laporan-bulanan-MONTH.pdf ...)."""
    _make(obj, lambda config, now: _month(month_text, config, now), format_text, out_dir, send, as_json)


def _make(obj: Context, which, format_text: str, out_dir: Path | None, send: bool, as_json: bool) -> None:
    formats = _formats(format_text)
    with _ledger(obj) as (config, engine):
        now = _now()
        period = which(config, now)
        registry = obj.registry()
        needed = formats
        if send:  # the e-mail's body is the HTML; its attachments are report.attach
            needed = tuple(dict.fromkeys([*formats, "html", *config.report.attach]))
            if config.report.smtp is None:
                raise InputError("--send: no report.smtp in the config")
        produced = weekly_report.produce(
            config,
            registry,
            engine,
            period,
            now,
            formats=needed,
            lang=obj.lang_option,
            out=out_dir,
            out_formats=formats,
        )
        files = {k: v for k, v in (produced.copies or produced.files).items() if k in formats}
        sent = None
        if send:
            try:
                sent = weekly_report.deliver(
                    config, registry, engine, period, _now(), revision=produced.revision
                )
            except (OSError, smtplib.SMTPException) as exc:
                click.echo(f"sigap: error: report {period} not sent: {exc}", err=True)
                sys.exit(EXIT_SEND_FAILED)
    if as_json:
        _json_out(
            {
                "week" if period.kind == "weekly" else "month": str(period),
                "revision": produced.revision,
                "files": {k: str(v) for k, v in files.items()},
                "archive": str(produced.directory),
                "sent_to": sent.recipients if sent else [],
                "refused": sent.refused if sent else {},
            }
        )
        return
    for path in files.values():
        click.echo(str(path))
    if sent is not None:
        click.echo(f"{report_texts.ARCHIVE[_lang(produced.lang)]['sent_to']}: {', '.join(sent.recipients)}")
        for rcpt, answer in sent.refused.items():
            click.echo(f"sigap: warning: {rcpt} refused: {answer}", err=True)


@report.command("letters")
@click.option("--week", "week_text", metavar="YYYY-Www", help="ISO week (default: the week that ended last).")
@click.option("--format", "format_text", default="pdf,docx", show_default=True, help="Comma list.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help=_OUT_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def report_letters_cmd(
    obj: Context, week_text: str | None, format_text: str, out_dir: Path | None, as_json: bool
) -> None:
    """A letter on letterhead to each OPD whose site was stale report.letter_after_weeks weekly crawls
    in a row, for the office to number, sign and send (STATE_DIR/reports/WEEK/surat/)."""
    formats = _formats(format_text, ("pdf", "docx"))
    with _ledger(obj) as (config, engine):
        now = _now()
        week = _week(week_text, config, now)
        made = report_letters.make(
            config, obj.registry(), engine, week, now, formats=formats, lang=obj.lang_option, out=out_dir
        )
    if as_json:
        rows = [
            {"opd": m.opd, "kind": m.kind, "weeks": m.weeks, "addressed": m.addressed,
             "files": {k: str(v) for k, v in m.files.items()}}
            for m in made
        ]  # fmt: skip
        _json_out(rows)
        return
    t = report_texts.ARCHIVE[_lang(obj.lang)]
    for m in made:
        for path in m.files.values():
            click.echo(str(path))
        if not m.addressed:
            click.echo(f"sigap: warning: {m.opd}: {t['no_head']}", err=True)
    if not made:
        click.echo(t["no_letters"].format(weeks=config.report.letter_after_weeks, week=week))


@report.command("send")
@click.option("--week", "week_text", metavar="YYYY-Www", help="ISO week (default: the week that ended last).")
@click.option("--month", "month_text", metavar="YYYY-MM", help="The monthly recap of this month instead.")
@click.option("--revision", "revision_text", metavar="N", help=_REVISION_HELP)
@click.option("--to", "to", multiple=True, help="Send to this address instead of report.recipients.")
@click.pass_obj
@bad_input_exits
def report_send(
    obj: Context,
    week_text: str | None,
    month_text: str | None,
    revision_text: str | None,
    to: tuple[str, ...],
) -> None:
    """Send a stored report again (as it was made; nothing is recomputed)."""
    revision = _revision(revision_text)
    with _ledger(obj) as (config, engine):
        with Session(engine) as session, session.begin():
            _actor(config, session, None, "send_report")  # logged in: the user's role must allow it
        week = _period(week_text, month_text, config, _now())
        try:
            sent = weekly_report.deliver(
                config, obj.registry(), engine, week, _now(), to=list(to) or None, revision=revision
            )
        except (OSError, smtplib.SMTPException) as exc:
            click.echo(f"sigap: error: report {week} not sent: {exc}", err=True)
            sys.exit(EXIT_SEND_FAILED)
    click.echo(", ".join(sent.recipients))


@report.command("approve")
@click.option("--week", "week_text", metavar="YYYY-Www")
@click.option("--month", "month_text", metavar="YYYY-MM", help="The monthly recap of this month instead.")
@click.option("--revision", "revision_text", metavar="N", help=_REVISION_HELP)
@click.option("--by", "by", help="Who approves (the Kepala Bidang; default: the user of sigap login).")
@click.option("--note", help="The disposition, if any.")
@click.pass_obj
@bad_input_exits
def report_approve(
    obj: Context,
    week_text: str | None,
    month_text: str | None,
    revision_text: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Record the Kepala Bidang's approval of a week's report or a month's recap (SOP step 3,
    "Disposisi")."""
    revision = _revision(revision_text)
    if by is not None and not by.strip():
        raise InputError("--by: empty name")
    if week_text is None and month_text is None:
        raise InputError("--week or --month: which report to approve")
    with _ledger(obj) as (config, engine):
        with Session(engine) as session, session.begin():
            by = _actor(config, session, by, "approve_report", required=True)
        week = _period(week_text, month_text, config, _now())
        run_id, summary = weekly_report.approve(
            config, obj.registry(), engine, week, by, _now(), note, revision
        )
        click.echo(f"{summary} (step run #{run_id})")


def _lang(lang: str) -> str:
    return lang if lang in report_texts.ARCHIVE else "id"


@report.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def report_list(obj: Context, as_json: bool) -> None:
    """The stored reports, newest first, a line per revision: when made, how often sent, approved by whom."""
    config = obj.config()
    records = weekly_report.archived(config)
    if as_json:
        _json_out([r.to_json() | {"directory": str(r.directory)} for r in records])
        return
    t = report_texts.ARCHIVE[_lang(obj.lang)]
    for record in records:
        latest = record.latest
        for rev in reversed(record.revisions):
            sends = record.sent(rev.number)
            approval = record.approval if record.approval and record.approval.revision == rev.number else None
            label = f"r{rev.number}" + (f" ({t['latest']})" if rev is latest else "")
            sent = t["sent"].format(n=len(sends)) if sends else t["not_sent"]
            approved = t["approved"].format(by=approval.by) if approval else t["not_approved"]
            made = config.office.local_text(rev.generated_at)
            click.echo(f"{record.week}\t{label}\t{made}\t{sent}\t{approved}\t{record.directory}")
    if not records:
        click.echo(t["none"])
