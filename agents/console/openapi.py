"""The OpenAPI 3.0 document of /api/v1, written by hand beside the handlers (agents/console/api.py).

tests/console/test_api_schema.py runs schemathesis against the real application with this document:
every response must be documented and match its schema, and none may be a server error.
"""

from __future__ import annotations

from typing import Any


def _s(kind: str, nullable: bool = False, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, **extra}
    if nullable:
        out["nullable"] = True
    return out


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": required if required is not None else list(props),
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ISO = {"format": "date-time"}
QUANTITY = {"type": "object", "nullable": True, "additionalProperties": True}

CASE = _obj(
    {
        "id": _s("integer"),
        "title": _s("string"),
        "sop": _s("string"),
        "step": _s("integer"),
        "step_activity": _s("string"),
        "assignee_role": _s("string", True),
        "state": _s(
            "string", enum=["open", "acknowledged", "escalated", "waiting_provider", "resolved", "closed"]
        ),
        "opd": _s("string", True),
        "target": _s("string"),
        "source": _s("string"),
        "opened_at": _s("string", **ISO),
        "updated_at": _s("string", **ISO),
        "due_at": _s("string", True, **ISO),
        "seconds_left": _s("integer", True),
        "breached": _s("boolean"),
        "provider_wait_s": _s("integer"),
    }
)
STEP = _obj(
    {
        "no": _s("integer"),
        "activity": _s("string"),
        "role": _s("string"),
        "time_standard": _s("string", True),
        "due_at": _s("string", True, **ISO),
        "done_at": _s("string", True, **ISO),
        "state": _s("string", enum=["done", "current", "planned", "passed"]),
        "late": _s("boolean"),
    }
)
EVENT = _obj(
    {
        "seq": _s("integer"),
        "at": _s("string", **ISO),
        "kind": _s("string"),
        "actor": _s("string", True),
        "from": _s("string", True),
        "to": _s("string", True),
        "step": _s("integer", True),
        "note": _s("string", True),
    }
)
NOTIFICATION = _obj(
    {
        "id": _s("integer"),
        "kind": _s("string"),
        "role": _s("string", True),
        "status": _s("string"),
        "attempts": _s("integer"),
        "sent_via": _s("string", True),
        "sent_at": _s("string", True, **ISO),
        "last_error": _s("string", True),
    }
)
CASE_DETAIL = {
    "allOf": [
        _ref("Case"),
        _obj(
            {
                "acknowledged_by": _s("string", True),
                "resolved_at": _s("string", True, **ISO),
                "actions": _s("array", items=_s("string")),
                "steps": _s("array", items=_ref("Step")),
                "events": _s("array", items=_ref("Event")),
                "notifications": _s("array", items=_ref("Notification")),
            }
        ),
    ]
}
WEBSITE = _obj(
    {
        "id": _s("string"),
        "opd": _s("string"),
        "group": _s("string", True),
        "url": _s("string"),
        "bucket": _s("string", enum=["active", "less", "passive", "unmeasured"]),
        "status": _s("string", True),
        "age_days": _s("integer", True),
        "latest_published": _s("string", True, **ISO),
        "latest_url": _s("string", True),
        "latest_title": _s("string", True),
        "warn_after_days": _s("integer"),
        "crit_after_days": _s("integer"),
        "open_cases": _s("array", items=_s("integer")),
        "injected": _s("string", True, enum=["content_injected", "site_defaced", None]),
        "agenda_found": _s("boolean", True),
        "agenda_updated": _s("string", True, **ISO),
        "agenda_age_days": _s("integer", True),
        "completeness": _s("integer", True),
        "missing_sections": _s("array", items=_s("string")),
        "history": _s(
            "array",
            items=_obj(
                {"week": _s("string"), "status": _s("string", True), "age_days": _s("integer", True)}
            ),
        ),
    }
)
LINK = _obj(
    {
        "id": _s("string"),
        "opd": _s("string"),
        "host": _s("string", True),
        "method": _s("string"),
        "provider": _s("string", True),
        "parent": _s("string", True),
        "contracted_down_mbps": _s("number"),
        "contracted_up_mbps": _s("number"),
        "open_cases": _s("array", items=_s("integer")),
    }
)
FINDING = _obj(
    {
        "id": _s("integer"),
        "at": _s("string", **ISO),
        "run_id": _s("integer"),
        "sop": _s("string"),
        "step": _s("integer"),
        "agent": _s("string", True),
        "target": _s("string"),
        "opd": _s("string", True),
        "status": _s("string"),
        "code": _s("string"),
        "message_id": _s("string"),
        "message_en": _s("string", True),
        "observed": QUANTITY,
        "limit": QUANTITY,
        "evidence_url": _s("string", True),
    }
)
REVISION = _obj(
    {
        "revision": _s("integer"),
        "generated_at": _s("string", **ISO),
        "language": _s("string"),
        "files": {"type": "object", "additionalProperties": _s("string")},
        "summary": _s("array", items={"type": "object", "additionalProperties": True}),
        "sent": _s("integer"),
    }
)
SEND = {
    "type": "object",
    "properties": {
        "at": _s("string", **ISO),
        "ok": _s("boolean"),
        "revision": _s("integer"),
        "files": _s("array", items=_s("string")),
        "to": _s("array", items=_s("string")),
        "error": _s("string", True),
    },
    "required": ["at", "ok", "revision"],
}
APPROVAL = {
    "type": "object",
    "nullable": True,
    "properties": {
        "by": _s("string"),
        "at": _s("string", **ISO),
        "revision": _s("integer"),
        "note": _s("string", True),
    },
    "required": ["by", "at", "revision"],
}
REPORT = _obj(
    {
        "week": _s("string"),
        "latest": _s("integer", True),
        "revisions": _s("array", items=_ref("Revision")),
        "sends": _s("array", items=_ref("Send")),
        "approval": _ref("Approval"),
    }
)
ERROR = _obj({"error": _s("string")})
DRIFT = _obj(
    {
        "target": _s("string"),
        "opd": _s("string", True),
        "code": _s("string"),
        "status": _s("string"),
        "message_id": _s("string"),
        "message_en": _s("string", True),
        "first_seen": _s("string", **ISO),
        "last_seen": _s("string", **ISO),
        "fixed_at": _s("string", True, **ISO),
    }
)
_CERT_HISTORY = {
    "first_seen": _s("string", True, **ISO),
    "last_seen": _s("string", True, **ISO),
    "fixed_at": _s("string", True, **ISO),
    "problem": _s("string", True),
}
CERTIFICATE = _obj(
    {
        "target": _s("string"),
        "opd": _s("string", True),
        "code": _s("string"),
        "status": _s("string"),
        "days_left": _s("integer", True),
        "not_after": _s("string", True, **ISO),
        "message_id": _s("string"),
        "message_en": _s("string", True),
        **_CERT_HISTORY,
    }
)
CERT_FIXED = _obj({"target": _s("string"), **_CERT_HISTORY})
_PERIOD = {
    "week": _s("string", True, pattern=r"^\d{4}-W\d{2}$"),
    "from": _s("string", True, format="date"),
    "to": _s("string", True, format="date"),
}
SOP_STEP = _obj(
    {
        "no": _s("integer"),
        "activity": _s("string"),
        "pelaksana": _s("array", items=_s("string")),
        "time_standard": _s("string", True),
        "output": _s("string", True),
        "check": _s("string", True),
        "schedule": _s("string", True),
        "measured_by": _s("string", True),
        "runs": {
            **_obj({k: _s("integer") for k in ("runs", "done", "skipped", "errors", "late")}),
            "nullable": True,
        },
        "sla": {
            **_obj(
                {
                    "on_time": _s("integer"),
                    "breached": _s("integer"),
                    "pending": _s("integer"),
                    "compliance_pct": _s("number", True),
                }
            ),
            "nullable": True,
        },
    }
)
SOP = _obj(
    {
        "id": _s("string"),
        "title": _s("string"),
        "unit": _s("string"),
        "sop_number": _s("string", True),
        "pelaksana": _s("array", items=_s("string")),
        "steps": _s("array", items=_ref("SopStep")),
    }
)
WINDOW = _obj(
    {
        "id": _s("integer"),
        "kind": _s("string", enum=["once", "weekly"]),
        "target": _s("string"),
        "sop": _s("string", True),
        "starts_at": _s("string", True, **ISO),
        "ends_at": _s("string", True, **ISO),
        "days": _s("array", True, items=_s("string")),
        "start_time": _s("string", True),
        "duration_minutes": _s("integer", True),
        "reason": _s("string", True),
        "created_by": _s("string", True),
        "created_at": _s("string", **ISO),
        "removed_at": _s("string", True, **ISO),
    }
)
USER = _obj(
    {
        "name": _s("string"),
        "display_name": _s("string"),
        "role": _s("string", enum=["admin", "kepala_bidang", "teknisi", "admin_opd", "viewer"]),
        "opds": _s("array", items=_s("string")),
        "acts_as": _s("array", items=_s("string")),
        "email": _s("string", True),
        "phone": _s("string", True),
        "telegram_id": _s("string", True),
        "disabled": _s("boolean"),
        "totp": _s("boolean"),
        "sso": _s("boolean"),
        "created_at": _s("string", **ISO),
    }
)
ME = _obj(
    {
        "name": _s("string"),
        "display_name": _s("string"),
        "role": USER["properties"]["role"],
        "opds": _s("array", items=_s("string")),
        "acts_as": _s("array", items=_s("string")),
        "token": _obj(
            {
                "id": _s("integer"),
                "scope": _s("string", enum=["read", "write"]),
                "label": _s("string", True),
                "created_at": _s("string", **ISO),
            }
        ),
        "may": _s("array", items=_s("string")),
    }
)
TILE = _obj(
    {
        "key": _s("string", True, enum=["sites", "uptime", "outages", "cases", "sla", "steps", None]),
        "label": _s("string"),
        "value": _s("string"),
    }
)
SCHEDULED_STEP = _obj(
    {
        "sop": _s("string"),
        "step": _s("integer"),
        "activity": _s("string"),
        "check": _s("string"),
        "schedule": _s("string"),
        "time_standard": _s("string", True),
        "next_at": _s("string", True, **ISO),
        "missed": _s("boolean"),
        "shared_by": _s("array", items=_s("string")),
        "last_run": {
            **_obj(
                {
                    "id": _s("integer"),
                    "status": _s("string"),
                    "started_at": _s("string", **ISO),
                    "finished_at": _s("string", True, **ISO),
                    "within_time_standard": _s("boolean", True),
                }
            ),
            "nullable": True,
        },
    }
)
SUMMARY = _obj(
    {
        **_PERIOD,
        "lang": _s("string", enum=["id", "en"]),
        "partial": _s("boolean", True),
        "generated_at": _s("string", True, **ISO),
        "tiles": _s("array", items=_ref("Tile")),
        "open_cases": _s("integer"),
        "overdue": _s("array", items=_ref("Case")),
        "due": _s("array", items=_ref("Case")),
        "steps": _s("array", items=_ref("ScheduledStep")),
    }
)

