"""`sigap report ...`: the weekly report to the Kepala Bidang, made, sent, approved and listed."""

from __future__ import annotations

import shutil
import smtplib
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from reports.period import Week
from reports.render import FORMATS
from sop_registry.errors import InputError

from .. import weekly_report
from .cases import _ledger
from .common import Context, _json_out, bad_input_exits

EXIT_SEND_FAILED = 1


def _now() -> datetime:
    return datetime.now(UTC)


def _week(text: str | None, config, now: datetime) -> Week:
    zone = config.office.zone
    if text is None:
        return Week.previous_of(now, zone)
    week = Week.parse(text)
    if week.bounds(zone)[0] > now:
        raise InputError(f"--week: {week} has not started yet")
    return week


def _formats(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    for fmt in chosen:
        if fmt not in FORMATS:
            raise InputError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if not chosen:
        raise InputError("--format: give at least one of " + ", ".join(FORMATS))
    return chosen


@click.group()
def report() -> None:
    """The weekly monitoring report (SOP kaltim-monitoring-website steps 2-4)."""


@report.command("weekly")
@click.option("--week", "week_text", metavar="YYYY-Www", help="ISO week (default: the week that ended last).")
@click.option("--format", "format_text", default=",".join(FORMATS), show_default=True, help="Comma list.")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Copy the files here too."
)
@click.option("--send", is_flag=True, help="E-mail it to report.recipients (PDF and XLSX attached).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def report_weekly(
    obj: Context, week_text: str | None, format_text: str, out_dir: Path | None, send: bool, as_json: bool
) -> None:
    """Make the week's report from the ledger and store it under the state directory."""
    formats = _formats(format_text)
    with _ledger(obj) as (config, engine):
        now = _now()
        week = _week(week_text, config, now)
        registry = obj.registry()
        needed = formats
        if send:  # the e-mail's body is the HTML; its attachments are report.attach
            needed = tuple(dict.fromkeys([*formats, "html", *config.report.attach]))
            if config.report.smtp is None:
                raise InputError("--send: no report.smtp in the config")
        produced = weekly_report.produce(
            config, registry, engine, week, now, formats=needed, lang=obj.lang_option
        )
        files = {k: v for k, v in produced.files.items() if k in formats}
        if out_dir is not None:
            try:
                out_dir.mkdir(parents=True, exist_ok=True)
                files = {k: Path(shutil.copy2(v, out_dir / v.name)) for k, v in files.items()}
            except OSError as exc:
                raise InputError(f"--out: {out_dir}: {exc.strerror or exc}") from None
        sent = None
        if send:
            try:
                sent = weekly_report.deliver(config, registry, engine, week, _now())
            except (OSError, smtplib.SMTPException) as exc:
                click.echo(f"sigap: error: report {week} not sent: {exc}", err=True)
                sys.exit(EXIT_SEND_FAILED)
    if as_json:
        _json_out(
            {
                "week": str(week),
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
        id_text = "terkirim ke" if produced.lang == "id" else "sent to"
        click.echo(f"{id_text}: {', '.join(sent.recipients)}")
        for rcpt, answer in sent.refused.items():
            click.echo(f"sigap: warning: {rcpt} refused: {answer}", err=True)


@report.command("send")
@click.option("--week", "week_text", metavar="YYYY-Www", help="ISO week (default: the week that ended last).")
@click.option("--to", "to", multiple=True, help="Send to this address instead of report.recipients.")
@click.pass_obj
@bad_input_exits
def report_send(obj: Context, week_text: str | None, to: tuple[str, ...]) -> None:
    """Send a stored report again (as it was made; nothing is recomputed)."""
    with _ledger(obj) as (config, engine):
        week = _week(week_text, config, _now())
        try:
            sent = weekly_report.deliver(config, obj.registry(), engine, week, _now(), to=list(to) or None)
        except (OSError, smtplib.SMTPException) as exc:
            click.echo(f"sigap: error: report {week} not sent: {exc}", err=True)
            sys.exit(EXIT_SEND_FAILED)
    click.echo(", ".join(sent.recipients))


@report.command("approve")
@click.option("--week", "week_text", metavar="YYYY-Www", required=True)
@click.option("--by", "by", required=True, help="Who approves (the Kepala Bidang).")
@click.option("--note", help="The disposition, if any.")
@click.pass_obj
@bad_input_exits
def report_approve(obj: Context, week_text: str, by: str, note: str | None) -> None:
    """Record the Kepala Bidang's approval of a week's report (SOP step 3, "Disposisi")."""
    if not by.strip():
        raise InputError("--by: empty name")
    with _ledger(obj) as (config, engine):
        week = _week(week_text, config, _now())
        run_id, summary = weekly_report.approve(
            config, obj.registry(), engine, week, by.strip(), _now(), note
        )
        click.echo(f"{summary} (step run #{run_id})")


@report.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def report_list(obj: Context, as_json: bool) -> None:
    """The stored reports, newest first: when made, sent to whom, approved by whom."""
    config = obj.config()
    rows = weekly_report.archived(config)
    if as_json:
        _json_out(rows)
        return
    lang = obj.lang
    for meta in rows:
        sends = [s for s in meta.get("sends", []) if s.get("ok")]
        approval = meta.get("approval")
        sent = (
            f"{'dikirim' if lang == 'id' else 'sent'} {len(sends)}x"
            if sends
            else ("belum dikirim" if lang == "id" else "not sent")
        )
        approved = (
            f"{'disetujui' if lang == 'id' else 'approved by'} {approval['by']}"
            if approval
            else ("belum disetujui" if lang == "id" else "not approved")
        )
        made = config.office.local_text(datetime.fromisoformat(meta["generated_at"]))
        click.echo(f"{meta['week']}\t{made}\t{sent}\t{approved}\t{meta['directory']}")
    if not rows:
        click.echo("belum ada laporan" if lang == "id" else "no reports yet")
