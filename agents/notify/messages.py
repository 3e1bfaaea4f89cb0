"""Notification texts: short, Indonesian by default (English per channel), one message for many cases.

A technician reads it on a phone: what failed and the measured value against the limit (the
finding's own sentence carries both), the SOP and the step that must happen now, who must act, by
when in office time, and how to acknowledge.

The texts are plain text, never markup: what a site said (a Content-Type header, a page title, a
maintenance notice) and what the config says (an OPD name) go in as the words they are, one line
each, bounded in size. `BODY_FORMAT` names that format for the sender: told nothing, apprise puts
the body verbatim into an e-mail's text/html part, where `<script>` from a site is markup; told
"text", it escapes wherever a channel wants HTML (mailto `?format=html`, Telegram) or Markdown.
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

BODY_FORMAT = "text"  # apprise.NotifyFormat.TEXT: what compose() writes, for the sender to pass on

# Untrusted text on a phone: a sentence, not a page. A site's header or title can be kilobytes.
MAX_TITLE_CHARS = 200
MAX_TARGET_CHARS = 300
MAX_FINDING_CHARS = 500
# Line breaks, tabs and other control characters in a site's text would make lines of their own
# (a forged "Tanggapi: ..." line) or break a mail header; they become one space.
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f\u2028\u2029]+")


def one_line(text: str | None, limit: int) -> str:
    """Text from a site or the config as one bounded line: control characters folded, cut with '…'."""
    line = _CONTROL.sub(" ", text or "").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

HEADINGS = {
    "id": {
        "opened": "GANGGUAN",
        "reopened": "GANGGUAN TERULANG",
        "resolved": "PULIH",
        "breached": "LEWAT BATAS WAKTU",
        "escalated": "ESKALASI",
        "reminder": "PENGINGAT: belum ditanggapi",
        "assigned": "TUGAS",
        "started": "PROSEDUR DIMULAI",
    },
    "en": {
        "opened": "PROBLEM",
        "reopened": "PROBLEM AGAIN",
        "resolved": "RECOVERED",
        "breached": "DEADLINE PASSED",
        "escalated": "ESCALATION",
        "reminder": "REMINDER: not acknowledged",
        "assigned": "YOUR STEP",
        "started": "PROCEDURE STARTED",
    },
}

_WORDS = {
    "id": {
        "case": "Kasus",
        "cases": "kasus",
        "finding": "Temuan",
        "sop": "SOP",
        "step": "langkah",
        "who": "Pelaksana",
        "due": "Batas waktu",
        "no_due": "tanpa batas waktu",
        "ack": "Tanggapi: sigap case ack {id} --by NAMA",
        "ack_many": "Tanggapi per kasus: sigap case ack ID --by NAMA",
        "more": "... dan {n} lainnya",
        "breach_was": "batas {due} terlewati",
        "level": "Diteruskan ke {roles} karena batas waktu langkah {step} terlewati",
        "open_for": "terbuka sejak {since}",
        "resolved_note": "Selesai",
        "target": "Target",
    },
    "en": {
        "case": "Case",
        "cases": "cases",
        "finding": "Finding",
        "sop": "SOP",
        "step": "step",
        "who": "Who acts",
        "due": "Due",
        "no_due": "no deadline",
        "ack": "Acknowledge: sigap case ack {id} --by NAME",
        "ack_many": "Acknowledge each: sigap case ack ID --by NAME",
        "more": "... and {n} more",
        "breach_was": "due {due}, passed",
        "level": "Passed on to {roles}: the deadline of step {step} has passed",
        "open_for": "open since {since}",
        "resolved_note": "Resolved",
        "target": "Target",
    },
}


def local_time(when: datetime | None, office: Office, lang: str) -> str:
    """'Senin, 23 Nov 2026 08.10 WITA': the office's zone, Indonesian day and month names."""
    if when is None:
        return "-"
    local = when.astimezone(office.zone)
    day = _DAYS[lang][local.weekday()]
    month = _MONTHS[lang][local.month - 1]
    clock = f"{local:%H.%M}" if lang == "id" else f"{local:%H:%M}"
    return f"{day}, {local.day} {month} {local.year} {clock} {office.zone_label}"


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

    @classmethod
    def of(cls, case: Case, sop: Sop, finding: dict[str, Any] | None = None) -> CaseLine:
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
        )

    @property
    def title_text(self) -> str:
        return one_line(self.title, MAX_TITLE_CHARS)

    @property
    def target_text(self) -> str:
        return one_line(self.target, MAX_TARGET_CHARS)

    def finding_text(self, lang: str) -> str:
        said = self.finding.message(lang) if self.finding else None
        return one_line(said, MAX_FINDING_CHARS) if said else self.title_text


def compose(
    kind: str,
    lines: Sequence[CaseLine],
    office: Office,
    lang: str,
    *,
    max_listed: int = 15,
    extra: dict[str, Any] | None = None,
) -> dict[str, str]:
    """{"title", "body"} for one channel language. `lines` share the SOP and step (the outbox groups
    them so), so the procedure part is said once."""
    words = _WORDS[lang]
    head = HEADINGS[lang].get(kind, kind)
    first = lines[0]
    step = first.sop.step(first.step_no)
    procedure = (
        f"{words['sop']} {first.sop.id} {first.sop.title} - {words['step']} {step.no}: {step.activity}"
    )
    due_text = _due_text(first, office, lang, kind)
    body: list[str] = []
    if len(lines) == 1:
        title = f"[Sigap] {head}: {first.title_text}"
        body.append(f"{words['case']} #{first.id} - {first.title_text}")
        body.append(f"{words['target']}: {first.target_text}")
        if kind != "resolved":
            body.append(f"{words['finding']}: {first.finding_text(lang)}")
    else:
        title = f"[Sigap] {head}: {len(lines)} {words['cases']} - {first.sop.id} {words['step']} {step.no}"
        for line in lines[:max_listed]:
            said = line.finding_text(lang) if kind != "resolved" else line.title_text
            body.append(f"#{line.id} {line.target_text}: {said}")
        if len(lines) > max_listed:
            body.append(words["more"].format(n=len(lines) - max_listed))
    if kind == "resolved":
        body.append(f"{words['resolved_note']}: {procedure}")
        return {"title": title, "body": "\n".join(body)}
    if kind == "escalated" and extra:
        body.append(words["level"].format(roles=", ".join(extra.get("roles", [])), step=step.no))
    body.append(procedure)
    body.append(f"{words['who']}: {first.role or '-'}")
    body.append(f"{words['due']}: {due_text}")
    body.append(words["ack"].format(id=first.id) if len(lines) == 1 else words["ack_many"])
    return {"title": title, "body": "\n".join(body)}


def _due_text(line: CaseLine, office: Office, lang: str, kind: str) -> str:
    words = _WORDS[lang]
    deadline = line.deadline
    if deadline is None or deadline.due_at is None:
        return words["no_due"]
    when = local_time(deadline.due_at, office, lang)
    standard = line.sop.step(line.step_no).time_standard
    spoken = f" ({standard.describe(lang)})" if standard else ""
    if kind in ("breached", "escalated"):
        return words["breach_was"].format(due=when) + spoken
    return when + spoken
