"""The public status page: no login, off unless `console.public_status` is set (404 otherwise)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .. import status
from ..web import Ctx, NotFound, page


def status_page(ctx: Ctx) -> Response:
    settings = ctx.console.public_status
    if settings is None or not settings.enabled:
        raise NotFound("status")
    now = ctx.console.clock()
    lines = status.lines(ctx.console, ctx.db, settings, now, ctx.lang)
    windows = status.maintenance_now(ctx.db, now) if settings.show_maintenance else []
    response = ctx.render(
        "status.html",
        lines=lines,
        announcements=settings.announcements,
        windows=windows,
        now=now,
        days=status.DAYS,
    )
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


ROUTES = [Route("/status", page(status_page, public=True), methods=["GET"])]
