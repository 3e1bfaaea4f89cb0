"""Tautan: the OPD links' week (availability per day, bandwidth against the contract, outages,
under-delivery, the provider's open tickets)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .. import links
from ..web import Ctx, page


def link_list(ctx: Ctx) -> Response:
    now = ctx.console.clock()
    week = links.week_param(ctx.console, ctx.request.query_params.get("week"), now)
    return ctx.render("links.html", **links.link_page(ctx.console, ctx.db, ctx.viewer, now, week))


ROUTES = [Route("/links", page(link_list), methods=["GET"])]
