"""A ledger filled with one known week (2026-W47, 16-22 November 2026, WITA) for the report tests.

Every figure the tests expect is worked out by hand in the comments next to the rows that make it.
Step runs go through the ledger's own store functions; samples and cases are written as the agents
and the case engine write them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from agents.config import Config, Website
from agents.kinds import dns as dns_kind
from agents.kinds import tls as tls_kind
from agents.kinds import web as web_kind
from checks.dns.model import DnsResult
from checks.finding import Finding
from checks.tls.evaluate import evaluate as tls_evaluate
from checks.tls.model import CertInfo, Probe, TlsTarget, TlsThresholds
from checks.web import SiteSpec
from checks.web.crawl import Evidence
from checks.web.evaluate import evaluate as web_evaluate
from checks.web.model import Dated
from sop_registry.ledger import records
from sop_registry.ledger.models import Case, CaseDeadline, Sample
from sop_registry.ledger.store import FindingRecord, begin_step_run, finish_step_run, record_skipped

WITA = ZoneInfo("Asia/Makassar")
DINKES = "https://dinkes.kab.test/"
DISDIK = "https://disdik.kab.test/"
BAPPEDA = "https://bappeda.kab.test/"
# Generated on the Monday after the week, after that Monday's 07:00 crawl.
GENERATED = datetime(2026, 11, 23, 9, 0, tzinfo=WITA)


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


# The series the link and SNMP agents write for the Dinas Kesehatan link (the names from records).
UP = records.link_up("link-dinkes")
DOWN_BPS, UP_BPS = records.bw_down_bps("link-dinkes"), records.bw_up_bps("link-dinkes")

# Dinas Kesehatan's certificate, checked Thursday 19 Nov 06:00 WITA: 12 days and 6 hours left.
CERT_NOT_AFTER = datetime(2026, 12, 1, 12, 0, tzinfo=WITA)


def tls_probe(names: list[str], not_after: datetime) -> Probe:
    """What a verified handshake shows of a certificate (the probe the TLS check evaluates)."""
    cert = CertInfo(
        subject=f"CN={names[0]}",
        issuer="CN=Sigap Test CA",
        not_before=datetime(2026, 1, 1, tzinfo=WITA),
        not_after=not_after,
        names=names,
        serial="01",
        self_signed=False,
        chain_length=2,
    )
    return Probe(verified=True, cert=cert, tls_version="TLSv1.3")


def config_data(tmp_path, **extra) -> dict:
    data = {
        "office": {
            "name": "Dinas Komunikasi dan Informatika Kabupaten Uji",
            "short_name": "Diskominfo Uji",
            "timezone": "Asia/Makassar",
            "kepala_bidang": "Ir. Andi Basri",
        },
        "database": {"url": "sqlite:///unused.db"},
        "state_dir": str(tmp_path / "state"),
        "targets": {
            "websites": [
                {"id": "dinkes", "opd": "Dinas Kesehatan", "url": DINKES},
                {"id": "disdik", "opd": "Dinas Pendidikan", "url": DISDIK},
                {"id": "bappeda", "opd": "Bappeda", "url": BAPPEDA},  # never crawled: no data
            ],
            "links": [
                {
                    "id": "link-dinkes",
                    "opd": "Dinas Kesehatan",
                    "host": "127.0.0.1",
                    "contracted_down_mbps": 50,
                    "contracted_up_mbps": 20,
                    "provider": "Telkom",
                },
                {  # no samples at all: no data, not 0 %
                    "id": "link-disdik",
                    "opd": "Dinas Pendidikan",
                    "host": "127.0.0.2",
                    "contracted_down_mbps": 100,
                    "contracted_up_mbps": 100,
                },
            ],
        },
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


def make_config(tmp_path, **extra) -> Config:
    return Config.model_validate(config_data(tmp_path, **extra))


def auto_step(registry, sop_id: str) -> int:
    return next(s.no for s in registry[sop_id].steps if s.automation is not None)


def _run(session, registry, sop_id, agent, at, findings=(), details=None, status=None, **kw):
    run = begin_step_run(
        session, registry[sop_id], auto_step(registry, sop_id), started_at=at, agent=agent, **kw
    )
    return finish_step_run(
        session,
        run,
        finished_at=at + timedelta(minutes=2),
        findings=findings,
        status=status,
        details=details,
        summary=f"{agent} test run",
    )


# The five sections the fixture's sites are judged on: Dinas Kesehatan lacks its agenda (80 %).
SECTIONS = {name: [name] for name in ("profil", "berita", "agenda", "ppid", "kontak")}
_OFFICE = Config.model_validate(
    {"office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"}, "database": {"url": "sqlite://"}}
)


def _site(url: str, opd: str, age: int, at: datetime, sections: list[str]):
    """What one Monday crawl of a site saw (its newest berita `age` days old, its agenda two days
    older), judged by the real evaluation against the SOP's 7/30 days."""
    published = at - timedelta(days=age)
    evidence = Evidence(
        dated=[
            Dated(published, "day", "html:label", f"{url}berita/terbaru", "berita"),
            Dated(published - timedelta(days=2), "day", "html:label", f"{url}agenda/terbaru", "agenda"),
        ],
        sections={name: f"{url}{name}" for name in sections},
        final_url=url,
    )
    spec = SiteSpec(url=url, timezone="Asia/Makassar", sections=SECTIONS)
    site = Website(id=url.split("//")[1].split(".")[0], opd=opd, url=url)
    return site, web_evaluate(spec, evidence, at)


