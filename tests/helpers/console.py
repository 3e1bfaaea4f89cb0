"""A small office for the console tests: two OPDs, their sites and links, a crawl, three cases, a
stored weekly report and one user of every role, written through the ledger's and agents' own
writers (the web agent's recap rows and findings from the real evaluation, the case engine, the
weekly report's `produce`, `accounts.add_user`).

OPD A is Dinas Kesehatan (site dinkes, active; site arsip, never crawled; link opd-a), OPD B is Dinas
Perhubungan (site dishub, passive, whose newest item's URL carries markup; site disdik, less active;
link opd-b). The clock stands at Monday 30 November 2026 14.05 WITA and moves when a test says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agents import weekly_report
from agents.config import Config, Website
from agents.console import accounts
from agents.console.app import build_console
from agents.kinds import web as web_kind
from checks.web import SiteSpec
from checks.web.crawl import Evidence
from checks.web.evaluate import evaluate as web_evaluate
from checks.web.model import Dated
from reports.period import Week
from sop_registry.ledger import cases as engine_cases
from sop_registry.ledger import connect, records, upgrade
from sop_registry.ledger.store import begin_step_run, finish_step_run
from sop_registry.loader import load_registry

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 30, 14, 5, tzinfo=WITA)
OPD_A = "Dinas Kesehatan"
OPD_B = "Dinas Perhubungan"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
SITES = {
    "dinkes": (OPD_A, "http://127.0.0.1:9/dinkes/", 3),
    "arsip": (OPD_A, "http://127.0.0.1:9/arsip/", None),  # configured, never crawled
    "dishub": (OPD_B, "http://127.0.0.1:9/dishub/", 45),
    "disdik": (OPD_B, "http://127.0.0.1:9/disdik/", 12),
}
PASSWORD = "kata-sandi-uji-{name}"
ROLE_USERS = {
    "admin": ("admin", "Admin Sigap", (), ()),
    "kabid": ("kepala_bidang", "Ir. Andi Basri", (), ("Kepala Bidang TIP", "Bidang Aptika")),
    "tek": ("teknisi", "Budi Teknisi", (), ("Teknisi Jaringan",)),
    "opda": ("admin_opd", "Admin Dinkes", (OPD_A,), ()),
    "opdb": ("admin_opd", "Admin Dishub", (OPD_B,), ()),
    "lihat": ("viewer", "Pemantau", (), ()),
}
WEEK = "2026-W48"


class MovingClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)


def config_data(tmp_path, db_url: str, **extra) -> dict:
    data = {
        "office": {
            "name": "Dinas Komunikasi dan Informatika Kabupaten Uji",
            "short_name": "Diskominfo Uji",
            "timezone": "Asia/Makassar",
            "kepala_bidang": "Ir. Andi Basri",
        },
        "database": {"url": db_url},
        "state_dir": str(tmp_path / "state"),
        "sops": ["polman-15", "kaltim-monitoring-website"],
        "targets": {
            "websites": [{"id": key, "opd": opd, "url": url} for key, (opd, url, _age) in SITES.items()],
            "links": [
                {
                    "id": "opd-a",
                    "opd": OPD_A,
                    "host": "127.0.0.1",
                    "contracted_down_mbps": 50,
                    "contracted_up_mbps": 20,
                    "provider": "Telkom",
                },
                {
                    "id": "opd-b",
                    "opd": OPD_B,
                    "host": "127.0.0.2",
                    "contracted_down_mbps": 20,
                    "contracted_up_mbps": 10,
                },
            ],
        },
        "console": {"secret_key": "uji-" + "k" * 40, "login_max_failures": 3, "address_max_failures": 8},
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


def _site_result(
    site: Website,
    age: int,
    at: datetime,
    item_url: str,
    title: str | None = None,
    agenda_age: int | None = None,
    missing: tuple[str, ...] = (),
):
    """The real evaluation of what a crawl saw: a berita `age` days old, an agenda item `agenda_age`
    days old (None: no agenda), and the SOP sections in `missing` not linked from the home page."""
    published = at - timedelta(days=age)
    dated = [Dated(published, "day", "html:label", item_url, "berita", title)]
    if agenda_age is not None:
        agenda_day = at - timedelta(days=agenda_age)
        dated.append(Dated(agenda_day, "day", "html:label", f"{site.url}agenda/1", "agenda"))
    names = ("berita", "profil", "agenda", "ppid") if missing else ("berita",)
    evidence = Evidence(
        dated=dated,
        sections={n: f"{site.url}{n}" for n in names if n not in missing},
        final_url=site.url,
    )
    spec = SiteSpec(url=site.url, timezone="Asia/Makassar", sections={n: [n] for n in names})
    return web_evaluate(spec, evidence, at)


def write_crawl(
    engine: Engine,
    config: Config,
    registry,
    at: datetime,
    ages: dict | None = None,
    agendas: dict | None = None,
    missing: dict | None = None,
) -> None:
    """One Monday crawl by the web agent's own writers (recap rows, findings); `ages` overrides SITES';
    `agendas` (site -> agenda age in days) and `missing` (site -> SOP sections it lacks) add to it."""
    pairs = []
    for site in config.targets.websites:
        age = (ages or {}).get(site.id, SITES[site.id][2])
        if age is None:
            continue
        item = f"{site.url}berita/{HOSTILE}" if site.id == "dishub" else f"{site.url}berita/terbaru"
        title = f"Judul berita {site.id}" + (f" {HOSTILE}" if site.id == "dishub" else "")
        agenda, lacks = (agendas or {}).get(site.id), tuple((missing or {}).get(site.id, ()))
        pairs.append((site, _site_result(site, age, at, item, title, agenda, lacks)))
    recap = web_kind.recap_rows(pairs, config, "id")
    findings = [f for site, result in pairs for f in web_kind.to_findings(site, result)]
    with Session(engine) as session, session.begin():
        sop = registry["kaltim-monitoring-website"]
        run = begin_step_run(session, sop, 2, started_at=at, agent="web_freshness", target_group="websites")
        finish_step_run(
            session,
            run,
            finished_at=at + timedelta(minutes=3),
            findings=findings,
            details=records.WebRunDetails(recap=recap).as_json(),
            summary="uji",
        )


def open_cases(engine: Engine, config: Config, registry, at: datetime) -> dict[str, int]:
    policy = config.case_policy()
    ids = {}
    with Session(engine) as session, session.begin():
        for link in ("opd-a", "opd-b"):
            change = engine_cases.open_or_update(
                session,
                registry["polman-15"],
                1,
                link,
                title=f"Tautan {link} putus",
                at=at,
                role="Teknisi Jaringan",
                policy=policy,
                source="link",
                data={"opd": OPD_A if link == "opd-a" else OPD_B},
            )
            ids[link] = change.case.id
        site = SITES["dishub"]
        change = engine_cases.open_or_update(
            session,
            registry["kaltim-monitoring-website"],
            2,
            site[1],
            title=f"{OPD_B}: berita terbaru 45 hari lalu {HOSTILE}",
            at=at,
            role="Admin Website OPD",
            policy=policy,
            source="web_freshness",
            data={"site_id": "dishub", "opd": OPD_B},
        )
        ids["dishub"] = change.case.id
    return ids


def store_report(config: Config, week: str, at: datetime) -> dict[str, bytes]:
    """A week's stored report as the archive keeps it (meta.json with one revision and its files),
    written with the archive's own functions. The files stand in for the renderings: the console
    serves what the archive holds, whatever made it (the renderers have tests of their own)."""
    from reports import archive

    directory = weekly_report.archive_dir(config, Week.parse(week))
    archive.make_dir(directory)
    contents = {
        "html": f"<!doctype html><title>Laporan {week}</title><h1>Laporan mingguan {week}</h1>"
        f"<p>{HOSTILE}</p>".encode(),
        "pdf": b"%PDF-1.4\n% laporan uji\n%%EOF\n",
        "xlsx": b"PK\x03\x04 laporan uji",
    }
    files = {fmt: archive.file_name(week, fmt) for fmt in contents}
    for fmt, name in files.items():
        archive.write_atomic(directory / name, contents[fmt])
    record = archive.load(directory, week)
    record.put(archive.Revision(1, at, "id", files, []))
    archive.save(record)
    return contents


def add_users(engine: Engine, now: datetime) -> dict[str, str]:
    passwords = {}
    with Session(engine) as session, session.begin():
        for name, (role, display, opds, acts_as) in ROLE_USERS.items():
            password = PASSWORD.format(name=name)
            accounts.add_user(
                session,
                accounts.NewUser(name, role, display, tuple(opds), tuple(acts_as)),
                password,
                now,
            )
            passwords[name] = password
    return passwords


@dataclass
class World:
    config: Config
    registry: object
    engine: Engine
    clock: MovingClock
    app: object
    passwords: dict[str, str]
    cases: dict[str, int] = field(default_factory=dict)
    week: str = WEEK

    def client(self, **kw):
        from starlette.testclient import TestClient

        return TestClient(self.app, base_url="http://testserver", follow_redirects=False, **kw)

    def login(self, name: str, password: str | None = None, client=None):
        client = client or self.client()
        page = client.get("/login")
        reply = client.post(
            "/login",
            data={"csrf": csrf_of(page.text), "name": name, "password": password or self.passwords[name]},
        )
        return client, reply

    def close(self) -> None:
        self.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def make_world(
    tmp_path, db_url: str, *, report: bool = True, report_settings: dict | None = None, **extra
) -> World:
    """The small office; `report`: store W48's report; `report_settings`: the config's `report:`."""
    if report_settings is not None:
        extra["report"] = report_settings
    config = Config.model_validate(config_data(tmp_path, db_url, **extra))
    registry = load_registry()
    config.check_against(registry)
    engine = connect(db_url)
    upgrade(engine)
    clock = MovingClock(NOW)
    write_crawl(engine, config, registry, NOW - timedelta(hours=7))
    ids = open_cases(engine, config, registry, NOW - timedelta(minutes=5))
    passwords = add_users(engine, NOW - timedelta(days=1))
    if report:
        store_report(config, WEEK, NOW - timedelta(hours=6))
    app = build_console(config, registry, engine, clock)
    return World(config, registry, engine, clock, app, passwords, ids)
