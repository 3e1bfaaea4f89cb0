"""/api/v1: the console's data and case actions for scripts and chat bots, with bearer tokens.

`Authorization: Bearer sgp_...` (from `sigap user token NAME [--scope write]`); no cookie is ever
accepted here, so no cross-site form can reach it and it needs no CSRF token. The permissions are
the console's (agents/console/permissions.py): a read token only reads, an OPD admin's token sees its
OPDs only (404 for anything else). Errors are `{"error": "..."}` with 400, 401, 403, 404 or 409.
The document is at /api/v1/openapi.json (agents/console/openapi.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sop_registry.errors import InputError

from . import accounts, actions, queries, reports, sites
from .openapi import document
from .permissions import sees_reports
from .web import Conflict, Console, Forbidden, NotFound, Viewer, _page_limiter

MAX_BODY = 64 * 1024
DEFAULT_FINDINGS_DAYS = 7


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Api:
    """One API request: the ledger session, the token's person, the JSON body."""

    def __init__(self, console: Console, request: Request, db: Session, viewer: Viewer, body: dict) -> None:
        self.console, self.request, self.db, self.viewer, self.body = console, request, db, viewer, body

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


def endpoint(handler: Callable[[Api], Any], action: str = "view") -> Callable:
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
            _handle, handler, action, request, body, limiter=_page_limiter()
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
            result = handler(Api(console, request, db, viewer, body))
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def get_case(api: Api) -> dict[str, Any]:
    d = queries.case_detail(api.console, api.db, api.viewer, _case_id(api), api.console.clock())
    return {
        **d.row.as_json(),
        "acknowledged_by": d.case.acknowledged_by,
        "resolved_at": _iso(d.case.resolved_at),
        "actions": [a.replace("_", "-") for a in d.actions],
        "steps": [
            {
                "no": s.no,
                "activity": s.activity,
                "role": s.role,
                "time_standard": s.waktu,
                "due_at": _iso(s.due_at),
                "done_at": _iso(s.done_at),
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
                "sent_at": _iso(n["sent_at"]),
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
    return {"crawled_at": _iso(crawled_at), "websites": [line.as_json() for line in lines]}


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


def approve_report(api: Api) -> dict[str, Any]:
    if not sees_reports(api.viewer.role):
        raise NotFound("reports")
    week = api.request.path_params["week"]
    reports.archive_of(api.console, week)
    if not api.viewer.can("approve_report"):
        raise Forbidden("approve_report")
    revision = api.integer("revision")
    note = api.text("note", actions.MAX_NOTE)
    try:
        done = reports.approve(api.console, week, api.viewer.display_name, note, revision)
    except InputError as exc:
        raise Conflict(str(exc)) from None
    return {"week": week, "run_id": done.run_id, "summary": done.summary}


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
]
