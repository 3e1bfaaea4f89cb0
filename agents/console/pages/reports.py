"""Laporan: the stored weekly reports, each revision's HTML, PDF and XLSX, the approval, and a revision
sent again.

The weekly report covers every OPD, so it is outside an OPD admin's scope: 404 for it.
"""

from __future__ import annotations

import smtplib

from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from sop_registry.errors import InputError

from .. import reports
from ..permissions import sees_reports
from ..web import Ctx, Forbidden, NotFound, page


def _scope(ctx: Ctx) -> None:
    if not sees_reports(ctx.viewer.role):
        raise NotFound("reports")


def report_list(ctx: Ctx) -> Response:
    _scope(ctx)
    records = reports.archives(ctx.console)
    params = ctx.request.query_params
    approved, sent = params.get("approved"), params.get("sent")
    flash_text = None
    if approved and reports.WEEK_PATTERN.fullmatch(approved):
        flash_text = ctx.t("approved_flash", week=approved)
    elif sent and reports.WEEK_PATTERN.fullmatch(sent):
        count = params.get("to", "")
        flash_text = ctx.t("sent_flash", week=sent, n=int(count) if count.isdigit() and len(count) < 5 else 0)
    return ctx.render("reports.html", records=records, flash=flash_text)


def report_file(ctx: Ctx) -> Response:
    _scope(ctx)
    params = ctx.request.path_params
    revision, fmt = params["revision"], params["fmt"]
    if not revision.isdigit() or len(revision) > 4:
        raise NotFound(revision)
    path = reports.report_file(ctx.console, params["week"], int(revision), fmt)
    if fmt == "html":
        return FileResponse(
            path,
            media_type=reports.MEDIA[fmt],
            headers={"Content-Security-Policy": reports.REPORT_CSP, "Cache-Control": "no-store"},
        )
    return FileResponse(
        path, media_type=reports.MEDIA[fmt], filename=path.name, headers={"Cache-Control": "no-store"}
    )


def _week(ctx: Ctx, action: str) -> tuple[str, int | None]:
    """The path's week and the form's revision: 404 for a week without a stored report, then 403 when
    the role may not do `action` to it."""
    _scope(ctx)
    week = ctx.request.path_params["week"]
    reports.archive_of(ctx.console, week)
    if not ctx.viewer.can(action):
        raise Forbidden(action)
    revision = ctx.field("revision", 4)
    if revision is not None and not revision.isdigit():
        raise InputError(f"revision: {revision!r} is not a number")
    return week, int(revision) if revision else None


def report_approve(ctx: Ctx) -> Response:
    week, revision = _week(ctx, "approve_report")
    reports.approve(ctx.console, week, ctx.viewer.display_name, ctx.field("note"), revision)
    return RedirectResponse(f"/reports?approved={week}", status_code=303)


def report_send(ctx: Ctx) -> Response:
    """POST: send a stored revision again (Kirim ulang), as `sigap report send`; in the slow lane, as
    it waits on the mail server."""
    week, revision = _week(ctx, "send_report")
    ctx.db.commit()  # no transaction is held while the mail server answers
    try:
        done = reports.send_again(ctx.console, week, revision)
    except (OSError, smtplib.SMTPException) as exc:
        return ctx.error(502, "send_failed", week=week, detail=str(exc)[:300])
    return RedirectResponse(f"/reports?sent={week}&to={len(done.recipients)}", status_code=303)


ROUTES = [
    Route("/reports", page(report_list), methods=["GET"]),
    Route("/reports/{week}/approve", page(report_approve), methods=["POST"]),
    Route("/reports/{week}/send", page(report_send, slow=True), methods=["POST"]),
    Route("/reports/{week}/r{revision}.{fmt}", page(report_file), methods=["GET"]),
]
