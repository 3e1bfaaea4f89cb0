"""The report as HTML (the archive copy and the e-mail body), PDF (WeasyPrint, A4) and XLSX (openpyxl).

One template: the kop surat, the summary tiles, then either what needs a decision (`short`, the
default: a PDF a Kepala Bidang reads through) or every table (`full`), the approval with the
signature block, and for a small office the complete tables as an appendix. The charts are SVG in
the HTML and the PDF; each also travels as a PNG inside the HTML (a comment the browser and
WeasyPrint skip) for the e-mail, which carries it as a cid: part (reports/mail.py).
"""

from __future__ import annotations

import base64
import io
import mimetypes
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from . import charts, drawing, exceptions, texts
from .data import Report
from .fmt import MONTHS, Formatter, formatter, queue_limit
from .sheets import workbook
from .summary import tiles

FORMATS = ("html", "pdf", "xlsx")
DETAILS = ("short", "full")
AVAILABILITY_LISTED = 30  # heat-map rows in the short report (the table lists them all)
SITES_AS_TABLE = 40  # more sites not fresh than this are listed as lines, grouped by status
PNG_MARK = "sigap-png"  # <!--sigap-png:NAME:BASE64--> before a chart's <svg>: the mail's PNG of it
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


def _message(lang: str) -> Callable[[Any], str]:
    def pick(row: Any) -> str:
        return (row.message_en if lang == "en" and row.message_en else row.message_id) or row.code

    return pick


def kop(office: Any, t: Mapping[str, str]) -> dict[str, Any]:
    """The letterhead's lines: office.letterhead, or the office's name alone when there is none."""
    lh = office.letterhead
    contacts = []
    if lh is not None:
        for key, value in (("l_phone", lh.phone), ("l_fax", lh.fax), ("l_email", lh.email),
                           ("l_website", lh.website)):  # fmt: skip
            if value:
                contacts.append(f"{t[key]} {value}")
    return {
        "logo": _logo(office.logo),
        "government": lh.government if lh else None,
        "name": (lh.name if lh and lh.name else None) or office.name,
        "address": list(lh.address) if lh else [],
        "contacts": " · ".join(contacts),
    }


def place_date(office: Any, f: Formatter, when: datetime) -> str:
    """'Samarinda, 24 November 2026': the letterhead's city, else the office's name, and the date."""
    lh = office.letterhead
    place = lh.city if lh and lh.city else office.name
    return f"{place}, {f.day(when, False)}"


def official_lines(official: Any, t: Mapping[str, str]) -> dict[str, str | None]:
    """Name, rank and NIP as a signature block prints them ('NIP 19700101 199503 1 001')."""
    if official is None:
        return {"name": "(" + t["kepala_bidang"] + ")", "rank": None, "nip": None, "position": None}
    return {
        "name": official.name,
        "rank": official.rank,
        "nip": f"{t['nip']} {official.nip}" if official.nip else None,
        "position": official.position,
    }


def _signature(report: Report, config: Any, f: Formatter, t: Mapping[str, str], revision: int) -> dict:
    """The approval block: the Kepala Bidang's name, rank and NIP, and the approval (who, date and
    time, which revision) printed in the space for the signature once it is recorded."""
    office = config.office
    approval = report.approval
    person = official_lines(office.kepala_bidang, t)
    stamp = ""
    when = report.generated_at
    if approval:
        when = datetime.fromisoformat(approval["at"])
        stamp = t["approved_by"].format(by=approval["by"], when=f.when(when, True))
        if approval.get("revision", revision) != revision:  # the approval was of an earlier revision
            stamp = stamp.rstrip(".") + t["approved_revision"].format(n=approval["revision"]) + "."
        if approval["by"] != person["name"]:  # someone else approved: not the configured rank and NIP
            person = {"name": approval["by"], "rank": None, "nip": None, "position": person["position"]}
    return {
        "place_date": place_date(office, f, when),
        "above": [t["approve"], person["position"] or t["kepala_bidang"]],
        "stamp": stamp,
        **person,
    }


