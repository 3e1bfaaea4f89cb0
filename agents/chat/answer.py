"""What a chat reply does, whatever the channel: who sent it (a Sigap user by Telegram id or phone),
may they (the console's one role table and OPD scope), and the move, made by the console's own
`actions.apply` so the event log says exactly what a button in the console would, with the user's
display name as `by`. Telegram and WhatsApp only carry the words in and out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger.models import OPEN_CASE_STATES, Case, CaseEvent, User
from sop_registry.loader import Registry

from ..config import Config
from ..console import queries
from ..console.actions import Move, apply
from ..console.web import Conflict, Console, Viewer
from ..notify.contacts import Directory
from . import phones
from .texts import say

log = logging.getLogger("sigap.chat")

# Events an edited case message reports besides ack, hold and a resolve with a note.
SHOWN_EVENTS = ("provider_returned", "step_done", "resolved", "reopened", "closed", "escalated")


@dataclass(frozen=True)
class Reply:
    text: str
    case_id: int | None = None
    done: str | None = None  # the move made: ack | hold | resolve
    line: str | None = None  # "Kasus #12 ditanggapi oleh Budi, 14.05 WITA": what an edited message adds


class Desk:
    """The answering logic for the service's life: config, registry, ledger, clock."""

    def __init__(self, config: Config, registry: Registry, engine, clock: Callable[[], datetime]) -> None:
        self.config, self.registry, self.engine, self.clock = config, registry, engine, clock
        self.lang = config.console.language or config.office.language
        # The console's fixed parts that actions.apply and the case queries read (config, registry,
        # the inventory's OPDs); the session cookie's signer and the templates are the web's alone.
        self.console = Console(
            config=config,
            registry=registry,
            engine=engine,
            clock=clock,
            signer=None,  # type: ignore[arg-type]
            templates=None,  # type: ignore[arg-type]
            timeouts=None,  # type: ignore[arg-type]
            throttle=None,  # type: ignore[arg-type]
            directory=Directory.of(config),
        )

    # --- who ---------------------------------------------------------------------------------------

    def by_telegram(self, session: Session, telegram_id: object) -> User | None:
        text = str(telegram_id or "").strip()
        if not text:
            return None
        return session.scalars(select(User).where(User.telegram_id == text, User.disabled.is_(False))).first()

    def by_phone(self, session: Session, raw: str | None) -> User | None:
        number = phones.normalise(raw)
        if number is None:
            return None
        # Numbers are kept as typed (08..., +62...): compared in one form. An office has tens of users.
        for user in session.scalars(select(User).where(User.phone.is_not(None), User.disabled.is_(False))):
            if phones.normalise(user.phone) == number:
                return user
        return None

    def refused(self, channel: str, who: object) -> Reply:
        log.warning("chat refused channel=%s sender=%s reason=not a Sigap user", channel, who)
        return Reply(say(self.lang, "unmapped"))

    # --- what --------------------------------------------------------------------------------------

    def when(self, at: datetime) -> str:
        office = self.config.office
        local = at.astimezone(office.zone)
        clock = f"{local:%H.%M}" if self.lang == "id" else f"{local:%H:%M}"
        return f"{clock} {office.zone_label}"

    def check(
        self, session: Session, user: User, case_id: int, action: str
    ) -> tuple[Case | None, Reply | None]:
        """The case, if this user may make this move on it; else the refusal to answer with."""
        viewer = Viewer.of(user)
        case = session.get(Case, case_id)
        if case is None or not viewer.sees(queries.case_opd(self.console, case)):
            return None, Reply(say(self.lang, "not_found", case=case_id), case_id)  # 404, never 403
        if not viewer.can(action):
            log.warning(
                "chat refused user=%s case=%s action=%s reason=role %s", user.name, case_id, action, user.role
            )
            return None, Reply(say(self.lang, "forbidden", case=case_id), case_id)
        return case, None

    def move(
        self,
        session: Session,
        user: User,
        case_id: int,
        action: str,
        *,
        provider: str | None = None,
        ticket: str | None = None,
        note: str | None = None,
        channel: str = "chat",
    ) -> Reply:
        """Make the move in the caller's transaction (the caller commits); the answer to send."""
        case, refusal = self.check(session, user, case_id, action)
        if refusal is not None:
            return refusal
        assert case is not None
        if action == "ack" and case.acknowledged_at is not None:  # a second press: no second event
            by = say(self.lang, "already.by", by=case.acknowledged_by) if case.acknowledged_by else ""
            return Reply(say(self.lang, "already.ack", case=case_id, by=by), case_id)
        if action == "hold" and not provider:
            return Reply(say(self.lang, "need.provider", case=case_id), case_id)
        if action == "resolve" and not note:
            return Reply(say(self.lang, "need.note", case=case_id), case_id)
        now = self.clock()
        try:
            apply(self.console, session, case, Move(action, note, provider, ticket), user.display_name, now)
        except (Conflict, InputError) as exc:
            return Reply(say(self.lang, "conflict", case=case_id, why=str(exc)[:300]), case_id)
        log.info("chat move channel=%s user=%s case=%s action=%s", channel, user.name, case_id, action)
        ticket_text = say(self.lang, "ticket", ticket=ticket) if ticket else ""
        line = say(
            self.lang,
            f"done.{action}",
            case=case_id,
            by=user.display_name,
            at=self.when(now),
            provider=provider or "",
            ticket=ticket_text,
            note=note or "",
        )
        return Reply(line, case_id, action, line)

    def answer(
        self,
        session: Session,
        user: User,
        command: Any,
        channel: str,
        examples: dict[str, str],
        help_key: str,
    ) -> tuple[str, Reply | None]:
        """A parsed command from a mapped user, whatever the channel: the text to answer with, and
        the move's Reply when it was a move (the caller edits the case's messages after it)."""
        from .commands import MOVES  # the parser's table; imported here, commands imports nothing of ours

        if command.action == "cases":
            return self.cases_text(session, user), None
        if command.action == "status":
            return self.status_text(session), None
        if command.action in ("help", "unknown"):
            return say(self.lang, help_key), None
        assert command.action in MOVES
        if command.case_id is None:
            return say(self.lang, "need.case", example=examples[command.action]), None
        reply = self.move(
            session,
            user,
            command.case_id,
            command.action,
            provider=command.provider,
            ticket=command.ticket,
            note=command.note,
            channel=channel,
        )
        return reply.text, reply

    def event_line(self, event: CaseEvent) -> str | None:
        """A person's move in a case's log as the line an edited chat message adds, wherever it was
        made (chat, console, CLI); None for what the message need not say (a reminder, a note)."""
        data = event.data or {}
        common = {"case": event.case_id, "by": event.actor or "-", "at": self.when(event.at)}
        if event.kind == "acknowledged":
            return say(self.lang, "done.ack", **common)
        if event.kind == "provider_engaged":
            ticket = say(self.lang, "ticket", ticket=data["ticket"]) if data.get("ticket") else ""
            return say(self.lang, "done.hold", provider=data.get("provider") or "-", ticket=ticket, **common)
        if event.kind == "resolved" and event.note:
            return say(self.lang, "done.resolve", note=" ".join(event.note.split())[:300], **common)
        if event.kind in SHOWN_EVENTS:
            return say(self.lang, "done.other", what=say(self.lang, f"what.{event.kind}"), **common)
        return None

    # --- reading ------------------------------------------------------------------------------------

    def cases_text(self, session: Session, user: User, *, limit: int = 15) -> str:
        """/kasus: the user's open cases (the steps they act as; all they see if they act as none),
        by SLA time left, the most overdue first."""
        viewer = Viewer.of(user)
        now = self.clock()
        rows = queries.case_rows(self.console, session, viewer, queries.CaseFilter("open"), now)
        if user.acts_as:  # the current step's pelaksana, or the role the agent named (who was told)
            acts = {a.casefold() for a in user.acts_as}
            named = {
                c.id
                for c in session.scalars(select(Case).where(Case.id.in_([r.id for r in rows])))
                if str((c.details or {}).get("agent_role") or "").casefold() in acts
            }
            rows = [r for r in rows if r.mine or r.id in named]
        if not rows:
            return say(self.lang, "none_open")
        lines = [say(self.lang, "cases.head", count=len(rows))]
        for row in rows[:limit]:
            if row.paused:
                left = say(self.lang, "paused")
            elif row.left_s is None:
                left = say(self.lang, "no_deadline")
            elif row.left_s < 0:
                left = say(self.lang, "overdue", minutes=int(-row.left_s // 60))
            else:
                left = say(self.lang, "left", minutes=int(row.left_s // 60))
            title = " ".join(row.title.split())[:120]
            lines.append(f"#{row.id} {title} - {left}")
        return "\n".join(lines)

    def status_text(self, session: Session) -> str:
        """/status: the week's tiles, as the console's home page shows them (the weekly report's
        figures so far), then the open cases; the cases alone if the tiles cannot be made."""
        counts = self._counts_text(session)
        try:
            from ..console import home

            _report, tiles = home.week_tiles(self.console, session, self.clock(), self.lang)
        except Exception:  # the tiles are the weekly report's data: a failure there still answers
            log.exception("chat status: the week's tiles could not be made")
            return counts
        head, open_line, _opened = counts.split("\n")  # the tiles say what was opened and closed
        return "\n".join([head, *(f"{t['label']}: {t['value']}" for t in tiles), open_line])

    def _counts_text(self, session: Session) -> str:
        """The open cases and this week's (Monday 00:00 office time to now)."""
        office = self.config.office
        now = self.clock()
        local = now.astimezone(office.zone)
        monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        year, week, _ = local.isocalendar()
        cases = list(session.scalars(select(Case).where(Case.state.in_(OPEN_CASE_STATES))))
        breached = 0
        for case in cases:
            row = queries.case_row(self.console, Viewer(0, "", "", "viewer"), case, now)
            breached += row.breached
        opened = session.scalar(select(func.count()).select_from(Case).where(Case.opened_at >= monday)) or 0
        resolved = (
            session.scalar(select(func.count()).select_from(Case).where(Case.resolved_at >= monday)) or 0
        )
        return say(
            self.lang,
            "status",
            office=office.short_name or office.name,
            week=f"{year}-W{week:02d}",
            open=len(cases),
            breached=breached,
            waiting=sum(c.state == "waiting_provider" for c in cases),
            opened=opened,
            resolved=resolved,
        )
