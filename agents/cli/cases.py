"""`sigap case ...`, `sigap maintenance ...` and `sigap notify ...`: the people's side of the SOPs.

Every command that changes a case applies it through the case engine (transition table, event log,
revision guard) and writes the notifications it causes in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sop_registry.errors import InputError
from sop_registry.ledger import cases as engine_cases
from sop_registry.ledger.models import OPEN_CASE_STATES, Case, Notification
from sop_registry.ledger.transitions import InvalidTransition, state_word

from ..config import Config
from ..notify.messages import local_time
from ..notify.outbox import Alert, enqueue, roles_for
from .common import Context, _json_out, bad_input_exits
from .common import now as _now


@contextmanager
def _ledger(obj: Context, *, read_only: bool = False) -> Iterator[tuple[Config, Engine]]:
    """The ledger for a command; one that only reads (`read_only`) never creates a ledger."""
    from sop_registry.ledger import connect, upgrade
    from sop_registry.ledger.db import ready_to_read

    config = obj.config()
    engine = connect(config.database_url(), create=not read_only)
    try:
        (ready_to_read if read_only else upgrade)(engine)
        yield config, engine
    finally:
        engine.dispose()


BY_HELP = "Who does it (default: the user of sigap login, else operator)."


def _actor(
    config: Config, session: Session, by: str | None, action: str, case: Case | None = None, **kw: Any
) -> str:
    """--by, or the logged-in user (agents/cli/acting.py: imported only by the commands that change)."""
    from .acting import actor

    return actor(config, session, by, action, case=case, **kw)


def _case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise InputError(f"argument ID: no case #{case_id}")
    return case


def parse_local(text: str, config: Config, option: str) -> datetime:
    """'2026-11-23 22:00' in office time, or ISO 8601 with an offset."""
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise InputError(f"option {option}: cannot read {text!r} (expected YYYY-MM-DD HH:MM)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=config.office.zone)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # '0001-01-01 00:00' in WITA is before the year 1 in UTC
        raise InputError(f"option {option}: {text!r} is out of range") from None


@contextmanager
def _change(obj: Context) -> Iterator[tuple[Config, Session, list[Alert]]]:
    """A session for one change: alerts collected inside are enqueued in the same transaction;
    a move the case's state does not allow is bad input."""
    with _ledger(obj) as (config, engine), Session(engine, expire_on_commit=False) as session:
        alerts: list[Alert] = []
        try:
            yield config, session, alerts
            enqueue(session, alerts, _now(), config, obj.registry())
            session.commit()
        except InvalidTransition as exc:
            raise InputError(f"argument ID: {exc}") from None
        except engine_cases.ConcurrentCaseUpdate as exc:
            raise InputError(f"argument ID: {exc}; try again") from None


def case_row(case: Case, now: datetime) -> dict[str, Any]:
    deadline = engine_cases.current_deadline(case)
    due = deadline.due_at if deadline else None
    open_now = case.state in OPEN_CASE_STATES
    breached = deadline is not None and (
        deadline.breached_at is not None or (open_now and engine_cases.overdue(deadline, now))
    )
    return {
        "id": case.id,
        "sop": case.sop_id,
        "step": case.current_step_no,
        "target": case.target,
        "state": case.state,
        "assignee_role": case.assignee_role,
        "opened_at": case.opened_at.isoformat(),
        "due_at": due.isoformat() if due else None,
        "breached": breached,
        "title": case.title,
        "source": case.source,
        "provider_wait_s": case.provider_wait_s,
    }


@click.group()
def case() -> None:
    """Cases: SOP procedures in progress, with the deadline of each step."""


