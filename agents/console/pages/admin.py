"""Pemeliharaan (maintenance windows: everyone but an OPD admin reads them, the admin adds and ends
them) and Pengguna (users: the admin only)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .. import admin, permissions
from ..web import Ctx, NotFound, page


def _readable(ctx: Ctx) -> None:
    if not permissions.sees_everything(ctx.viewer.role):
        raise NotFound("maintenance")  # windows name targets of every OPD


def maintenance_page(ctx: Ctx) -> Response:
    _readable(ctx)
    return ctx.render(
        "maintenance.html",
        windows=admin.windows(ctx.db),
        done=ctx.request.query_params.get("done"),
        **admin.known(ctx),
    )


def maintenance_add(ctx: Ctx) -> Response:
    _readable(ctx)
    ctx.viewer.require("maintenance")
    window = admin.add_window(ctx, ctx.console.clock())
    return RedirectResponse(f"/maintenance?done=added-{window.id}", status_code=303)


def maintenance_end(ctx: Ctx) -> Response:
    _readable(ctx)
    ctx.viewer.require("maintenance")
    try:
        window_id = int(ctx.request.path_params["window_id"])
    except ValueError:
        raise NotFound("window") from None
    admin.end_window(ctx.db, window_id, ctx.console.clock())
    return RedirectResponse(f"/maintenance?done=ended-{window_id}", status_code=303)


def user_page(ctx: Ctx) -> Response:
    ctx.viewer.require("users")
    return ctx.render(
        "users.html", users=admin.users(ctx.db), done=ctx.request.query_params.get("done"), **admin.known(ctx)
    )


def user_add(ctx: Ctx) -> Response:
    ctx.viewer.require("users")
    user = admin.add_user(ctx, ctx.console.clock())
    return RedirectResponse(f"/users?done=added-{user.name}", status_code=303)


def user_switch(ctx: Ctx) -> Response:
    ctx.viewer.require("users")
    name, move = ctx.request.path_params["name"], ctx.request.path_params["move"]
    if move == "reset-totp":  # a lost phone: the person logs in with the password and enrols again
        admin.reset_totp(ctx, name, ctx.console.clock())
        return RedirectResponse(f"/users?done=totpreset-{name}", status_code=303)
    if move not in ("disable", "enable"):
        raise NotFound(move)
    admin.set_disabled(ctx, name, move == "disable", ctx.console.clock())
    return RedirectResponse(f"/users?done={move}d-{name}", status_code=303)


ROUTES = [
    Route("/maintenance", page(maintenance_page), methods=["GET"]),
    Route("/maintenance", page(maintenance_add), methods=["POST"]),
    Route("/maintenance/{window_id}/end", page(maintenance_end), methods=["POST"]),
    Route("/users", page(user_page), methods=["GET"]),
    Route("/users", page(user_add), methods=["POST"]),
    Route("/users/{name}/{move}", page(user_switch), methods=["POST"]),
]
