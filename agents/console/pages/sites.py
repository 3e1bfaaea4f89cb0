"""Website OPD: every site's publishing bucket from the newest crawl, and one site's findings."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .. import sites
from ..web import Ctx, page


def site_list(ctx: Ctx) -> Response:
    crawled_at, lines = sites.site_lines(ctx.console, ctx.db, ctx.viewer)
    counts = {b: sum(1 for line in lines if line.bucket == b) for b in sites.queries.BUCKETS}
    return ctx.render("sites.html", crawled_at=crawled_at, lines=lines, counts=counts)


def site_page(ctx: Ctx) -> Response:
    site_id = ctx.request.path_params["site_id"]
    detail = sites.site_detail(ctx.console, ctx.db, ctx.viewer, site_id, ctx.console.clock())
    return ctx.render("site.html", **detail)


ROUTES = [
    Route("/websites", page(site_list), methods=["GET"]),
    Route("/websites/{site_id}", page(site_page), methods=["GET"]),
]