@case.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only cases still open.")
@click.option("--sop", "sop_id", help="Only this SOP's cases.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def case_list(obj: Context, only_open: bool, sop_id: str | None, as_json: bool) -> None:
    with _ledger(obj, read_only=True) as (config, engine), Session(engine) as session:
        query = select(Case).order_by(Case.id)
        if only_open:
            query = query.where(Case.state.in_(OPEN_CASE_STATES))
        if sop_id:
            query = query.where(Case.sop_id == sop_id)
        now = _now()
        rows = [case_row(c, now) for c in session.scalars(query)]
    if as_json:
        _json_out(rows)
        return
    lang = obj.lang
    head = (
        "ID|SOP|Langkah|Keadaan|Pelaksana|Batas waktu|Target"
        if lang == "id"
        else "ID|SOP|Step|State|Role|Due|Target"
    )
    click.echo("\t".join(head.split("|")))
    for r in rows:
        due = local_time(datetime.fromisoformat(r["due_at"]), config.office, lang) if r["due_at"] else "-"
        flag = (" (LEWAT)" if lang == "id" else " (BREACHED)") if r["breached"] else ""
        click.echo(
            "\t".join(
                [
                    f"#{r['id']}",
                    r["sop"],
                    str(r["step"]),
                    state_word(r["state"], lang),
                    r["assignee_role"] or "-",
                    due + flag,
                    r["target"],
                ]
            )
        )
    click.echo(f"{len(rows)} kasus" if lang == "id" else f"{len(rows)} cases")


@case.command("show")
@click.argument("case_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def case_show(obj: Context, case_id: int, as_json: bool) -> None:
    with _ledger(obj, read_only=True) as (config, engine), Session(engine) as session:
        c = _case(session, case_id)
        data = case_row(c, _now())
        data["details"] = c.details
        data["acknowledged_by"] = c.acknowledged_by
        data["resolved_at"] = c.resolved_at.isoformat() if c.resolved_at else None
        data["deadlines"] = [
            {
                "step": d.step_no,
                "role": d.role,
                "time_standard": d.time_standard,
                "due_at": d.due_at.isoformat() if d.due_at else None,
                "done_at": d.done_at.isoformat() if d.done_at else None,
                "breached_at": d.breached_at.isoformat() if d.breached_at else None,
            }
            for d in c.deadlines
        ]
        data["events"] = [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "kind": e.kind,
                "actor": e.actor,
                "from": e.from_state,
                "to": e.to_state,
                "step": e.step_no,
                "note": e.note,
            }
            for e in c.events
        ]
        notes = session.scalars(select(Notification).order_by(Notification.id)).all()
        data["notifications"] = [
            {
                "id": n.id,
                "kind": n.kind,
                "role": n.role,
                "status": n.status,
                "attempts": n.attempts,
                "sent_via": n.sent_via,
                "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                "last_error": n.last_error,
            }
            for n in notes
            if c.id in n.case_ids
        ]
    if as_json:
        _json_out(data)
        return
    lang, office = obj.lang, config.office
    click.echo(f"#{data['id']} {data['title']}")
    click.echo(
        f"SOP {data['sop']}, {'langkah' if lang == 'id' else 'step'} {data['step']}: "
        f"{state_word(data['state'], lang)} - {data['assignee_role'] or '-'} - {data['target']}"
    )
    if data["provider_wait_s"]:
        click.echo(
            ("Menunggu penyedia: " if lang == "id" else "Waiting for provider: ")
            + f"{data['provider_wait_s'] // 60} min"
        )
    for d in data["deadlines"]:
        due = local_time(datetime.fromisoformat(d["due_at"]), office, lang) if d["due_at"] else "-"
        mark = "selesai" if d["done_at"] else ""
        if d["breached_at"]:
            mark += " LEWAT" if lang == "id" else " BREACHED"
        click.echo(f"  {d['step']}. {d['role']} ({d['time_standard'] or '-'}): {due} {mark.strip()}")
    for e in data["events"]:
        when = local_time(datetime.fromisoformat(e["at"]), office, lang)
        click.echo(f"  [{when}] {e['kind']} {e['actor'] or ''} {e['note'] or ''}".rstrip())
    for n in data["notifications"]:
        via = n["sent_via"] or ""
        click.echo(f"  notifikasi #{n['id']} {n['kind']} -> {n['role']}: {n['status']} {via}".rstrip())


@case.command("ack")
@click.argument("case_id", metavar="ID", type=int)
@click.option("--by", help="Who takes it on (a name; default: the user of sigap login).")
@click.option("--note")
@click.pass_obj
@bad_input_exits
def case_ack(obj: Context, case_id: int, by: str | None, note: str | None) -> None:
    with _change(obj) as (config, session, _alerts):
        c = _case(session, case_id)
        by = _actor(config, session, by, "ack", c, required=True)
        engine_cases.acknowledge(session, c, at=_now(), by=by, note=note)
        click.echo(f"#{c.id}: {state_word(c.state, obj.lang)} ({by})")


@case.command("resolve")
@click.argument("case_id", metavar="ID", type=int)
@click.option("--note", required=True, help="What was done.")
@click.option("--by", help=BY_HELP)
@click.pass_obj
@bad_input_exits
def case_resolve(obj: Context, case_id: int, note: str, by: str | None) -> None:
    with _change(obj) as (config, session, alerts):
        c = _case(session, case_id)
        by = _actor(config, session, by, "resolve", c)
        engine_cases.resolve(session, c, at=_now(), by=by, note=note)
        alerts.append(Alert("resolved", c, roles_for(c)))
        click.echo(f"#{c.id}: {state_word(c.state, obj.lang)}")


@case.command("close")
@click.argument("case_id", metavar="ID", type=int)
@click.option("--note")
@click.option("--by", help=BY_HELP)
@click.pass_obj
@bad_input_exits
def case_close(obj: Context, case_id: int, note: str | None, by: str | None) -> None:
    with _change(obj) as (config, session, _alerts):
        c = _case(session, case_id)
        by = _actor(config, session, by, "close", c)
        engine_cases.close(session, c, at=_now(), by=by, note=note)
        click.echo(f"#{c.id}: {state_word(c.state, obj.lang)}")


@case.command("open")
@click.option("--sop", "sop_id", required=True, help="The SOP to run (e.g. kaltim-pemantik).")
@click.option("--title", required=True)
@click.option("--target", help="What it is about (default: the title).")
@click.option("--step", "step_no", type=int, default=1, show_default=True, help="Start at this step.")
@click.option("--by", help=BY_HELP)
@click.option("--note")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
@bad_input_exits
def case_open(
    obj: Context,
    sop_id: str,
    title: str,
    target: str | None,
    step_no: int,
    by: str | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Start a tracked procedure for any SOP, automated or not: each step gets its deadline and role."""
    registry = obj.registry()
    if sop_id not in registry.sops:
        raise InputError(f"option --sop: unknown SOP id {sop_id!r}")
    sop = registry[sop_id]
    if step_no not in {s.no for s in sop.steps}:
        raise InputError(f"option --step: {sop_id} has no step {step_no}")
    with _change(obj) as (config, session, alerts):
        by = _actor(config, session, by, "step_done")  # who may do an SOP's steps may start one
        target = target or title
        if engine_cases.open_case(session, sop_id, step_no, target) is not None:
            raise InputError(
                f"option --target: {sop_id} step {step_no} already has an open case for {target!r}"
            )
        change = engine_cases.open_manual(
            session,
            sop,
            title=title,
            target=target,
            at=_now(),
            by=by,
            policy=config.case_policy(),
            from_step=step_no,
            note=note,
        )
        alerts.append(Alert("started", change.case, roles_for(change.case)))
        row = case_row(change.case, _now())
    if as_json:
        _json_out(row)
    else:
        due = (
            local_time(datetime.fromisoformat(row["due_at"]), config.office, obj.lang)
            if row["due_at"]
            else "-"
        )
        click.echo(f"#{row['id']} {sop_id} {row['step']}: {row['assignee_role']} - {due}")


@case.command("step")
@click.argument("case_id", metavar="ID", type=int)
@click.option("--done", is_flag=True, required=True, help="The current step is done.")
@click.option("--note")
@click.option("--output", help="The step's output (default: what the SOP names).")
@click.option("--to", "to_step", type=int, help="Go on at this step (the SOP's branches).")
@click.option("--by", help=BY_HELP)
@click.pass_obj
@bad_input_exits
def case_step(
    obj: Context,
    case_id: int,
    done: bool,
    note: str | None,
    output: str | None,
    to_step: int | None,
    by: str | None,
) -> None:
    with _change(obj) as (config, session, alerts):
        c = _case(session, case_id)
        by = _actor(config, session, by, "step_done", c)
        sop = obj.registry()[c.sop_id]
        if to_step is not None and to_step not in {s.no for s in sop.steps}:
            raise InputError(f"option --to: {sop.id} has no step {to_step}")
        change = engine_cases.step_done(
            session,
            c,
            sop,
            at=_now(),
            by=by,
            policy=config.case_policy(),
            note=note,
            output=output,
            to_step=to_step,
        )
        kind = "resolved" if change.kind == "resolved" else "assigned"
        alerts.append(Alert(kind, c, roles_for(c)))
        click.echo(
            f"#{c.id}: {state_word(c.state, obj.lang)}, {'langkah' if obj.lang == 'id' else 'step'} "
            f"{c.current_step_no} ({c.assignee_role})"
        )


@case.command("escalate")
@click.argument("case_id", metavar="ID", type=int)
@click.option("--provider", required=True, help="The provider (ISP) now working on it.")
@click.option("--ticket", help="The provider's ticket number.")
@click.option("--told-at", help="When the provider was told (office time; default: now).")
@click.option("--by", help=BY_HELP)
@click.option("--note")
@click.pass_obj
@bad_input_exits
def case_escalate(
    obj: Context,
    case_id: int,
    provider: str,
    ticket: str | None,
    told_at: str | None,
    by: str | None,
    note: str | None,
) -> None:
    """Hand the fault to the provider: the office's clock stops until `sigap case resume`."""
    with _change(obj) as (config, session, _alerts):
        c = _case(session, case_id)
        by = _actor(config, session, by, "hold", c)
        when = parse_local(told_at, config, "--told-at") if told_at else None
        engine_cases.engage_provider(
            session, c, at=_now(), by=by, provider=provider, ticket=ticket, told_at=when, note=note
        )
        click.echo(f"#{c.id}: {state_word(c.state, obj.lang)} ({provider} {ticket or ''})".rstrip())


@case.command("resume")
@click.argument("case_id", metavar="ID", type=int)
@click.option("--by", help=BY_HELP)
@click.option("--note")
@click.pass_obj
@bad_input_exits
def case_resume(obj: Context, case_id: int, by: str | None, note: str | None) -> None:
    """The provider reported back: the clock runs again with the time that was left."""
    with _change(obj) as (config, session, _alerts):
        c = _case(session, case_id)
        by = _actor(config, session, by, "resume", c)
        engine_cases.provider_returned(
            session, c, obj.registry()[c.sop_id], at=_now(), by=by, policy=config.case_policy(), note=note
        )
        click.echo(f"#{c.id}: {state_word(c.state, obj.lang)}, {c.provider_wait_s // 60} min")


# --- maintenance -------------------------------------------------------------------------------------
