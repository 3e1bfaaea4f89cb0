"""/api/v1: the console's data and case actions for scripts and chat bots, with bearer tokens.

`Authorization: Bearer sgp_...` (from `sigap user token NAME [--scope write]`); no cookie is ever
accepted here, so no cross-site form can reach it and it needs no CSRF token. The permissions are
the console's (agents/console/permissions.py): a read token only reads, an OPD admin's token sees its
OPDs only (404 for anything else). Errors are `{"error": "..."}` with 400, 401, 403, 404 or 409.
The document is at /api/v1/openapi.json (agents/console/openapi.py).
"""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reports import texts as report_texts
from sop_registry.errors import InputError
from sop_registry.ledger.models import MaintenanceWindow

from . import accounts, actions, admin, dnstls, home, permissions, queries, reports, sites, sop
from .openapi import document
from .permissions import sees_reports
from .texts import LANGS
from .web import Conflict, Console, Ctx, Forbidden, NotFound, Viewer, _page_limiter

MAX_BODY = 64 * 1024
DEFAULT_FINDINGS_DAYS = 7


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Api:
    """One API request: the ledger session, the token's person, the JSON body."""

    def __init__(
        self, console: Console, request: Request, db: Session, viewer: Viewer, body: dict, token: Any = None
    ) -> None:
        self.console, self.request, self.db, self.viewer, self.body = console, request, db, viewer, body
        self.token = token  # the ApiToken row the request came with

    def text(self, key: str, limit: int, required: bool = False) -> str | None:
        value = self.body.get(key)
        if value is None:
            if required:
                raise InputError(f"{key}: required")
            return None
        if not isinstance(value, str):
            raise InputError(f"{key}: must be a string")
        if len(value) > limit:
            raise InputError(f"{key}: at most {limit} characters")
        if "\x00" in value:
            raise InputError(f"{key}: NUL characters are not allowed")
        if required and not value.strip():
            raise InputError(f"{key}: required")
        return value

    def integer(self, key: str) -> int | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{key}: must be an integer")
        return value


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def endpoint(handler: Callable[[Api], Any], action: str = "view", slow: bool = False) -> Callable:
    """`slow`: a handler that waits on the network (a report sent again), in its own lane of threads."""
    async def run(request: Request) -> Response:
        body: dict = {}
        if request.method == "POST":
            raw = await request.body()
            if len(raw) > MAX_BODY:
                return error(400, f"body: at most {MAX_BODY} bytes")
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    return error(400, "body: not JSON")
                if not isinstance(body, dict):
                    return error(400, "body: a JSON object expected")
        return await anyio.to_thread.run_sync(
            _handle, handler, action, request, body, limiter=_page_limiter("slow" if slow else "pages")
        )

    run.__name__ = handler.__name__
    return run


def _handle(handler: Callable[[Api], Any], action: str, request: Request, body: dict) -> Response:
    console: Console = request.app.state.console
    raw = _bearer(request)
    with Session(console.engine, expire_on_commit=False) as db:
        found = accounts.token_user(db, raw, console.clock()) if raw else None
        if found is None:
            return error(
                401, "a valid bearer token is required", {"WWW-Authenticate": 'Bearer realm="sigap"'}
            )
        token, user = found
        viewer = Viewer.of(user, token_scope=token.scope)
        try:
            if action != "view" and not viewer.can("view"):
                raise Forbidden(action)
            result = handler(Api(console, request, db, viewer, body, token))
            db.commit()
        except NotFound:
            db.rollback()
            return error(404, "not found")
        except Forbidden as exc:
            db.rollback()
            return error(403, f"not allowed: {exc}")
        except Conflict as exc:
            db.rollback()
            return error(409, str(exc))
        except InputError as exc:
            db.rollback()
            return error(400, str(exc))
    if isinstance(result, Response):  # a handler that answers other than 200 (201 Created)
        return result
    return JSONResponse(result)