_ERRORS = {
    "400": "bad input",
    "401": "no valid bearer token",
    "403": "the token's role or scope may not do this",
    "404": "not there, or outside the token's OPDs",
    "409": "the move does not apply to the case (or week) now",
    "502": "the mail server refused the report",
}
_DAYS = {
    "name": "days",
    "in": "query",
    "description": "the window in days (default 30)",
    "schema": {"type": "integer", "enum": [7, 30, 90]},
}
WINDOW_ID = {
    "name": "window_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "example": 1,
}
_WINDOW_BODY = {
    "target": {"type": "string", "maxLength": 512, "description": "target id or glob (opd-*); default *"},
    "sop": {"type": "string", "maxLength": 64, "description": "only this SOP's cases"},
    "kind": {
        "type": "string",
        "enum": ["once", "weekly"],
        "description": "default: weekly if every is given",
    },
    "start": {"type": "string", "maxLength": 40, "description": "once: YYYY-MM-DD HH:MM, office time"},
    "end": {"type": "string", "maxLength": 40, "description": "once: after start"},
    "every": {"type": "string", "maxLength": 40, "description": "weekly: days, sun or mon,wed"},
    "at": {"type": "string", "maxLength": 5, "description": "weekly: HH:MM, office time"},
    "minutes": {"type": "integer", "minimum": 1, "maximum": 999999, "description": "weekly: length"},
    "reason": {"type": "string", "maxLength": 500},
}


