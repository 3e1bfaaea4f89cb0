"""Kasus: the list by SLA time left, one case's SOP timeline, log and notifications, and its actions."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sop_registry.errors import InputError

from .. import actions, queries
from ..permissions import CASE_ACTIONS
from ..web import Ctx, Forbidden, NotFound, Pager, page


def span_text(ctx: Ctx, seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return ctx.t("span_days", d=days, h=hours)
    if hours:
        return ctx.t("span_hours", h=hours, m=mins)
    return ctx.t("span_minutes", m=mins)


def left_text(ctx: Ctx, row: queries.CaseRow) -> str:
    if row.paused:
        return ctx.t("paused")
    if row.left_s is None:
        return ctx.t("no_deadline") if row.state in ("open", "acknowledged", "escalated") else ""
    key = "left" if row.left_s > 0 else "overdue"
    return ctx.t(key, span=span_text(ctx, row.left_s))


def _filter(ctx: Ctx) -> queries.CaseFilter:
    params = ctx.request.query_params
    state = params.get("state", "open")
    return queries.CaseFilter(
        state=state if state in ("open", "all") else "open",
        mine=params.get("mine") == "1",
        opd=(params.get("opd") or None),
        sop=(params.get("sop") or None),
    )


PAGE_SIZE = 100  # cases per page: "Semua" of a province is 300 and more, refreshed every minute


def case_list(ctx: Ctx) -> Response:
    filt = _filter(ctx)
    every = queries.case_rows(ctx.console, ctx.db, ctx.viewer, filt, ctx.console.clock())
    params = ctx.request.query_params
    pager = Pager.of(params, len(every), PAGE_SIZE, lambda k: "/cases?" + filt.query(page=k))
    rows = pager.slice(every)
    config = ctx.console.config
    opds = sorted(
        {w.opd for w in config.targets.websites}
        | {link.opd for link in config.targets.links}
        | {e.opd for e in config.targets.tls_endpoints if e.opd}
    )
    opds = [o for o in opds if ctx.viewer.sees(o)]
    sops = [s.id for s in config.selected_sops(ctx.console.registry)]
    template = "case_rows.html" if ctx.request.headers.get("hx-request") == "true" else "cases.html"
    return ctx.render(
        template,
        rows=rows,
        total=len(every),
        pager=pager,
        filt=filt,
        opds=opds,
        sops=sops,
        left=lambda r: left_text(ctx, r),
    )


def _case_id(ctx: Ctx) -> int:
    raw = ctx.request.path_params["case_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound(raw)
    return int(raw)


def case_page(ctx: Ctx) -> Response:
    detail = queries.case_detail(ctx.console, ctx.db, ctx.viewer, _case_id(ctx), ctx.console.clock())
    flash = ctx.request.query_params.get("done")
    flash_text = ctx.t("done_flash", what=ctx.t(f"action_{flash}")) if flash in CASE_ACTIONS else None
    return ctx.render(
        "case.html",
        d=detail,
        left=left_text(ctx, detail.row),
        span=lambda s: span_text(ctx, s),
        flash=flash_text,
        sop=ctx.console.registry.sops.get(detail.case.sop_id),
    )


def case_action(ctx: Ctx) -> Response:
    action = ctx.request.path_params["action"].replace("-", "_")
    if action not in CASE_ACTIONS:
        raise NotFound(action)
    case = queries.visible_case(ctx.console, ctx.db, ctx.viewer, _case_id(ctx))  # 404 before 403
    if not ctx.viewer.can(action):
        raise Forbidden(action)
    to_step = ctx.field("to_step", 6)
    if to_step is not None and not to_step.isdigit():
        raise InputError(f"to_step: {to_step!r} is not a step number")
    move = actions.Move(
        action,
        note=ctx.field("note"),
        provider=ctx.field("provider", 128),
        ticket=ctx.field("ticket", 64),
        output=ctx.field("output", 500),
        to_step=int(to_step) if to_step else None,
    )
    actions.apply(ctx.console, ctx.db, case, move, ctx.viewer.display_name, ctx.console.clock())
    return RedirectResponse(f"/cases/{case.id}?done={action}", status_code=303)


ROUTES = [
    Route("/cases", page(case_list), methods=["GET"]),
    Route("/cases/{case_id}", page(case_page), methods=["GET"]),
    Route("/cases/{case_id}/{action}", page(case_action), methods=["POST"]),
]
