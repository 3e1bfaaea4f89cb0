"""Letters to the OPDs whose sites stayed stale: the office's next step after the report.

For every OPD with a site stale `report.letter_after_weeks` weekly crawls in a row (a reprimand from
`report.reprimand_after_weeks`), one page on the letterhead addressed to the OPD's head
(office.opds), naming each site, its newest berita's date and the weeks, citing the SOP whose crawl
found it, with the number left for the office to fill in, the signature block, and a copy to the
site's admin (targets.websites[].admin). As PDF (the report's template and WeasyPrint) and as DOCX
(python-docx), for the office to number, sign and send: Sigap sends no letter itself.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from . import render, texts
from .data import Report, SiteRow
from .fmt import Formatter, formatter

_env = Environment(
    loader=PackageLoader("reports", "templates"),
    autoescape=select_autoescape(("html", "j2")),
    trim_blocks=True,
    lstrip_blocks=True,
)
FORMATS = ("pdf", "docx")


@dataclass
class Letter:
    opd: str
    kind: str  # notice | reprimand
    weeks: int  # the longest run of stale weekly crawls among its sites
    sites: list[SiteRow]
    crawled_at: datetime
    sop_id: str | None
    sop_title: str | None
    step_no: int | None
    addressee: Any = None  # office.opds entry, if the config has one
    copies: list[str] = field(default_factory=list)  # "Admin website ... (name, e-mail)"

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.opd.lower()).strip("-")[:60] or "opd"


def due(report: Report, config: Any, sop_titles: Mapping[str, str]) -> list[Letter]:
    """The letters the period's newest crawl calls for, one per OPD, in OPD order."""
    settings = config.report
    web = report.web
    if web.crawled_at is None:
        return []
    admins = {w.url: w.admin for w in config.targets.websites}
    by_opd: dict[str, list[SiteRow]] = {}
    for row in web.rows:
        if row.status is not None and row.weeks_stale >= settings.letter_after_weeks:
            by_opd.setdefault(row.opd, []).append(row)
    letters = []
    for opd, rows in sorted(by_opd.items()):
        weeks = max(r.weeks_stale for r in rows)
        copies = []
        for r in rows:
            admin = admins.get(r.url)
            if admin is not None and (admin.name or admin.email):
                who = ", ".join(v for v in (admin.name, admin.email) if v)
                if who not in copies:
                    copies.append(who)
        letters.append(
            Letter(
                opd, "reprimand" if weeks >= settings.reprimand_after_weeks else "notice", weeks, rows,
                web.crawled_at, web.sop_id, sop_titles.get(web.sop_id or ""), web.step_no,
                config.office.opd(opd), copies,
            )
        )  # fmt: skip
    return letters


def _content(letter: Letter, config: Any, lang: str, now: datetime) -> dict[str, Any]:
    """Every line of one letter, for the PDF's template and the DOCX alike."""
    t = texts.LETTER[lang]
    rt = texts.get(lang)
    f: Formatter = formatter(config, lang)
    office = config.office
    head = letter.addressee.head if letter.addressee else None
    to = [(head.position if head and head.position else t["head_of"].format(opd=letter.opd))]
    if head is not None and head.name:
        to.append(head.name)
    to += list(letter.addressee.address) if letter.addressee else []
    sop = letter.sop_title or letter.sop_id or "-"
    if letter.sop_id and letter.sop_title:
        sop = f"{letter.sop_title} ({letter.sop_id}" + (
            f", {t['step']} {letter.step_no})" if letter.step_no else ")"
        )
    warn_days = config.web.warn_after_days or 7
    person = render.official_lines(office.kepala_bidang, rt)
    lh = office.letterhead
    above = [t["on_behalf"].format(of=lh.on_behalf_of)] if lh and lh.on_behalf_of else []
    above.append((person["position"] or rt["kepala_bidang"]) + ",")
    short = office.short_name or office.name
    return {
        "t": t,
        "kop": render.kop(office, rt),
        "place_date": render.place_date(office, f, now),
        "number": t["number_blank"].format(office=short, year=now.astimezone(office.zone).year),
        "subject": t["subject_" + letter.kind],
        "nature": t["nature_" + letter.kind],
        "to": to,
        "opening": t["opening"],
        "body": t["body"].format(
            sop=sop, when=f.when(letter.crawled_at, True), opd=letter.opd, weeks=letter.weeks
        ),
        "columns": [t["c_site"], t["c_latest"], t["c_age"], t["c_weeks"]],
        "rows": [_site_cells(r, f, t) for r in letter.sites],
        "request": t["request_" + letter.kind].format(days=warn_days, opd=letter.opd),
        "closing": t["closing"],
        "sign": {"place_date": "", "above": above, "stamp": "", **person},
        "copies_title": t["copies"],
        "copies": [t["copy_admin"].format(opd=letter.opd, who=who) for who in letter.copies]
        + [t["copy_archive"]],
    }


