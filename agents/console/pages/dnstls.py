"""DNS/IP and Sertifikat pages."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from .. import dnstls
from ..web import Ctx, page


def dns_page(ctx: Ctx) -> Response:
    days = dnstls.window(ctx.request.query_params.get("days"))
    found = dnstls.dns_rows(ctx.console, ctx.db, ctx.viewer, ctx.console.clock(), days)
    return ctx.render("dns.html", days=days, windows=dnstls.WINDOWS, **found)


def cert_page(ctx: Ctx) -> Response:
    days = dnstls.window(ctx.request.query_params.get("days"))
    found = dnstls.cert_rows(ctx.console, ctx.db, ctx.viewer, ctx.console.clock(), days)
    return ctx.render("certs.html", days=days, windows=dnstls.WINDOWS, **found)


ROUTES = [
    Route("/dns", page(dns_page), methods=["GET"]),
    Route("/certificates", page(cert_page), methods=["GET"]),
]
