"""SOP: the office's SOP set, its steps, which a check performs, and this week's runs and SLA."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .. import permissions, sop
from ..web import Ctx, page


def sop_page(ctx: Ctx) -> Response:
    figures = permissions.sees_everything(ctx.viewer.role)
    report, views = sop.sop_set(ctx.console, ctx.db, ctx.console.clock(), figures)
    return ctx.render("sop.html", report=report, views=views, figures=figures)


ROUTES = [Route("/sop", page(sop_page), methods=["GET"])]
