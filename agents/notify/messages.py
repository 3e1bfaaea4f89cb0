"""Notification texts: short, Indonesian by default (English per channel), one message for many cases.

A technician reads it on a phone: what failed and the measured value against the limit (the
finding's own sentence carries both), the SOP and the step that must happen now, who must act, by
when in office time, and how to acknowledge.

The texts are plain text, never markup: what a site said (a Content-Type header, a page title, a
maintenance notice) and what the config says (an OPD name) go in as the words they are, one line
each, bounded in size. `BODY_FORMAT` names that format for the sender: told nothing, apprise puts
the body verbatim into an e-mail's text/html part, where `<script>` from a site is markup; told
"text", it escapes wherever a channel wants HTML (Telegram) or Markdown. E-mail does not go through
apprise's composer: it gets the text as its text/plain part and `htmlpart` as its text/html part.

`title` is what a chat message is headed with; `subject` is the title with the office time of the
change, for a mail that may be read hours later (the uplink was down while it waited).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sop_registry.ledger import records
from sop_registry.ledger.cases import current_deadline
from sop_registry.ledger.models import Case, CaseDeadline
from sop_registry.schema import Sop

from ..config import Office
from .texts import DAYS, HEADINGS, MONTHS, UNITS, WORDS

BODY_FORMAT = "text"  # apprise.NotifyFormat.TEXT: what compose() writes, for the sender to pass on

# Untrusted text on a phone: a sentence, not a page. A site's header or title can be kilobytes.
MAX_TITLE_CHARS = 200
MAX_TARGET_CHARS = 300
MAX_FINDING_CHARS = 500
MAX_OPD_CHARS = 120
# Line breaks, tabs and other control characters in a site's text would make lines of their own
# (a forged "Tanggapi: ..." line) or break a mail header; they become one space.
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]+")


def one_line(text: str | None, limit: int) -> str:
    """Text from a site or the config as one bounded line: control characters folded, cut with '…'."""
    line = _CONTROL.sub(" ", text or "").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def local_time(when: datetime | None, office: Office, lang: str, *, year: bool = True) -> str:
    """'Senin, 23 Nov 2026 08.10 WITA': the office's zone, Indonesian day and month names (without
    the year, for a subject: 'Senin, 23 Nov 08.10 WITA')."""
    if when is None:
        return "-"
    local = when.astimezone(office.zone)
    day = DAYS[lang][local.weekday()]
    month = MONTHS[lang][local.month - 1]
    clock = f"{local:%H.%M}" if lang == "id" else f"{local:%H:%M}"
    date = f"{local.day} {month} {local.year}" if year else f"{local.day} {month}"
    return f"{day}, {date} {clock} {office.zone_label}"


def quantity_text(value: dict[str, Any] | None, lang: str) -> str | None:
    """An observed value or a limit as a reader says it: '45 hari', '12.5 Mbps', '3 %'."""
    if not value or value.get("value") is None:
        return None
    raw = value["value"]
    if isinstance(raw, float):
        shown = f"{raw:.6g}"
    elif isinstance(raw, list | tuple):
        shown = ", ".join(str(v) for v in raw) or "-"
    else:
        shown = str(raw)
    unit = UNITS[lang].get(str(value.get("unit") or ""), "")
    return one_line(f"{shown} {unit}" if unit and unit != "%" else f"{shown}{unit}", MAX_FINDING_CHARS)


@dataclass(frozen=True)
class CaseLine:
    """What a message says about one case, read from the case and its SOP."""

    id: int
    title: str
    target: str
    sop: Sop
    step_no: int
    role: str | None
    deadline: CaseDeadline | None
    finding: records.LeadFinding | None
    opened_at: datetime
    opd: str | None = None  # the target's OPD, from the config (agents/notify/contacts.py)

    @classmethod
    def of(
        cls, case: Case, sop: Sop, finding: dict[str, Any] | None = None, opd: str | None = None
    ) -> CaseLine:
        deadline = current_deadline(case)
        last = (case.details or {}).get("last") or {}
        found = finding or last.get("finding")
        return cls(
            id=case.id,
            title=case.title,
            target=case.target,
            sop=sop,
            step_no=case.current_step_no,
            role=case.assignee_role,
            deadline=deadline,
            finding=records.LeadFinding.from_json(found) if found else None,
            opened_at=case.opened_at,
            opd=opd,
        )

    @property
    def title_text(self) -> str:
        return one_line(self.title, MAX_TITLE_CHARS)

    @property
    def target_text(self) -> str:
        return one_line(self.target, MAX_TARGET_CHARS)

    @property
    def opd_text(self) -> str | None:
        return one_line(self.opd, MAX_OPD_CHARS) or None

    def finding_text(self, lang: str) -> str:
        said = self.finding.message(lang) if self.finding else None
        return one_line(said, MAX_FINDING_CHARS) if said else self.title_text

    def value_text(self, lang: str) -> str:
        """'45 hari (batas 30 hari)': what the check measured, against its limit."""
        if self.finding is None:
            return "-"
        observed = quantity_text(self.finding.observed, lang)
        limit = quantity_text(self.finding.limit, lang)
        if limit:
            limit = WORDS[lang]["limit"].format(limit=limit)
            return f"{observed} ({limit})" if observed else limit
        return observed or "-"

    def headline(self, lang: str) -> str:
        """The case as a title says it, led by its OPD: 'Dinas Perhubungan - Berita terbaru ...'.
        A case's title is Indonesian (the agents write it so); in English the finding says it."""
        opd = self.opd_text
        if lang != "id" and self.finding and self.finding.message(lang):
            title = self.finding_text(lang)
        else:
            title = self.title_text
        if not opd:
            return title
        if title.startswith(opd + ":"):  # a site's case title is "OPD: what the crawl found"
            title = title[len(opd) + 1 :].strip()
        elif opd in title:
            return title
        return one_line(f"{opd} - {title}", MAX_TITLE_CHARS)