def _site_cells(row: SiteRow, f: Formatter, t: Mapping[str, str]) -> list[str]:
    age = f"{f.number(row.age_days, 0)} {t['days']}"
    return [row.url, f.day(row.latest_published, False), age, f"{row.weeks_stale} {t['weeks']}"]


def html(letter: Letter, config: Any, lang: str, now: datetime) -> str:
    return _env.get_template("letter.html.j2").render(**_content(letter, config, lang, now))


def pdf(letter: Letter, config: Any, lang: str, now: datetime) -> bytes:
    return render.pdf(html(letter, config, lang, now))


def docx(letter: Letter, config: Any, lang: str, now: datetime) -> bytes:
    """The same letter as a Word document, for the office's own numbering and signature."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    c = _content(letter, config, lang, now)
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(15)
    section.left_margin = section.right_margin = Mm(20)
    style = document.styles["Normal"]
    style.font.name, style.font.size = "Arial", Pt(10.5)
    style.paragraph_format.space_after = Pt(2)

    kop = c["kop"]
    head = document.add_table(rows=1, cols=2)
    logo = config.office.logo
    if logo is not None and logo.is_file():
        head.cell(0, 0).paragraphs[0].add_run().add_picture(str(logo), height=Mm(20))
    head.cell(0, 0).width, head.cell(0, 1).width = Mm(25), Mm(145)
    lines = head.cell(0, 1)
    first = True
    kop_lines = [(kop["government"], 12, True)] if kop["government"] else []
    kop_lines += [(kop["name"], 14, True), *((line, 9, False) for line in kop["address"])]
    kop_lines += [(kop["contacts"], 9, False)] if kop["contacts"] else []
    for text, size, bold in kop_lines:
        paragraph = lines.paragraphs[0] if first else lines.add_paragraph()
        first = False
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold, run.font.size = bold, Pt(size)
    rule = document.add_paragraph("_" * 86)
    rule.paragraph_format.space_after = Pt(6)

    date = document.add_paragraph(c["place_date"])
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    meta = document.add_table(rows=0, cols=3)
    for label, value in ((c["t"]["number"], c["number"]), (c["t"]["nature"], c["nature"]),
                         (c["t"]["attachment"], "-"), (c["t"]["subject"], c["subject"])):  # fmt: skip
        cells = meta.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = label, ":", value
        cells[0].width, cells[1].width, cells[2].width = Mm(25), Mm(5), Mm(140)
    document.add_paragraph()
    document.add_paragraph(c["t"]["to"])
    for line in c["to"]:
        document.add_paragraph(line).paragraph_format.left_indent = Mm(8)
    document.add_paragraph(c["t"]["at"]).paragraph_format.left_indent = Mm(8)
    document.add_paragraph()
    document.add_paragraph(c["opening"])
    body = document.add_paragraph(c["body"])
    body.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    table = document.add_table(rows=1, cols=len(c["columns"]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, c["columns"], strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in c["rows"]:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    for text in (c["request"], c["closing"]):
        paragraph = document.add_paragraph(text)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.space_before = Pt(6)
    sign = c["sign"]
    block = [*sign["above"], "", "", "", sign["name"], sign["rank"] or "", sign["nip"] or ""]
    for i, text in enumerate(block):
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Mm(95)
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        if i == len(sign["above"]) + 3:
            run.bold = run.underline = True
    document.add_paragraph()
    document.add_paragraph(c["copies_title"])
    for n, text in enumerate(c["copies"], start=1):
        document.add_paragraph(f"{n}. {text}").paragraph_format.left_indent = Mm(4)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def file_name(letter: Letter, period: object, fmt: str) -> str:
    return f"surat-{letter.slug}-{period}.{fmt}"