def _host(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path.rstrip("/")) or url


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Charts:
    """The drawings of one rendering, written into the template as SVG (with the PNG beside each
    when `with_png`), or as the <img src="cid:..."> of the mail body."""

    def __init__(self, drawings: dict[str, Callable[[], drawing.Drawing]], with_png: bool) -> None:
        self.drawings, self.with_png = drawings, with_png

    def __call__(self, name: str) -> Markup:
        d = self.drawings[name]()
        markup = drawing.svg(d)
        if self.with_png:
            encoded = base64.b64encode(drawing.png(d)).decode("ascii")
            markup = f"<!--{PNG_MARK}:{name}:{d.width}x{d.height}:{encoded}-->" + markup
        return Markup(markup)


def period_title(report: Report, t: Mapping[str, str]) -> str:
    return t["title_monthly"] if report.period.kind == "monthly" else t["title"]


def period_label(period: Any, lang: str) -> str:
    t = texts.get(lang)
    if period.kind == "monthly":
        return t["month"].format(name=MONTHS[lang][period.number - 1], year=period.year)
    return t["week"].format(n=period.number, year=period.year)


def context(
    report: Report,
    config: Any,
    lang: str = "id",
    sop_titles: Mapping[str, str] | None = None,
    agent_titles: Mapping[str, str] | None = None,
    revision: int = 1,
    detail: str | None = None,
    with_png: bool = False,
) -> dict[str, Any]:
    t = texts.get(lang)
    f = formatter(config, lang)
    office, settings = config.office, config.report
    detail = detail or settings.pdf_detail
    period = report.period
    days = (
        [f.short_day(d) for d in period.days()]
        if period.kind == "weekly"
        else [str(d.day) for d in period.days()]
    )
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
    dns, cases = report.dns, report.cases
    partial = ""
    if report.generated_at < report.end:
        key = "partial_month" if period.kind == "monthly" else "partial"
        partial = t[key].format(when=f.when(report.generated_at, True))
    label = period_label(period, lang)
    x = exceptions.pick(report, settings)
    this = t["this_" + period.kind]
    target = f.pct(settings.availability_target_pct, 1)
    phrases = {
        "sites": lambda n: t["d_sites"].format(n=n),
        "letters": lambda n: t["d_letters"].format(n=n, weeks=settings.letter_after_weeks),
        "integrity": lambda n: t["d_integrity"].format(n=n),
        "links": lambda n: t["d_links"].format(n=n, target=target),
        "queues": lambda n: t["d_queues"].format(n=n),
        "dns": lambda n: t["d_dns"].format(n=n),
        "certs": lambda n: t["d_certs"].format(n=n, days=settings.cert_within_days),
        "sla": lambda n: t["d_sla"].format(n=n),
        "steps": lambda n: t["d_steps"].format(n=n),
        "cases": lambda n: t["d_cases"].format(n=n),
    }
    small = len(web.rows) + len(report.links) <= settings.pdf_full_tables_up_to
    listed_links = [i.row for i in x.links[:AVAILABILITY_LISTED]]
    no_data = t["no_data"]
    drawings: dict[str, Callable[[], drawing.Drawing]] = {
        "freshness": lambda: charts.freshness(web.rows, warn_days, crit_days, f, t["chart_fresh"], no_data),
        "bands": lambda: charts.freshness_bands(web.rows, warn_days, crit_days, t, t["chart_bands"]),
        "availability": lambda: charts.availability(report.links, days, f, t["chart_avail"], no_data),
        "availability_x": lambda: charts.availability(listed_links, days, f, t["chart_avail"], no_data),
        "utilisation": lambda: charts.utilisation(report.links, days, t["chart_util"], no_data),
        "trend": lambda: charts.trend(report.trend, _trend_series(report, t), f, t["chart_trend"]),
    }
    return {
        "lang": lang,
        "t": t,
        "f": f,
        "office": office,
        "kop": kop(office, t),
        "title": period_title(report, t),
        "period_id": str(period),
        "period_label": label + (", " + t["revision"].format(n=revision) if revision > 1 else ""),
        "period": f.range(period.first, period.last),
        "zone_label": office.zone_label,
        "generated": f.when(report.generated_at, True),
        "partial": partial,
        "detail": detail,
        "appendix": detail == "short" and small,
        "tiles": tiles(report, f, t),
        "x": x,
        "decisions": [phrases[what](n) for what, n in x.decisions()],
        "needs_title": t["needs"].format(this=this),
        "needs_none": t["needs_none"].format(this=this),
        "x_sites": t["x_sites"].format(n=len(x.sites), total=len(web.rows)),
        "x_links": t["x_links"].format(
            n=sum(1 for i in x.links if i.below_or_under), total=len(report.links), target=target
        ),
        "x_queues": t["x_queues"].format(n=sum(1 for i in x.links if i.queue_saturated)),
        "x_links_under": any(i.below_or_under for i in x.links),
        "x_queues_saturated": any(i.queue_saturated for i in x.links),
        "x_links_none": t["x_links_none"].format(target=target),
        "x_certs_none": t["x_certs_none"].format(days=settings.cert_within_days),
        "letter_after_weeks": settings.letter_after_weeks,
        "sites_as_table": SITES_AS_TABLE,
        "site_groups": _site_groups(x.sites, lang),
        "outages_listed": exceptions.OUTAGES_LISTED,
        "missed_listed": exceptions.MISSED_LISTED,
        "more": lambda n: t["more"].format(n=n),
        "issue": lambda i: ", ".join(
            [t["below_target"]] * i.below_target
            + [t["under_contract"]] * i.under_delivered
            + [t["queue_capped"]] * i.queue_saturated
        ),
        "queue_limit": lambda r: queue_limit(r, f, t),
        "has_queues": any(r.queue for r in report.links),
        "host": _host,
        "short": _short,
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
        "trend": report.trend,
        "local_day": lambda when, end=False: (
            (when - timedelta(seconds=1) if end else when).astimezone(office.zone).date()
        ),
        "sop_titles": dict(sop_titles or {}),
        "agent_name": texts.agent_namer(lang, agent_titles),
        "reason": lambda text: texts.reason(text, lang),
        "msg": _message(lang),
        "approval": report.approval,
        "approval_text": t["approval_text"].format(sop=settings.sop, step=settings.approve_step),
        "sign": _signature(report, config, f, t, revision),
        "chart": _Charts(drawings, with_png),
    }