def _crawl(session, registry, at, dinkes_age, disdik_age, extra=()):
    """One Monday crawl of the two sites (bappeda is configured but never crawled), recorded by the
    real website agent's writers: the recap rows and the findings."""
    pairs = [
        _site(DINKES, "Dinas Kesehatan", dinkes_age, at, ["profil", "berita", "ppid", "kontak"]),
        _site(DISDIK, "Dinas Pendidikan", disdik_age, at, list(SECTIONS)),
    ]
    recap = web_kind.recap_rows(pairs, _OFFICE, "id")
    findings = [f for site, result in pairs for f in web_kind.to_findings(site, result)] + list(extra)
    details = records.WebRunDetails(recap=recap).as_json()
    _run(session, registry, "kaltim-monitoring-website", "web_freshness", at, findings, details)


def fill_full_week(engine, registry) -> None:
    with Session(engine) as s, s.begin():
        # --- website crawls (Mondays 07:00) ----------------------------------------------------
        # 9 Nov: dinkes stale 24 days (warn), disdik fresh.
        _crawl(s, registry, wita(2026, 11, 9, 7, 0), 24, 1)  # warn, ok
        # 16 Nov: dinkes 31 days (crit), disdik 2 days (ok).
        _crawl(s, registry, wita(2026, 11, 16, 7, 0), 31, 2)  # crit, ok
        # 23 Nov (closes W47): dinkes 38 days (crit; stale 3 crawls in a row, same as last week),
        # disdik 9 days (warn; worse than last week, stale 1 week).
        _crawl(s, registry, wita(2026, 11, 23, 7, 0), 38, 9)  # crit, warn

        # --- link availability: a sample every 10 minutes all week (1,008 samples) -----------
        start = wita(2026, 11, 16, 0, 0)
        rows = []
        for i in range(7 * 24 * 6):
            at = start + timedelta(minutes=10 * i)
            # down Tue 17 Nov 10:00-11:20 (9 samples; up again 11:30: 90 min) and
            # Sun 22 Nov 23:40, 23:50 (2 samples, still down at the end: 10 min so far)
            down = wita(2026, 11, 17, 10, 0) <= at <= wita(2026, 11, 17, 11, 20) or at >= wita(
                2026, 11, 22, 23, 40
            )
            rows.append({"series": UP, "at": at, "value": 0.0 if down else 1.0})
        # uptime = (1008 - 11) / 1008 = 98.909 %; Tuesday 135/144 = 93.75 %, Sunday 142/144 = 98.61 %
        # download: hourly, 158 samples at 20 Mbps and 10 at 45 Mbps (168)
        # mean = (158*20 + 10*45) / 168 = 21.488 Mbps; p95 = rank ceil(0.95*168) = 160 -> 45 Mbps = 90 %
        for h in range(168):
            at = start + timedelta(hours=h, minutes=5)
            rows.append({"series": DOWN_BPS, "at": at, "value": 45e6 if h >= 158 else 20e6})
            rows.append({"series": UP_BPS, "at": at, "value": 5e6})
        # outside the week: must not count
        rows.append({"series": UP, "at": wita(2026, 11, 15, 23, 50), "value": 0.0})
        rows.append({"series": DOWN_BPS, "at": wita(2026, 11, 23, 0, 5), "value": 900e6})
        s.execute(insert(Sample), rows)
        for day in range(7):  # the link runs (evidence of the step; one a day is enough here)
            _run(s, registry, "polman-15", "link", wita(2026, 11, 16 + day, 12, 0))
        # one link run cut short by a crash, one SNMP poll with the under-delivery finding
        interrupted = begin_step_run(
            s,
            registry["polman-15"],
            auto_step(registry, "polman-15"),
            started_at=wita(2026, 11, 18, 3, 0),
            agent="link",
        )
        finish_step_run(
            s,
            interrupted,
            finished_at=wita(2026, 11, 18, 3, 1),
            status="error",
            reason="interrupted: service stopped",
        )
        _run(
            s,
            registry,
            "polman-13",
            "snmp_bandwidth",
            wita(2026, 11, 19, 10, 0),
            [
                FindingRecord(
                    target="link-dinkes",
                    status="crit",
                    code="bw_under_delivery",
                    message_id="Lalu lintas datar 20 Mbps, 40 % dari kontrak 50 Mbps",
                )
            ],
        )

        # --- DNS: Mon finds a wrong address and an orphan; Wed the address is fixed ----------
        # The rows the real DNS agent writes (agents.kinds.dns.to_findings) for what the check saw.
        wrong, orphan, ok = (
            dns_kind.to_findings(result)
            for result in (
                DnsResult(
                    "portal.kab.test",
                    "crit",
                    "host",
                    opd="Setda",
                    findings=[
                        Finding(
                            "dns_wrong_address",
                            "crit",
                            {"name": "portal.kab.test", "wrong": ["127.0.0.9"], "allocated": ["127.0.0.10"]},
                        )
                    ],
                ),
                DnsResult(
                    "lama.kab.test",
                    "warn",
                    "orphan",
                    findings=[
                        Finding("dns_orphan", "warn", {"name": "lama.kab.test", "observed": ["127.0.0.7"]})
                    ],
                ),
                DnsResult(
                    "www.kab.test", "ok", "host", findings=[Finding("dns_ok", "ok", {"name": "www.kab.test"})]
                ),
            )
        )
        _run(s, registry, "polman-14", "dns_ip", wita(2026, 11, 16, 9, 0), [*wrong, *orphan, *ok])
        _run(s, registry, "polman-14", "dns_ip", wita(2026, 11, 18, 9, 0), [*orphan, *ok])
        _run(s, registry, "polman-14", "dns_ip", wita(2026, 11, 20, 9, 0), [*orphan, *ok])
        record_skipped(
            s,
            registry["polman-14"],
            auto_step(registry, "polman-14"),
            at=wita(2026, 11, 21, 9, 0),
            due_at=wita(2026, 11, 21, 9, 0),
            reason="terlewat: server mati",
            agent="dns_ip",
        )

        # --- certificates: Thursday's check, one expiring in 12 days --------------------------
        _run(
            s,
            registry,
            "polman-19",
            "tls_cert",
            wita(2026, 11, 19, 6, 0),
            # The rows the real certificate agent writes (agents.kinds.tls.to_findings) for two
            # checked certificates, so the report reads what the writer really writes.
            tls_kind.to_findings(
                tls_evaluate(
                    TlsTarget("dinkes.kab.test", 443, "dinkes.kab.test"),
                    tls_probe(["dinkes.kab.test"], CERT_NOT_AFTER),
                    wita(2026, 11, 19, 6, 0),
                    TlsThresholds(),
                ),
                "Dinas Kesehatan",
            )
            + tls_kind.to_findings(
                tls_evaluate(
                    TlsTarget("www.kab.test", 443, "www.kab.test"),
                    tls_probe(["www.kab.test"], wita(2027, 6, 7, 12, 0)),
                    wita(2026, 11, 19, 6, 0),
                    TlsThresholds(),
                ),
                None,
            ),
        )

        # --- cases -----------------------------------------------------------------------------
        def case(target, opened, state, deadlines, resolved=None, closed=None, wait=0):
            c = Case(
                sop_id="polman-15",
                step_no=1,
                target=target,
                sop_version="2019",
                title=f"Gangguan jaringan {target}",
                state=state,
                current_step_no=1,
                opened_at=opened,
                updated_at=opened,
                resolved_at=resolved,
                closed_at=closed,
                provider_wait_s=wait,
                details={"provider": {"name": "Telkom"}},
            )
            c.deadlines = [
                CaseDeadline(step_no=n, role="Teknisi Jaringan", due_at=due, done_at=done, breached_at=br)
                for n, due, done, br in deadlines
            ]
            s.add(c)

        # closed before the week: not in the report
        case("link-old", wita(2026, 11, 11, 8, 0), "closed", [], wita(2026, 11, 11, 9), wita(2026, 11, 15, 9))
        # opened before the week, still open: listed, its deadline (not this week) not judged
        case(
            "link-x",
            wita(2026, 11, 11, 8, 0),
            "acknowledged",
            [(1, wita(2026, 11, 11, 10), wita(2026, 11, 11, 9, 50), None)],
        )
        # Tuesday's outage: step 1 on time, step 2 late (breached), step 3 on time; 30 min waiting for Telkom
        case(
            "link-dinkes",
            wita(2026, 11, 17, 10, 30),
            "resolved",
            [
                (1, wita(2026, 11, 17, 10, 40), wita(2026, 11, 17, 10, 35), None),
                (2, wita(2026, 11, 17, 10, 50), wita(2026, 11, 17, 11, 0), wita(2026, 11, 17, 10, 50)),
                (3, wita(2026, 11, 17, 12, 0), wita(2026, 11, 17, 11, 30), None),
            ],
            resolved=wita(2026, 11, 17, 11, 35),
            wait=1800,
        )
        # Thursday: nobody acted on step 1 (breached), still open at the end of the week
        case(
            "link-disdik",
            wita(2026, 11, 19, 9, 0),
            "open",
            [(1, wita(2026, 11, 19, 9, 30), None, wita(2026, 11, 19, 9, 30))],
        )
        # opened after the week ended: not in W47
        case("link-y", wita(2026, 11, 23, 8, 0), "open", [(1, wita(2026, 11, 23, 8, 30), None, None)])


