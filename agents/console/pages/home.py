"""Ringkasan: the home page."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .. import home, permissions
from ..web import Ctx, page
from .cases import left_text

MAX_CASES = 10


def summary(ctx: Ctx) -> Response:
    now = ctx.console.clock()
    tiles, report = [], None
    if permissions.sees_reports(ctx.viewer.role):
        report, tiles = home.week_tiles(ctx.console, ctx.db, now, ctx.lang)
    rows, overdue, due = home.case_steps(ctx.console, ctx.db, ctx.viewer, now)
    steps = (
        home.scheduled_steps(ctx.console, ctx.db, now) if permissions.sees_everything(ctx.viewer.role) else []
    )
    return ctx.render(
        "home.html",
        tiles=tiles,
        report=report,
        cases=rows[:MAX_CASES],
        open_count=len(rows),
        overdue=overdue,
        due=due,
        steps=steps,
        left=lambda r: left_text(ctx, r),
    )


ROUTES = [Route("/", page(summary), methods=["GET"])]