def _site_groups(rows: list[Any], lang: str) -> list[dict[str, Any]]:
    """The sites not fresh by status, worst first (the rows are in that order already)."""
    names = texts.WEB_STATUS[lang]
    groups: list[dict[str, Any]] = []
    for row in rows:
        if not groups or groups[-1]["status"] != row.status:
            groups.append({"status": row.status, "label": names[row.status], "rows": []})
        groups[-1]["rows"].append(row)
    return groups


def _trend_series(report: Report, t: Mapping[str, str]) -> list[tuple[str, list[float | None], str]]:
    rows = report.trend
    fresh = [r.sites_fresh / r.sites_checked * 100 if r.sites_checked else None for r in rows]
    return [
        (t["c_sites_fresh"], fresh, "%"),
        (t["c_uptime"], [r.uptime_pct for r in rows], "%"),
        (t["c_outages"], [float(r.outages) if r.link_samples else None for r in rows], ""),
        (t["c_sla_pct"], [r.sla_pct for r in rows], "%"),
    ]


def html(
    report: Report,
    config: Any,
    lang: str = "id",
    sop_titles: Mapping[str, str] | None = None,
    agent_titles: Mapping[str, str] | None = None,
    revision: int = 1,
    detail: str | None = None,
    with_png: bool = False,
) -> str:
    """`agent_titles`: the check kinds' titles in `lang` (the agents layer knows its kinds); `revision`:
    the archive's revision this rendering becomes (named in the heading from the second on); `detail`:
    short or full (default report.pdf_detail); `with_png`: each chart's PNG beside it, for the mail."""
    values = context(report, config, lang, sop_titles, agent_titles, revision, detail, with_png)
    return _env.get_template("report.html.j2").render(**values)


def pdf(document: str) -> bytes:
    # Imported here: WeasyPrint loads Pango through cffi, which the commands that never make a PDF
    # should not pay for (or fail on, where the Debian libraries are missing).
    from weasyprint import HTML

    return HTML(string=document).write_pdf()


def xlsx(
    report: Report, config: Any, lang: str = "id", agent_titles: Mapping[str, str] | None = None
) -> bytes:
    buffer = io.BytesIO()
    workbook(report, config, lang, agent_titles).save(buffer)
    return buffer.getvalue()
