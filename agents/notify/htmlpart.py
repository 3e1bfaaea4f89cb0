"""The text/html part of an alert mail: the facts of the plain part, and a table with a row per case.

Everything in it that a site or the config said (a page title, a Content-Type header, an OPD name,
the office's name) is untrusted: it is escaped here, once, with markupsafe (house rule 10), after
the same one-line bounding the plain part uses. Inline styles only: mail clients drop <style>.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from ..config import Office
from .messages import CaseLine, Draft, due_text
from .texts import WORDS

_COLUMNS = ("col_opd", "col_target", "col_what", "col_value", "col_step", "col_who", "col_due")
_TABLE = 'border="1" cellpadding="6" cellspacing="0" style="border-collapse:collapse;font-size:14px"'
_HEAD = 'style="background:#e8eef5;text-align:left"'


def _cells(line: CaseLine, kind: str, office: Office, lang: str) -> list[str]:
    words = WORDS[lang]
    step = line.sop.step(line.step_no)
    return [
        line.opd_text or "-",
        line.target_text,
        line.title_text if kind == "resolved" else line.finding_text(lang),
        line.value_text(lang),
        f"{line.sop.id} {words['step']} {step.no}: {step.activity}",
        line.role or "-",
        "-" if kind == "resolved" else due_text(line, office, lang, kind),
    ]


def _lines(texts: Sequence[str]) -> Markup:
    """One fact per line, as in the plain part."""
    return Markup("<br>\n").join(escape(text) for text in texts)


def html_part(
    kind: str, lines: Sequence[CaseLine], office: Office, lang: str, text: Draft, *, max_listed: int = 15
) -> str:
    words = WORDS[lang]
    header = Markup("").join(
        Markup("<th {}>{}</th>").format(Markup(_HEAD), words[column]) for column in _COLUMNS
    )
    rows = [
        Markup("<tr>{}</tr>").format(
            Markup("").join(
                Markup('<td style="vertical-align:top">{}</td>').format(cell)
                for cell in _cells(line, kind, office, lang)
            )
        )
        for line in lines[:max_listed]
    ]
    more = (
        Markup("<p>{}</p>\n").format(words["more"].format(n=len(lines) - max_listed))
        if len(lines) > max_listed
        else Markup("")
    )
    page = Markup(
        '<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8"><title>{title}</title></head>\n'
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#1a1a1a">\n'
        "<p><strong>{title}</strong><br>\n{cases}</p>\n"
        "<table {table}>\n<tr>{header}</tr>\n{rows}\n</table>\n{more}"
        "<p>{facts}</p>\n</body>\n</html>\n"
    ).format(
        lang=lang,
        title=text.title,
        cases=_lines(text.cases),
        table=Markup(_TABLE),
        header=header,
        rows=Markup("\n").join(rows),
        more=more,
        facts=_lines(text.facts),
    )
    return str(page)
