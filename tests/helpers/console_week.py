"""A console over the report tests' known week (2026-W47, tests/helpers/reportfill.py, used read-only):
link samples with an outage, an under-delivery finding, DNS drift found and fixed, a certificate
expiring in 12 days, cases; plus one link case held for Telkom with its ticket (written by the case
engine). The clock stands at Monday 23 November 2026 09.00 WITA, after the week closed.

Users: `admin`, `opdkes` (admin_opd of Dinas Kesehatan), `opddik` (admin_opd of Dinas Pendidikan).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from agents.config import Config
from agents.console import accounts
from agents.console.app import build_console
from helpers import reportfill
from helpers.console import MovingClock, csrf_of
from sop_registry.ledger import cases as engine_cases
from sop_registry.ledger import connect, upgrade
from sop_registry.loader import load_registry

TICKET = "TLK-2026-<b>77</b>"
USERS = {
    "admin": ("admin", ()),
    "opdkes": ("admin_opd", ("Dinas Kesehatan",)),
    "opddik": ("admin_opd", ("Dinas Pendidikan",)),
    "lihat": ("viewer", ()),
}


@dataclass
class WeekWorld:
    config: Config
    registry: object
    engine: object
    clock: MovingClock
    app: object
    held_case: int

    def client(self):
        from starlette.testclient import TestClient

        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)

    def login(self, name: str):
        client = self.client()
        page = client.get("/login")
        client.post("/login", data={"csrf": csrf_of(page.text), "name": name, "password": password(name)})
        return client


def password(name: str) -> str:
    return f"sandi-minggu-{name}"


def make_week_world(tmp_path, db_url: str, **extra) -> WeekWorld:
    data = reportfill.config_data(tmp_path, **extra)
    data["database"] = {"url": db_url}
    data["console"] = {"secret_key": "uji-" + "w" * 40}
    config = Config.model_validate(data)
    registry = load_registry()
    config.check_against(registry)
    engine = connect(db_url)
    upgrade(engine)
    reportfill.fill_full_week(engine, registry)
    with Session(engine) as s, s.begin():
        change = engine_cases.open_or_update(
            s,
            registry["polman-15"],
            1,
            "link-dinkes",
            title="Tautan link-dinkes putus",
            at=reportfill.wita(2026, 11, 22, 23, 45),
            role="Teknisi Jaringan",
            policy=config.case_policy(),
            source="link",
            data={"opd": "Dinas Kesehatan"},
        )
        engine_cases.engage_provider(
            s,
            change.case,
            at=reportfill.wita(2026, 11, 23, 0, 10),
            by="Budi",
            provider="Telkom",
            ticket=TICKET,
        )
        held = change.case.id
        for name, (role, opds) in USERS.items():
            accounts.add_user(
                s, accounts.NewUser(name, role, name.title(), opds, ()), password(name), reportfill.GENERATED
            )
    clock = MovingClock(reportfill.GENERATED)
    app = build_console(config, registry, engine, clock)
    return WeekWorld(config, registry, engine, clock, app, held)
