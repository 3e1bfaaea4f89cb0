"""Website OPD: every site's publishing bucket from the newest crawl, filters, one site's findings and
twelve-week history, and "Periksa sekarang" (one site crawled now, nothing recorded)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .. import checknow, sites
from ..web import Ctx, Pager, page


def site_list(ctx: Ctx) -> Response:
    crawled_at, lines = sites.site_lines(ctx.console, ctx.db, ctx.viewer)
    counts = {b: sum(1 for line in lines if line.bucket == b) for b in sites.queries.BUCKETS}
    filt = sites.site_filter(ctx.request.query_params)
    opds = sorted({line.site.opd for line in lines})
    groups = sorted({line.group for line in lines if line.group})
    kept = [line for line in lines if filt.keeps(line)]
    params = ctx.request.query_params
    pager = Pager.of(params, len(kept), sites.PAGE_SIZE, lambda k: "/websites?" + filt.query(page=k))
    shown = pager.slice(kept)
    sites.with_history(ctx.console, ctx.db, shown, ctx.console.clock())
    return ctx.render(
        "sites.html",
        crawled_at=crawled_at,
        lines=shown,
        kept=len(kept),
        total=len(lines),
        pager=pager,
        strip=sites.StripCells(ctx.t),
        counts=counts,
        filt=filt,
        opds=opds,
        groups=groups,
        ungrouped=any(line.group is None for line in lines),
        statuses=sites.STATUSES,
    )


def site_page(ctx: Ctx) -> Response:
    site_id = ctx.request.path_params["site_id"]
    detail = sites.site_detail(ctx.console, ctx.db, ctx.viewer, site_id, ctx.console.clock())
    return ctx.render("site.html", checked=None, **detail)


def site_check(ctx: Ctx) -> Response:
    """POST: crawl the site now and show its page with the result beside the newest crawl's."""
    site = sites.visible_site(ctx.console, ctx.viewer, ctx.request.path_params["site_id"])
    ctx.viewer.require("check_site")
    now = ctx.console.clock()
    detail = sites.site_detail(ctx.console, ctx.db, ctx.viewer, site.id, now)
    ctx.db.commit()  # no transaction (nor the session's touch) is held while the site is crawled
    result = checknow.check_site(ctx.console, site, now, ctx.lang)
    result["item_href"] = sites.safe_href(result.get("item_url"))
    return ctx.render("site.html", checked=result, **detail)


ROUTES = [
    Route("/websites", page(site_list), methods=["GET"]),
    Route("/websites/{site_id}", page(site_page), methods=["GET"]),
    Route("/websites/{site_id}/check", page(site_check, slow=True), methods=["POST"]),
]