@dataclass(frozen=True)
class Draft:
    """One message in one language: its title and subject, the case lines, the procedure lines."""

    title: str
    subject: str
    cases: list[str]
    facts: list[str]

    @property
    def body(self) -> str:
        return "\n".join([*self.cases, *self.facts])

    def as_json(self) -> dict[str, str]:
        return {"title": self.title, "subject": self.subject, "body": self.body}


def compose(
    kind: str,
    lines: Sequence[CaseLine],
    office: Office,
    lang: str,
    *,
    max_listed: int = 15,
    extra: dict[str, Any] | None = None,
    at: datetime | None = None,
    for_contact: bool = False,
) -> dict[str, str]:
    """{"title", "subject", "body"} for one channel language (the text part of a mail)."""
    return draft(
        kind, lines, office, lang, max_listed=max_listed, extra=extra, at=at, for_contact=for_contact
    ).as_json()


def procedure_text(line: CaseLine, lang: str) -> str:
    words = WORDS[lang]
    step = line.sop.step(line.step_no)
    return f"{words['sop']} {line.sop.id} {line.sop.title} - {words['step']} {step.no}: {step.activity}"


def draft(
    kind: str,
    lines: Sequence[CaseLine],
    office: Office,
    lang: str,
    *,
    max_listed: int = 15,
    extra: dict[str, Any] | None = None,
    at: datetime | None = None,
    for_contact: bool = False,
    for_chat: bool = False,
) -> Draft:
    """`lines` share the SOP and step (the outbox groups them so), so the procedure part is said
    once. `at`: when the change happened, for the subject; `for_contact`: the message goes to a
    target's own contact (an OPD's site admin), who has no `sigap` to acknowledge with; `for_chat`:
    to a user's Telegram or WhatsApp, who acknowledges with the buttons or a reply (agents/chat)."""
    words = WORDS[lang]
    head = HEADINGS[lang].get(kind, kind)
    first = lines[0]
    step = first.sop.step(first.step_no)
    procedure = procedure_text(first, lang)
    cases: list[str] = []
    if len(lines) == 1:
        title = f"[Sigap] {head}: {first.headline(lang)}"
        cases.append(f"{words['case']} #{first.id} - {first.title_text}")
        cases.append(f"{words['target']}: {first.target_text}")
        if kind != "resolved":
            cases.append(f"{words['finding']}: {first.finding_text(lang)}")
    else:
        opds = {line.opd_text for line in lines}
        about = f"{len(lines)} {words['cases']} - {first.sop.id} {words['step']} {step.no}"
        one_opd = next(iter(opds)) if len(opds) == 1 else None
        title = f"[Sigap] {head}: " + (f"{one_opd} - {about}" if one_opd else about)
        for line in lines[:max_listed]:
            said = line.finding_text(lang) if kind != "resolved" else line.title_text
            cases.append(f"#{line.id} {line.target_text}: {said}")
        if len(lines) > max_listed:
            cases.append(words["more"].format(n=len(lines) - max_listed))
    subject = f"{title} ({local_time(at, office, lang, year=False)})" if at else title
    facts: list[str] = []
    if kind == "resolved":
        facts.append(f"{words['resolved_note']}: {procedure}")
    else:
        if kind == "escalated" and extra:
            facts.append(words["level"].format(roles=", ".join(extra.get("roles", [])), step=step.no))
        facts.append(procedure)
        facts.append(f"{words['who']}: {first.role or '-'}")
        facts.append(f"{words['due']}: {due_text(first, office, lang, kind)}")
        if not for_contact and not for_chat:
            facts.append(words["ack"].format(id=first.id) if len(lines) == 1 else words["ack_many"])
    if for_contact:
        facts.append(words["contact_note"].format(office=one_line(office.name, MAX_OPD_CHARS)))
    return Draft(title=title, subject=subject, cases=cases, facts=facts)


def due_text(line: CaseLine, office: Office, lang: str, kind: str) -> str:
    words = WORDS[lang]
    deadline = line.deadline
    if deadline is None or deadline.due_at is None:
        return words["no_due"]
    when = local_time(deadline.due_at, office, lang)
    standard = line.sop.step(line.step_no).time_standard
    spoken = f" ({standard.describe(lang)})" if standard else ""
    if kind in ("breached", "escalated"):
        return words["breach_was"].format(due=when) + spoken
    return when + spoken
