"""The weekly report as HTML (e-mail body, archive), PDF (WeasyPrint, A4) and XLSX (openpyxl)."""

from __future__ import annotations

import base64
import io
import mimetypes
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from . import charts, texts
from .data import WeeklyReport
from .fmt import formatter
from .sheets import workbook
from .summary import tiles

FORMATS = ("html", "pdf", "xlsx")
_env = Environment(
    loader=PackageLoader("reports", "templates"),
    autoescape=select_autoescape(("html", "j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _logo(path: Path | None) -> str | None:
    """The logo inlined as a data URI: the HTML works as an e-mail body and an archived file alike."""
    if path is None or not path.is_file():
        return None
    kind = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _message(lang: str):
    def pick(row: Any) -> str:
        return (row.message_en if lang == "en" and row.message_en else row.message_id) or row.code

    return pick


def html(
    report: WeeklyReport,
    config: Any,
    lang: str = "id",
    sop_titles: Mapping[str, str] | None = None,
    agent_titles: Mapping[str, str] | None = None,
    revision: int = 1,
) -> str:
    """`agent_titles`: the check kinds' titles in `lang` (the agents layer knows its kinds); `revision`:
    the archive's revision this rendering becomes (named in the heading from the second on)."""
    t = texts.get(lang)
    f = formatter(config, lang)
    office = config.office
    days = [f.short_day(d) for d in report.week.days()]
    web = report.web
    warn_days, crit_days = config.web.warn_after_days or 7, config.web.crit_after_days or 30
    web_from = ""
    if web.crawled_at is not None:
        web_from = (
            t["web_from"].format(
                when=f.when(web.crawled_at, True), before=f.when(web.previous_crawled_at, True)
            )
            if web.previous_crawled_at
            else t["web_from_first"].format(when=f.when(web.crawled_at, True))
        )
    dns = report.dns
    cases = report.cases
    partial = ""
    if report.generated_at < report.end:
        partial = t["partial"].format(when=f.when(report.generated_at, True))
    approval = report.approval
    approval_line = ""
    if approval:
        approval_line = t["approved_by"].format(
            by=approval["by"], when=f.when(datetime.fromisoformat(approval["at"]))
        )
        if approval.get("revision", revision) != revision:  # the approval was of an earlier revision
            approval_line = (
                approval_line.rstrip(".") + t["approved_revision"].format(n=approval["revision"]) + "."
            )
    week_label = t["week"].format(n=report.week.number, year=report.week.year)
    context = {
        "lang": lang,
        "t": t,
        "f": f,
        "office": office,
        "logo": _logo(office.logo),
        "week_id": str(report.week),
        "week_label": week_label + (", " + t["revision"].format(n=revision) if revision > 1 else ""),
        "period": f.range(report.week.monday, report.week.sunday),
        "zone_label": office.zone_label,
        "generated": f.when(report.generated_at, True),
        "partial": partial,
        "tiles": tiles(report, f, t),
        "web": web,
        "web_from": web_from,
        "web_status": texts.WEB_STATUS[lang],
        "status": texts.STATUS[lang],
        "change": texts.CHANGE[lang],
        "case_state": texts.CASE_STATE[lang],
        "links": report.links,
        "outages": report.outages,
        "measured_links": any(r.samples for r in report.links),
        "dns": dns,
        "dns_line": t["dns_runs"].format(
            runs=dns.runs, when=f.when(dns.last_run_at), found=len(dns.rows), fixed=dns.fixed
        ),
        "certs": report.certs,
        "certs_line": t["certs_from"].format(when=f.when(report.certs.checked_at), n=report.certs.endpoints),
        "cases": cases,
        "cases_line": t["cases_line"].format(
            opened=cases.opened,
            closed=cases.closed,
            open=cases.open_at_end,
            wait=f.duration(cases.provider_wait_s),
        ),
        "steps": report.steps,
        "sop_titles": dict(sop_titles or {}),
        "agent_name": texts.agent_namer(lang, agent_titles),
        "reason": lambda text: texts.reason(text, lang),
        "msg": _message(lang),
        "approval": approval,
        "approval_text": t["approval_text"].format(sop=config.report.sop),
        "approval_line": approval_line,
        "approval_date": f.day(datetime.fromisoformat(approval["at"]), False)
        if approval
        else f.day(report.generated_at, False),
        "approver": (approval or {}).get("by") or office.kepala_bidang or "(" + t["kepala_bidang"] + ")",
        "charts": {
            "freshness": charts.freshness(web.rows, warn_days, crit_days, f, t["chart_fresh"], t["no_data"]),
            "availability": charts.availability(report.links, days, f, t["chart_avail"], t["no_data"]),
            "utilisation": charts.utilisation(report.links, days, t["chart_util"], t["no_data"]),
        },
    }
    return _env.get_template("weekly.html.j2").render(**context)


def pdf(document: str) -> bytes:
    # Imported here: WeasyPrint loads Pango through cffi, which the commands that never make a PDF
    # should not pay for (or fail on, where the Debian libraries are missing).
    from weasyprint import HTML

    return HTML(string=document).write_pdf()


def xlsx(
    report: WeeklyReport, config: Any, lang: str = "id", agent_titles: Mapping[str, str] | None = None
) -> bytes:
    buffer = io.BytesIO()
    workbook(report, config, lang, agent_titles).save(buffer)
    return buffer.getvalue()
