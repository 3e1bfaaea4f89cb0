"""Pemeliharaan and Pengguna: the admin adds and ends maintenance windows and adds, disables and
enables users by the CLI's rules (the same checks, the same rows); other roles read the windows (an
OPD admin does not: 404) and never the users."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers.console import csrf_of, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger.models import MaintenanceWindow, User


@pytest.fixture
def world(tmp_path):
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    w.admin = w.login("admin")[0]
    yield w
    w.close()


def _post(client, path: str, **data):
    token = csrf_of(client.get("/cases").text)
    return client.post(path, data={"csrf": token, **data})


def _windows(world) -> list[MaintenanceWindow]:
    with Session(world.engine) as s:
        return list(s.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.id)))


def test_the_admin_adds_and_ends_windows(world):
    reply = _post(world.admin, "/maintenance", target="opd-*", kind="once", start="2026-12-06 22:00",
                  end="2026-12-07 02:00", reason="Ganti router <b>inti</b>")  # fmt: skip
    assert reply.status_code == 303 and reply.headers["location"].startswith("/maintenance?done=added-")
    reply = _post(
        world.admin, "/maintenance", target="*", kind="weekly", every="sun", at="23:00", minutes="60"
    )
    assert reply.status_code == 303
    once, weekly = _windows(world)
    assert once.starts_at.replace(tzinfo=UTC) == datetime(2026, 12, 6, 14, 0, tzinfo=UTC)  # 22.00 WITA
    assert once.created_by == "Admin Sigap" and once.days is None
    assert weekly.days == ["sun"] and weekly.start_time == "23:00" and weekly.duration_minutes == 60
    page = world.admin.get("/maintenance").text
    assert "Ganti router &lt;b&gt;inti&lt;/b&gt;" in page and "setiap sun pukul 23:00, 60 menit" in page
    assert _post(world.admin, f"/maintenance/{once.id}/end").status_code == 303
    assert _windows(world)[0].removed_at is not None
    assert f'id="window-{once.id}"' not in world.admin.get("/maintenance").text
    assert _post(world.admin, f"/maintenance/{once.id}/end").status_code == 404


@pytest.mark.parametrize(
    "form",
    [
        {"kind": "once", "start": "2026-12-06 22:00"},
        {"kind": "once", "start": "2026-12-07 22:00", "end": "2026-12-06 22:00"},
        {"kind": "once", "start": "besok", "end": "lusa"},
        {"kind": "weekly", "every": "minggu", "at": "22:00", "minutes": "60"},
        {"kind": "weekly", "every": "sun", "at": "25:00", "minutes": "60"},
        {"kind": "weekly", "every": "sun", "at": "22:00", "minutes": "-5"},
        {"kind": "once", "sop": "polman-99", "start": "2026-12-06 22:00", "end": "2026-12-07 02:00"},
    ],
)
def test_bad_windows_are_refused_and_add_nothing(world, form):
    reply = _post(world.admin, "/maintenance", target="*", **form)
    assert reply.status_code == 409, reply.text[:300]
    assert _windows(world) == []


def test_who_may_touch_the_windows(world):
    _post(world.admin, "/maintenance", kind="weekly", every="sun", at="23:00", minutes="60")
    window = _windows(world)[0]
    tek, opda, lihat = (world.login(n)[0] for n in ("tek", "opda", "lihat"))
    assert tek.get("/maintenance").status_code == 200 and "Akhiri" not in tek.get("/maintenance").text
    assert opda.get("/maintenance").status_code == 404
    assert _post(tek, "/maintenance", kind="weekly", every="sun", at="1:00", minutes="5").status_code == 403
    assert _post(lihat, f"/maintenance/{window.id}/end").status_code == 403
    assert _post(opda, f"/maintenance/{window.id}/end").status_code == 404
    assert len(_windows(world)) == 1 and _windows(world)[0].removed_at is None


def test_the_admin_adds_a_user_who_can_log_in(world):
    form = {"name": "kesehatan2", "role": "admin_opd", "display_name": "Admin 2", "opd": "Dinas Kesehatan"}
    secret = "sandi-baru-panjang"
    reply = _post(world.admin, "/users", **form, password=secret, password2=secret)
    assert reply.status_code == 303, reply.text[:400]
    client, login = world.login("kesehatan2", "sandi-baru-panjang")
    assert login.status_code == 303
    page = client.get("/websites").text
    assert "dinkes" in page and "dishub" not in page
    assert client.get("/users").status_code == 403


@pytest.mark.parametrize(
    "form,says",
    [
        ({"name": "x1", "role": "admin_opd"}, "an admin_opd needs at least one"),
        ({"name": "x1", "role": "admin_opd", "opd": "Dinas Fiktif"}, "is not an OPD of the config"),
        ({"name": "x1", "role": "teknisi", "opd": "Dinas Kesehatan"}, "only an admin_opd is scoped"),
        ({"name": "x1", "role": "boss"}, "is not one of"),
        ({"name": "Bad Name", "role": "viewer"}, "is not a login name"),
        ({"name": "x1", "role": "viewer", "acts_as": "Tukang Sulap"}, "is not a pelaksana"),
        ({"name": "tek", "role": "viewer"}, "already exists"),
        ({"name": "x1", "role": "viewer", "password": "pendek"}, "at least 10"),
        ({"name": "x1", "role": "viewer", "password2": "lain-lagi-sandi"}, "differ"),
    ],
)
def test_users_by_the_clis_rules(world, form, says):
    data = {"password": "sandi-baru-panjang", "password2": "sandi-baru-panjang", **form}
    reply = _post(world.admin, "/users", **data)
    assert reply.status_code == 409 and says in reply.text, reply.text[:500]
    with Session(world.engine) as s:
        assert s.scalars(select(User).where(User.name == "x1")).first() is None


def test_disable_ends_the_sessions_and_enable_allows_again(world):
    tek = world.login("tek")[0]
    assert tek.get("/cases").status_code == 200
    assert _post(world.admin, "/users/tek/disable").status_code == 303
    assert tek.get("/cases").status_code == 303  # back to the login
    assert world.login("tek")[1].status_code != 303
    assert _post(world.admin, "/users/tek/enable").status_code == 303
    assert world.login("tek")[1].status_code == 303
    assert _post(world.admin, "/users/admin/disable").status_code == 409
    assert _post(world.admin, "/users/nobody/disable").status_code == 404
    assert _post(world.login("kabid")[0], "/users/tek/disable").status_code == 403
