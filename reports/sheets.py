"""The weekly report as a workbook: one sheet per section, real dates and numbers in the cells.

Dates are office time without a zone (spreadsheets have none) and the zone is named in the header;
an unmeasured figure is an empty cell, never 0.

Every text cell is text. Much of it came from a monitored site or the config (an OPD name, a finding
quoting a site's header, a page title), and a spreadsheet reads `=HYPERLINK(...)` as a formula:
openpyxl writes a string that starts with "=" as one, and "#N/A" as an error. So a string is always
written as a string, one that Excel would take for a formula when it is edited (=, +, -, @, tab, CR:
OWASP's list) also carries the quote-prefix style, characters a workbook cannot hold are dropped,
and a cell is never longer than Excel's 32,767 characters. Numbers and dates stay what they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import texts
from .data import WeeklyReport
from .fmt import formatter
from .summary import tiles

_HEAD = Font(bold=True)
_FILL = PatternFill("solid", fgColor="E3F2FD")
_DATE = "dd/mm/yyyy hh:mm"
_DAY = "dd/mm/yyyy"
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")
_MAX_CELL_CHARS = 32_767  # Excel's limit: a longer cell makes it "repair" (empty) the workbook


def _clean(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_CELL_CHARS]


def _append(sheet: Worksheet, row: Iterable[Any]) -> None:
    """One row, its strings written as strings (never a formula, an error or a crash)."""
    values = [_clean(value) for value in row]
    sheet.append(values)
    line = sheet.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            cell = sheet.cell(row=line, column=column)
            cell.data_type = "s"
            if value.startswith(_FORMULA_LEAD):
                cell.quotePrefix = True


def _sheet(
    book: Workbook, title: str, headers: list[str], rows: Iterable[list[Any]], formats: dict[int, str]
) -> None:
    sheet = book.create_sheet(title[:31])
    _append(sheet, headers)
    for cell in sheet[1]:
        cell.font, cell.fill = _HEAD, _FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for line, row in enumerate(rows, start=2):
        _append(sheet, row)
        for col, number_format in formats.items():
            sheet.cell(row=line, column=col + 1).number_format = number_format
    for i, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(header) + 4))
    sheet.freeze_panes = "A2"


def workbook(
    report: WeeklyReport, config: Any, lang: str, agent_titles: Mapping[str, str] | None = None
) -> Workbook:
    t = texts.get(lang)
    agent_name = texts.agent_namer(lang, agent_titles)
    f = formatter(config, lang)
    local = f.local_naive
    zone = f" ({config.office.zone_label})"
    status, web_status, change = texts.STATUS[lang], texts.WEB_STATUS[lang], texts.CHANGE[lang]
    book = Workbook()
    summary = book.active
    summary.title = t["summary"][:31]
    period = report.period
    which = t["week"].format(n=period.number, year=period.year) if period.kind == "weekly" else t["c_month"]
    title = t["title_monthly"] if period.kind == "monthly" else t["title"]
    for label, value in [
        (title, config.office.name),
        (which, str(period)),
        (t["period"], f.range(period.first, period.last)),
        (t["generated"] + zone, local(report.generated_at)),
    ]:
        _append(summary, [label, value])
    summary["B4"].number_format = _DATE
    summary.append([])
    for tile in tiles(report, f, t):
        _append(summary, [tile["label"], tile["value"]])
    summary.column_dimensions["A"].width = 36
    summary.column_dimensions["B"].width = 40

    _sheet(
        book,
        t["web"],
        [
            t["c_opd"],
            t["c_site"],
            t["c_status"],
            t["c_latest"] + zone,
            t["c_age"],
            t["c_agenda"] + zone,
            t["c_complete"],
            t["c_change"],
            t["c_stale"],
            t["c_findings"],
        ],
        (
            [
                r.opd,
                r.url,
                web_status[r.status],
                local(r.latest_published),
                r.age_days,
                local(r.agenda_updated),
                r.completeness,
                change[r.change],
                r.weeks_stale if r.status is not None else None,
                "; ".join(r.findings) or None,
            ]
            for r in report.web.rows
        ),
        {3: _DATE, 5: _DATE},
    )
    _sheet(
        book,
        t["links"],
        [
            t["c_opd"],
            t["c_link"],
            t["c_provider"],
            t["c_contract_down"],
            t["c_contract_up"],
            t["c_samples"],
            t["c_uptime"],
            t["c_outages"],
            t["c_downtime"] + " (s)",
            t["c_mean"],
            t["c_p95"],
            t["c_p95_pct"],
            t["c_under"],
            t["c_queue"],
            t["c_queue_limit_down"],
            t["c_queue_limit_up"],
            t["c_p95_limit_pct"],
            t["c_queue_saturated"],
            t["c_queue_mismatch"],
        ],
        (
            [
                r.opd,
                r.link_id,
                r.provider,
                r.contracted_down_mbps,
                r.contracted_up_mbps,
                r.samples,
                r.uptime_pct,
                len(r.outages) if r.samples else None,
                r.down_time_s if r.samples else None,
                r.down_mean_mbps,
                r.down_p95_mbps,
                r.down_p95_pct,
                r.under_delivery,
                # A queue-bound link's queue (0 = unlimited, empty = not read); an interface's: empty.
                r.queue,
                r.queue_limit_down_mbps,
                r.queue_limit_up_mbps,
                r.down_p95_limit_pct,
                r.queue_saturated if r.queue else None,
                r.queue_limit_mismatch if r.queue else None,
            ]
            for r in report.links
        ),
        {6: "0.00", 9: "0.0", 10: "0.0", 11: "0.0", 16: "0.0"},
    )
    _sheet(
        book,
        t["outages"],
        [t["c_opd"], t["c_link"], t["c_start"] + zone, t["c_end"] + zone, t["c_duration"] + " (s)"],
        ([o.opd, o.link_id, local(o.start), local(o.end), o.duration_s] for o in report.outages),
        {2: _DATE, 3: _DATE},
    )
    _sheet(
        book,
        "DNS",
        [t["c_target"], t["c_opd"], t["c_problem"], t["c_status"], t["c_first"] + zone, t["c_fixed"] + zone],
        (
            [
                r.target,
                r.opd,
                r.message_en if lang == "en" and r.message_en else r.message_id,
                status[r.status],
                local(r.first_seen),
                local(r.fixed_at),
            ]
            for r in report.dns.rows
        ),
        {4: _DATE, 5: _DATE},
    )
    _sheet(
        book,
        t["certs"],
        [
            t["c_target"],
            t["c_opd"],
            t["c_status"],
            t["c_days_left"],
            t["c_valid_until"] + zone,
            t["c_problem"],
        ],
        (
            [
                r.target,
                r.opd,
                status[r.status],
                r.days_left,
                local(r.not_after),
                r.message_en if lang == "en" and r.message_en else r.message_id,
            ]
            for r in report.certs.rows
        ),
        {4: _DATE},
    )
    _sheet(
        book,
        t["c_case"],
        [
            t["c_case"],
            t["c_sop"],
            t["c_step"],
            t["c_target"],
            t["c_title"],
            t["c_state"],
            t["c_opened"] + zone,
            t["c_closed"] + zone,
            t["c_wait"] + " (s)",
            t["c_breached"],
        ],
        (
            [
                c.id,
                c.sop_id,
                c.step_no,
                c.target,
                c.title,
                texts.CASE_STATE[lang].get(c.state, c.state),
                local(c.opened_at),
                local(c.resolved_at or c.closed_at),
                c.provider_wait_s,
                ", ".join(str(s) for s in c.breached_steps) or None,
            ]
            for c in report.cases.rows
        ),
        {6: _DATE, 7: _DATE},
    )
    _sheet(
        book,
        "SLA",
        [
            t["c_sop"],
            t["c_step"],
            t["c_role"],
            t["c_on_time"],
            t["c_late"],
            t["c_pending"],
            t["c_compliance"],
        ],
        (
            [r.sop_id, r.step_no, r.role, r.on_time, r.breached, r.pending, r.compliance_pct]
            for r in report.cases.sla
        ),
        {6: "0.0"},
    )
    _sheet(
        book,
        t["steps"],
        [
            t["c_sop"],
            t["c_step"],
            t["c_agent"],
            t["c_runs"],
            t["c_done"],
            t["c_skipped"],
            t["c_errors"],
            t["c_catch_up"],
            t["c_last"] + zone,
        ],
        (
            [
                r.sop_id,
                r.step_no,
                agent_name(r.agent),
                r.runs,
                r.done,
                r.skipped,
                r.errors,
                r.catch_up,
                local(r.last_at),
            ]
            for r in report.steps.rows
        ),
        {8: _DATE},
    )
    _sheet(
        book,
        t["missed"],
        [t["c_sop"], t["c_step"], t["c_agent"], t["c_status"], t["c_due"] + zone, t["c_reason"]],
        (
            [
                m.sop_id,
                m.step_no,
                agent_name(m.agent),
                m.status,
                local(m.due_at or m.started_at),
                texts.reason(m.reason, lang),
            ]
            for m in report.steps.missed
        ),
        {4: _DATE},
    )
    if report.trend:
        _sheet(
            book,
            t["trend"],
            [t["c_week"], t["c_start"] + zone, t["c_end"] + zone, t["c_sites_fresh"], t["c_sites_checked"],
             t["c_sites_stale"], t["c_uptime"], t["c_outages"], t["c_downtime"] + " (s)", t["c_opened"],
             t["c_closed"], t["c_sla_pct"], t["c_steps_done"], t["c_steps_planned"]],
            (
                [w.label, local(w.start), local(w.end), w.sites_fresh if w.crawled_at else None,
                 w.sites_checked if w.crawled_at else None, w.sites_stale if w.crawled_at else None,
                 w.uptime_pct, w.outages if w.link_samples else None,
                 w.down_time_s if w.link_samples else None, w.cases_opened, w.cases_closed, w.sla_pct,
                 w.steps_done, w.steps_planned]
                for w in report.trend
            ),
            {1: _DATE, 2: _DATE, 6: "0.00", 11: "0"},
        )  # fmt: skip
    return book