def many_sites(n: int) -> list[dict]:
    """`n` configured OPD sites (a province-sized office for the short PDF's tests)."""
    return [{"id": f"opd{i}", "opd": f"OPD {i:03d}", "url": f"https://opd{i}.prov.test/"} for i in range(n)]


def crawl_many(engine, registry, sites: list[dict], at: datetime) -> None:
    """One Monday crawl of `sites` through the real evaluation and the web agent's writers: every
    third site fresh (2 days), the others ageing (12 days) or stale (40 days)."""
    with Session(engine) as s, s.begin():
        ages = (2, 12, 40)
        pairs = [_site(w["url"], w["opd"], ages[i % 3], at, list(SECTIONS)) for i, w in enumerate(sites)]
        recap = web_kind.recap_rows(pairs, _OFFICE, "id")
        findings = [f for site, result in pairs for f in web_kind.to_findings(site, result)]
        details = records.WebRunDetails(recap=recap).as_json()
        _run(s, registry, "kaltim-monitoring-website", "web_freshness", at, findings, details)


def crawl_with_integrity(engine, registry, at: datetime, code: str, message: str) -> None:
    """Monday's crawl again (the same ages as the 23 Nov one), finding Dinas Kesehatan's site carrying
    injected content or defaced. The check that writes these codes is another issue's; until its
    writer exists, the finding is the shape it promises (a website finding: the site's URL as the
    target, the code, a status, the message)."""
    with Session(engine) as s, s.begin():
        extra = [FindingRecord(target=DINKES, status="crit", code=code, message_id=message)]
        _crawl(s, registry, at, 38, 9, extra)