def _responses(
    ok: str, schema: dict[str, Any], codes: tuple[str, ...], ok_code: str = "200"
) -> dict[str, Any]:
    out = {ok_code: {"description": ok, "content": {"application/json": {"schema": schema}}}}
    for code in codes:
        out[code] = {"description": _ERRORS[code], "content": {"application/json": {"schema": _ref("Error")}}}
    return out


_READ = ("400", "401", "404")
_WRITE = ("400", "401", "403", "404", "409")
CASE_ID = {
    "name": "case_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
    "example": 1,
}


def _body(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}


_NOTE = {"type": "string", "maxLength": 2000}
WEEK_PARAM = {
    "name": "week",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"},
    "example": "2026-W48",
}
MOVES = {
    "ack": ("Acknowledge: the case is taken on; reminders stop.", _body({"note": _NOTE}, [])),
    "note": ("Add a note to the case's log.", _body({"note": {**_NOTE, "minLength": 1}}, ["note"])),
    "hold": (
        "The fault is with the provider: the office's clock stops until resume.",
        _body(
            {
                "provider": {"type": "string", "minLength": 1, "maxLength": 128},
                "ticket": {"type": "string", "maxLength": 64},
                "note": _NOTE,
            },
            ["provider"],
        ),
    ),
    "resume": ("The provider reported back: the clock runs again.", _body({"note": _NOTE}, [])),
    "step-done": (
        "The current SOP step is done; the next (or to_step) starts now; after the last, resolved.",
        _body(
            {"note": _NOTE, "output": {"type": "string", "maxLength": 500}, "to_step": {"type": "integer"}},
            [],
        ),
    ),
    "resolve": (
        "Resolve by hand, saying what was done.",
        _body({"note": {**_NOTE, "minLength": 1}}, ["note"]),
    ),
    "reopen": ("Open a resolved case again.", _body({"note": _NOTE}, [])),
    "close": ("Close the case for good.", _body({"note": _NOTE}, [])),
}