def _case_id(api: Api) -> int:
    raw = api.request.path_params["case_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound(raw)
    return int(raw)


def list_cases(api: Api) -> dict[str, Any]:
    state = api.request.query_params.get("state", "all")
    if state not in ("open", "all"):
        raise InputError(f"state: {state!r} is not open or all")
    filt = queries.CaseFilter(state=state, mine=api.request.query_params.get("mine") == "true")
    rows = queries.case_rows(api.console, api.db, api.viewer, filt, api.console.clock())
    return {"count": len(rows), "cases": [r.as_json() for r in rows]}


def get_case(api: Api) -> dict[str, Any]:
    d = queries.case_detail(api.console, api.db, api.viewer, _case_id(api), api.console.clock())
    return {
        **d.row.as_json(),
        "acknowledged_by": d.case.acknowledged_by,
        "resolved_at": _utc(d.case.resolved_at),
        "actions": [a.replace("_", "-") for a in d.actions],
        "steps": [
            {
                "no": s.no,
                "activity": s.activity,
                "role": s.role,
                "time_standard": s.waktu,
                "due_at": _utc(s.due_at),
                "done_at": _utc(s.done_at),
                "state": s.state,
                "late": s.late,
            }
            for s in d.steps
        ],
        "events": [{**e, "at": e["at"].isoformat()} for e in d.events],
        "notifications": [
            {
                "id": n["id"],
                "kind": n["kind"],
                "role": n["role"],
                "status": n["status"],
                "attempts": n["attempts"],
                "sent_via": n["sent_via"],
                "sent_at": _utc(n["sent_at"]),
                "last_error": n["last_error"],
            }
            for n in d.notifications
        ],
    }


def case_move(action: str) -> Callable[[Api], dict[str, Any]]:
    def move(api: Api) -> dict[str, Any]:
        case = queries.visible_case(api.console, api.db, api.viewer, _case_id(api))  # 404 before 403
        if not api.viewer.can(action):
            raise Forbidden(action)
        to_step = api.integer("to_step")
        change = actions.apply(
            api.console,
            api.db,
            case,
            actions.Move(
                action,
                note=api.text("note", actions.MAX_NOTE, required=action in ("note", "resolve")),
                provider=api.text("provider", 128, required=action == "hold"),
                ticket=api.text("ticket", 64),
                output=api.text("output", 500),
                to_step=to_step,
            ),
            api.viewer.display_name,
            api.console.clock(),
        )
        row = queries.case_row(api.console, api.viewer, case, api.console.clock())
        return {"change": change, "case": row.as_json()}

    move.__name__ = f"case_{action}"
    return move


def list_websites(api: Api) -> dict[str, Any]:
    crawled_at, lines = sites.site_lines(api.console, api.db, api.viewer)
    sites.with_history(api.console, api.db, lines, api.console.clock())
    return {"crawled_at": _utc(crawled_at), "websites": [line.as_json() for line in lines]}


def list_links(api: Api) -> dict[str, Any]:
    open_cases = sites._open_cases_by_target(api.db)
    links = [
        {
            "id": link.id,
            "opd": link.opd,
            "host": link.host,
            "method": link.method,
            "provider": link.provider,
            "parent": link.parent,
            "contracted_down_mbps": link.contracted_down_mbps,
            "contracted_up_mbps": link.contracted_up_mbps,
            "open_cases": open_cases.get(link.id, []),
        }
        for link in api.console.config.targets.links
        if api.viewer.sees(link.opd)
    ]
    return {"links": links}


def _since(api: Api) -> datetime:
    text = api.request.query_params.get("since")
    now = api.console.clock()
    if not text:
        return now - timedelta(days=DEFAULT_FINDINGS_DAYS)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InputError(f"since: {text[:40]!r} is not an ISO 8601 time") from None


def list_findings(api: Api) -> dict[str, Any]:
    found = queries.findings_since(api.console, api.db, api.viewer, _since(api))
    return {
        "findings": [
            {
                "id": f.id,
                "at": run.started_at.isoformat(),
                "run_id": run.id,
                "sop": run.sop_id,
                "step": run.step_no,
                "agent": run.agent,
                "target": f.target,
                "opd": queries.finding_opd(api.console, f),
                "status": f.status,
                "code": f.code,
                "message_id": f.message_id,
                "message_en": f.message_en,
                "observed": f.observed,
                "limit": f.limit,
                "evidence_url": f.evidence_url,
            }
            for f, run in found
        ]
    }


def list_reports(api: Api) -> dict[str, Any]:
    if not sees_reports(api.viewer.role):
        raise NotFound("reports")
    return {"reports": [reports.as_json(r) for r in reports.archives(api.console)]}


def _report_week(api: Api, action: str) -> str:
    """The path's week: 404 outside the viewer's scope or without a stored report, then 403 when the
    role may not do `action` to it."""
    if not sees_reports(api.viewer.role):
        raise NotFound("reports")
    week = api.request.path_params["week"]
    reports.archive_of(api.console, week)
    if not api.viewer.can(action):
        raise Forbidden(action)
    return week


def approve_report(api: Api) -> dict[str, Any]:
    week = _report_week(api, "approve_report")
    revision = api.integer("revision")
    note = api.text("note", actions.MAX_NOTE)
    try:
        done = reports.approve(api.console, week, api.viewer.display_name, note, revision)
    except InputError as exc:
        raise Conflict(str(exc)) from None
    return {"week": week, "run_id": done.run_id, "summary": done.summary}


def send_report(api: Api) -> Any:
    """A stored revision sent again, as `sigap report send`: 502 when the mail server refuses."""
    week = _report_week(api, "send_report")
    revision = api.integer("revision")
    api.db.commit()  # no transaction is held while the mail server answers
    try:
        done = reports.send_again(api.console, week, revision)
    except InputError as exc:
        raise Conflict(str(exc)) from None
    except (OSError, smtplib.SMTPException) as exc:
        return error(502, f"not sent: {str(exc)[:300]}")
    return {"week": week, "revision": done.revision, "recipients": done.recipients}


# --- the console's other pages: DNS/IP, Sertifikat, SOP, Pemeliharaan, Pengguna, Ringkasan ---------
# Each reads through the very function its page uses (dnstls, sop, admin, home), with the page's
# scope: an OPD admin gets its OPDs' rows only, and 404 for what covers every OPD (the windows).


def _utc(value: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC (the ledger's times and the clock's alike)."""
    return value.astimezone(UTC).isoformat() if value else None


def _window_days(api: Api) -> int:
    """`days` as the DNS/IP and Sertifikat pages offer it (7, 30, 90; default 30); anything else is
    bad input here (the page quietly shows its default instead)."""
    text = api.request.query_params.get("days")
    if text is None:
        return dnstls.DEFAULT_DAYS
    if text.strip() not in {str(d) for d in dnstls.WINDOWS}:
        raise InputError(f"days: {text[:20]!r} is not one of {', '.join(map(str, dnstls.WINDOWS))}")
    return int(text)


def list_dns(api: Api) -> dict[str, Any]:
    days, now = _window_days(api), api.console.clock()
    found = dnstls.dns_rows(api.console, api.db, api.viewer, now, days)
    section = found["section"]
    return {
        "days": days,
        "since": _utc(now - timedelta(days=days)),
        "until": _utc(now),
        "runs": section.runs,
        "last_run_at": _utc(section.last_run_at),
        "open": found["open"],
        "drift": [
            {
                "target": r.target,
                "opd": r.opd,
                "code": r.code,
                "status": r.status,
                "message_id": r.message_id,
                "message_en": r.message_en,
                "first_seen": _utc(r.first_seen),
                "last_seen": _utc(r.last_seen),
                "fixed_at": _utc(r.fixed_at),
            }
            for r in found["rows"]
        ],
    }


def _cert_history(h: Any) -> dict[str, Any]:
    return {
        "first_seen": _utc(h.first_seen) if h else None,
        "last_seen": _utc(h.last_seen) if h else None,
        "fixed_at": _utc(h.fixed_at) if h else None,
        "problem": h.code if h else None,
    }


def list_certificates(api: Api) -> dict[str, Any]:
    days, now = _window_days(api), api.console.clock()
    found = dnstls.cert_rows(api.console, api.db, api.viewer, now, days)
    section = found["section"]
    return {
        "days": days,
        "since": _utc(now - timedelta(days=days)),
        "until": _utc(now),
        "checked_at": _utc(section.checked_at),
        # how many endpoints the check saw, of every OPD: not an OPD admin's to know
        "endpoints": section.endpoints if permissions.sees_everything(api.viewer.role) else None,
        "certificates": [
            {
                "target": r.target,
                "opd": r.opd,
                "code": r.code,
                "status": r.status,
                "days_left": r.days_left,
                "not_after": _utc(r.not_after),
                "message_id": r.message_id,
                "message_en": r.message_en,
                **_cert_history(h),
            }
            for r, h in found["rows"]
        ],
        "fixed": [{"target": target, **_cert_history(h)} for target, h in found["fixed"]],
    }


def _period(report: Any) -> dict[str, Any]:
    if report is None:
        return {"week": None, "from": None, "to": None}
    period = report.period
    return {"week": str(period), "from": period.first.isoformat(), "to": period.last.isoformat()}


def list_sop(api: Api) -> dict[str, Any]:
    figures = permissions.sees_everything(api.viewer.role)  # the week's figures count every OPD
    report, views = sop.sop_set(api.console, api.db, api.console.clock(), figures)
    return {
        **_period(report),
        "sops": [
            {
                "id": v.sop.id,
                "title": v.sop.title,
                "unit": v.sop.unit,
                "sop_number": v.sop.source.sop_number,
                "pelaksana": list(v.sop.pelaksana),
                "steps": [
                    {
                        "no": s.step.no,
                        "activity": s.step.activity,
                        "pelaksana": list(s.step.actors),
                        "time_standard": s.step.waktu,
                        "output": s.step.output,
                        "check": s.check,
                        "schedule": s.schedule,
                        "measured_by": s.measured_by,
                        "runs": None
                        if s.runs is None
                        else {
                            "runs": s.runs.runs,
                            "done": s.runs.done,
                            "skipped": s.runs.skipped,
                            "errors": s.runs.errors,
                            "late": s.runs.late,
                        },
                        "sla": None
                        if s.sla is None
                        else {
                            "on_time": s.sla.on_time,
                            "breached": s.sla.breached,
                            "pending": s.sla.pending,
                            "compliance_pct": s.sla.compliance_pct,
                        },
                    }
                    for s in v.steps
                ],
            }
            for v in views
        ],
    }


def _maintenance_readable(api: Api) -> None:
    if not permissions.sees_everything(api.viewer.role):
        raise NotFound("maintenance")  # windows name targets of every OPD (as the page)


def _window_json(w: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": w.id,
        "kind": "weekly" if w.days else "once",
        "target": w.target,
        "sop": w.sop_id,
        "starts_at": _utc(w.starts_at),
        "ends_at": _utc(w.ends_at),
        "days": list(w.days) if w.days else None,
        "start_time": w.start_time,
        "duration_minutes": w.duration_minutes,
        "reason": w.reason,
        "created_by": w.created_by,
        "created_at": _utc(w.created_at),
        "removed_at": _utc(w.removed_at),
    }


def list_maintenance(api: Api) -> dict[str, Any]:
    _maintenance_readable(api)
    return {"windows": [_window_json(w) for w in admin.windows(api.db)]}


_WINDOW_FIELDS = ("target", "sop", "start", "end", "every", "at", "reason")


def add_maintenance(api: Api) -> Response:
    """A window by the page's own `admin.add_window` (the CLI's checks, the same row), its fields
    given as the page's form would give them."""
    _maintenance_readable(api)
    if not api.viewer.can("maintenance"):
        raise Forbidden("maintenance")
    fields = {key: api.text(key, MAX_BODY) for key in _WINDOW_FIELDS}
    minutes = api.body.get("minutes")
    if minutes is not None:
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise InputError("minutes: must be an integer")
        fields["minutes"] = str(minutes)
    kind = api.text("kind", 10) or ("weekly" if fields["every"] else "once")
    if kind not in ("once", "weekly"):
        raise InputError(f"kind: {kind!r} is not once or weekly")
    weekly = ("every", "at", "minutes")
    if any(fields.get(k) is not None for k in (("start", "end") if kind == "weekly" else weekly)):
        raise InputError("kind: give either start and end (once) or every, at and minutes (weekly)")
    form = FormData([(k, v) for k, v in {**fields, "kind": kind}.items() if v is not None])
    ctx = Ctx(api.console, api.request, api.db, "en", api.viewer, form)
    try:
        window = admin.add_window(ctx, api.console.clock())
    except OverflowError:  # a start or end at the calendar's edge, beyond UTC
        raise InputError("start: not a time Sigap can keep") from None
    return JSONResponse(_window_json(window), status_code=201)


def _window_id(api: Api) -> int:
    raw = api.request.path_params["window_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound(raw)
    return int(raw)


def end_maintenance(api: Api) -> dict[str, Any]:
    """End a window as the page's button and `sigap maintenance remove` do: marked removed, kept."""
    _maintenance_readable(api)
    if not api.viewer.can("maintenance"):
        raise Forbidden("maintenance")
    window_id = _window_id(api)
    admin.end_window(api.db, window_id, api.console.clock())
    return _window_json(api.db.get(MaintenanceWindow, window_id))


def list_users(api: Api) -> dict[str, Any]:
    # Reading the users is the admin's (its read token too); nothing secret leaves: no password
    # hash, no TOTP secret, no token.
    if not permissions.allowed(api.viewer.role, "users"):
        raise Forbidden("users")
    return {"users": [accounts.user_summary(u) for u in admin.users(api.db)]}


def get_me(api: Api) -> dict[str, Any]:
    v, token = api.viewer, api.token
    return {
        "name": v.name,
        "display_name": v.display_name,
        "role": v.role,
        "opds": list(v.opds),
        "acts_as": list(v.acts_as),
        "token": {
            "id": token.id,
            "scope": token.scope,
            "label": token.label,
            "created_at": _utc(token.created_at),
        },
        "may": [a.replace("_", "-") for a in permissions.ACTIONS if v.can(a)],
    }


_TILE_KEYS = ("sites", "uptime", "outages", "cases", "sla", "steps")


def get_summary(api: Api) -> dict[str, Any]:
    """Ringkasan: the page's own pieces (home.week_tiles, case_steps, scheduled_steps), with its
    scope: an OPD admin gets no tiles (the report covers every OPD) and no scheduled steps."""
    lang = api.request.query_params.get("lang") or api.console.default_lang
    if lang not in LANGS:
        raise InputError(f"lang: {lang[:10]!r} is not one of {', '.join(LANGS)}")
    now = api.console.clock()
    out: dict[str, Any] = {**_period(None), "lang": lang, "partial": None, "generated_at": None, "tiles": []}
    if permissions.sees_reports(api.viewer.role):
        report, tiles = home.week_tiles(api.console, api.db, now, lang)
        words = report_texts.get(lang)
        keys = {words[f"s_{k}"]: k for k in _TILE_KEYS if f"s_{k}" in words}
        out.update(
            _period(report),
            partial=report.end > report.generated_at,
            generated_at=_utc(report.generated_at),
            tiles=[{"key": keys.get(t["label"]), "label": t["label"], "value": t["value"]} for t in tiles],
        )
    rows, overdue, due = home.case_steps(api.console, api.db, api.viewer, now)
    out["open_cases"] = len(rows)
    out["overdue"] = [r.as_json() for r in overdue]
    out["due"] = [r.as_json() for r in due]
    steps = (
        home.scheduled_steps(api.console, api.db, now) if permissions.sees_everything(api.viewer.role) else []
    )
    out["steps"] = [
        {
            "sop": s.sop,
            "step": s.step,
            "activity": s.activity,
            "check": s.check,
            "schedule": s.schedule,
            "time_standard": s.waktu,
            "next_at": _utc(s.next_at),
            "missed": s.overdue,
            "shared_by": [f"{sop_id}:{no}" for sop_id, no in s.shared_by],
            "last_run": None
            if s.last is None
            else {
                "id": s.last.id,
                "status": s.last.status,
                "started_at": _utc(s.last.started_at),
                "finished_at": _utc(s.last.finished_at),
                "within_time_standard": s.last.within_time_standard,
            },
        }
        for s in steps
    ]
    return out


def openapi_json(request: Request) -> Response:
    return JSONResponse(document())


ROUTES = [
    Route("/openapi.json", openapi_json, methods=["GET"]),
    Route("/cases", endpoint(list_cases), methods=["GET"]),
    Route("/cases/{case_id}", endpoint(get_case), methods=["GET"]),
    *[
        Route(f"/cases/{{case_id}}/{name}", endpoint(case_move(action), action), methods=["POST"])
        for name, action in (
            ("ack", "ack"),
            ("note", "note"),
            ("hold", "hold"),
            ("resume", "resume"),
            ("step-done", "step_done"),
            ("resolve", "resolve"),
            ("reopen", "reopen"),
            ("close", "close"),
        )
    ],
    Route("/websites", endpoint(list_websites), methods=["GET"]),
    Route("/links", endpoint(list_links), methods=["GET"]),
    Route("/findings", endpoint(list_findings), methods=["GET"]),
    Route("/reports", endpoint(list_reports), methods=["GET"]),
    Route("/reports/{week}/approve", endpoint(approve_report, "approve_report"), methods=["POST"]),
    Route("/reports/{week}/send", endpoint(send_report, "send_report", slow=True), methods=["POST"]),
    Route("/dns", endpoint(list_dns), methods=["GET"]),
    Route("/certificates", endpoint(list_certificates), methods=["GET"]),
    Route("/sop", endpoint(list_sop), methods=["GET"]),
    Route("/maintenance", endpoint(list_maintenance), methods=["GET"]),
    Route("/maintenance", endpoint(add_maintenance, "maintenance"), methods=["POST"]),
    Route("/maintenance/{window_id}/end", endpoint(end_maintenance, "maintenance"), methods=["POST"]),
    Route("/users", endpoint(list_users), methods=["GET"]),
    Route("/me", endpoint(get_me), methods=["GET"]),
    Route("/summary", endpoint(get_summary), methods=["GET"]),
]