def _paths() -> dict[str, Any]:
    moved = _obj({"change": _s("string"), "case": _ref("Case")})
    paths: dict[str, Any] = {
        "/cases": {
            "get": {
                "summary": "Cases by SLA time left (open first), as far as the token's OPDs reach",
                "operationId": "listCases",
                "parameters": [
                    {"name": "state", "in": "query", "schema": {"type": "string", "enum": ["open", "all"]}},
                ],
                "responses": _responses(
                    "the cases",
                    _obj({"count": _s("integer"), "cases": _s("array", items=_ref("Case"))}),
                    _READ,
                ),
            }
        },
        "/cases/{case_id}": {
            "get": {
                "summary": "One case: its SOP steps, event log and notifications",
                "operationId": "getCase",
                "parameters": [CASE_ID],
                "responses": _responses("the case", _ref("CaseDetail"), _READ),
            }
        },
    }
    for name, (summary, body) in MOVES.items():
        paths[f"/cases/{{case_id}}/{name}"] = {
            "post": {
                "summary": summary,
                "operationId": "case_" + name.replace("-", "_"),
                "parameters": [CASE_ID],
                "requestBody": body,
                "responses": _responses("the move was recorded", moved, _WRITE),
            }
        }
    paths["/websites"] = {
        "get": {
            "summary": "The OPD sites from the newest crawl, with their publishing bucket",
            "operationId": "listWebsites",
            "responses": _responses(
                "the sites",
                _obj(
                    {"crawled_at": _s("string", True, **ISO), "websites": _s("array", items=_ref("Website"))}
                ),
                _READ,
            ),
        }
    }
    paths["/links"] = {
        "get": {
            "summary": "The OPD links and their open cases",
            "operationId": "listLinks",
            "responses": _responses("the links", _obj({"links": _s("array", items=_ref("Link"))}), _READ),
        }
    }
    paths["/findings"] = {
        "get": {
            "summary": "Findings of the step runs since a time (default: the last 7 days), newest first",
            "operationId": "listFindings",
            "parameters": [
                {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}
            ],
            "responses": _responses(
                "the findings", _obj({"findings": _s("array", items=_ref("Finding"))}), _READ
            ),
        }
    }
    paths["/reports"] = {
        "get": {
            "summary": "The stored weekly reports, their revisions, sends and approval",
            "operationId": "listReports",
            "responses": _responses(
                "the reports", _obj({"reports": _s("array", items=_ref("Report"))}), _READ
            ),
        }
    }
    paths["/reports/{week}/approve"] = {
        "post": {
            "summary": "The Kepala Bidang's approval (SOP step 'Disposisi'), once per week",
            "operationId": "approveReport",
            "parameters": [WEEK_PARAM],
            "requestBody": _body({"note": _NOTE, "revision": {"type": "integer", "minimum": 1}}, []),
            "responses": _responses(
                "approved",
                _obj({"week": _s("string"), "run_id": _s("integer"), "summary": _s("string")}),
                _WRITE,
            ),
        }
    }
    paths["/reports/{week}/send"] = {
        "post": {
            "summary": "Send a stored revision again (default: the latest), as `sigap report send`",
            "operationId": "sendReport",
            "parameters": [WEEK_PARAM],
            "requestBody": _body({"revision": {"type": "integer", "minimum": 1}}, []),
            "responses": _responses(
                "sent",
                _obj(
                    {
                        "week": _s("string"),
                        "revision": _s("integer"),
                        "recipients": _s("array", items=_s("string")),
                    }
                ),
                (*_WRITE, "502"),
            ),
        }
    }
    paths["/dns"] = {
        "get": {
            "summary": "DNS/IP drift over a window: each record or problem, first seen, last seen, fixed at",
            "operationId": "listDns",
            "parameters": [_DAYS],
            "responses": _responses(
                "the drift",
                _obj(
                    {
                        "days": _s("integer"),
                        "since": _s("string", **ISO),
                        "until": _s("string", **ISO),
                        "runs": _s("integer"),
                        "last_run_at": _s("string", True, **ISO),
                        "open": _s("integer"),
                        "drift": _s("array", items=_ref("Drift")),
                    }
                ),
                _READ,
            ),
        }
    }
    paths["/certificates"] = {
        "get": {
            "summary": "The window's newest certificate check: days left, first seen in trouble, fixed at",
            "operationId": "listCertificates",
            "parameters": [_DAYS],
            "responses": _responses(
                "the certificates",
                _obj(
                    {
                        "days": _s("integer"),
                        "since": _s("string", **ISO),
                        "until": _s("string", **ISO),
                        "checked_at": _s("string", True, **ISO),
                        "endpoints": _s("integer", True),
                        "certificates": _s("array", items=_ref("Certificate")),
                        "fixed": _s("array", items=_ref("CertificateFixed")),
                    }
                ),
                _READ,
            ),
        }
    }
    paths["/sop"] = {
        "get": {
            "summary": "The SOP set: steps, pelaksana, waktu, output, the check; this week's runs and SLA",
            "operationId": "listSop",
            "responses": _responses(
                "the SOP set", _obj({**_PERIOD, "sops": _s("array", items=_ref("Sop"))}), _READ
            ),
        }
    }
    paths["/maintenance"] = {
        "get": {
            "summary": "The windows in force (not an OPD admin's: they name every OPD's targets)",
            "operationId": "listMaintenance",
            "responses": _responses(
                "the windows", _obj({"windows": _s("array", items=_ref("MaintenanceWindow"))}), _READ
            ),
        },
        "post": {
            "summary": "Add a window (admin): one-off (start, end) or weekly (every, at, minutes)",
            "operationId": "addMaintenance",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object", "properties": _WINDOW_BODY}}},
            },
            "responses": _responses(
                "the window was added", _ref("MaintenanceWindow"), ("400", "401", "403", "404"), "201"
            ),
        },
    }
    paths["/maintenance/{window_id}/end"] = {
        "post": {
            "summary": "End a window (admin): marked removed and kept, as sigap maintenance remove",
            "operationId": "endMaintenance",
            "parameters": [WINDOW_ID],
            "responses": _responses(
                "the window was ended", _ref("MaintenanceWindow"), ("400", "401", "403", "404")
            ),
        }
    }
    paths["/users"] = {
        "get": {
            "summary": "The console's users (admin only); never a password hash, TOTP secret or token",
            "operationId": "listUsers",
            "responses": _responses(
                "the users", _obj({"users": _s("array", items=_ref("User"))}), ("400", "401", "403")
            ),
        }
    }
    paths["/me"] = {
        "get": {
            "summary": "The token's own user: role, OPDs, pelaksana, the token's scope, what it may do",
            "operationId": "getMe",
            "responses": _responses("the user", _ref("Me"), ("400", "401")),
        }
    }
    paths["/summary"] = {
        "get": {
            "summary": "Ringkasan: this week's tiles so far, SOP steps overdue and due, scheduled steps",
            "operationId": "getSummary",
            "parameters": [
                {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["id", "en"]}}
            ],
            "responses": _responses("the summary", _ref("Summary"), _READ),
        }
    }
    return paths


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Sigap API",
            "version": "1",
            "description": (
                "Cases, OPD websites, links, findings, weekly reports, DNS/IP drift, certificates, the "
                "SOP set, maintenance windows, users and the week's summary of a Sigap ledger."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Case": CASE,
                "CaseDetail": CASE_DETAIL,
                "Step": STEP,
                "Event": EVENT,
                "Notification": NOTIFICATION,
                "Website": WEBSITE,
                "Link": LINK,
                "Finding": FINDING,
                "Revision": REVISION,
                "Send": SEND,
                "Approval": APPROVAL,
                "Report": REPORT,
                "Drift": DRIFT,
                "Certificate": CERTIFICATE,
                "CertificateFixed": CERT_FIXED,
                "Sop": SOP,
                "SopStep": SOP_STEP,
                "MaintenanceWindow": WINDOW,
                "User": USER,
                "Me": ME,
                "Tile": TILE,
                "ScheduledStep": SCHEDULED_STEP,
                "Summary": SUMMARY,
                "Error": ERROR,
            },
        },
    }
