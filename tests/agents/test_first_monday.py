"""An office's first Monday, tried as a new office would: the bundled SOP sets of three governments
are installed, three OPD sites are crawled (one fresh, one stale, one down).

One crawl serves every step that asks the same question: two bad sites are two cases (not eight),
each routed to a role of the office (never the public) and each notified once.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.cli import EXAMPLE, sigap
from helpers.netservers import free_port
from helpers.websites import news_page
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger import Case, StepRun, connect


@pytest.fixture
def webhook(gateway):
    return gateway


def _config(tmp_path: Path, urls: list[str], hook_port: int, sops: str | None) -> Path:
    sites = "\n".join(f"    - {{id: opd{i}, opd: OPD {i}, url: '{url}'}}" for i, url in enumerate(urls))
    path = tmp_path / "sigap.yaml"
    path.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: sqlite:///sigap.db\nstate_dir: {tmp_path / 'state'}\n"
        + (f"sops: {sops}\n" if sops else "")
        + "web:\n  crawl: {timeout_s: 3, site_budget_s: 20}\n"
        "notify:\n  resolve_hold_minutes: 0\n  channels:\n"
        f"    - {{id: gateway, url: 'json://127.0.0.1:{hook_port}/kirim', roles: ['*']}}\n"
        f"targets:\n  websites:\n{sites}\n"
    )
    return path


@pytest.mark.parametrize(
    ("sops", "step", "role"),
    [
        # Without `sops:` every bundled SOP is followed; Kaltim's monitoring SOP comes first and
        # routes: its step 3 (Bidang Aptika receives the recap) acts next.
        (None, ("kaltim-monitoring-website", 2), "Bidang Aptika"),
        # Polewali Mandar only: 03 step 6 routes. Its step 7 is the public's ("Masyarakat/ Publik"),
        # nobody Sigap can assign: the case stays with the agent's role, the OPD's website admin.
        ('["polman-*"]', ("polman-03", 6), "Admin Website OPD"),
    ],
)
def test_three_sites_two_cases_each_notified_once(tmp_path, webhook, sops, step, role):
    now = datetime.now(UTC)
    sites = {
        "127.0.33.1": Site().add("/", news_page(now - timedelta(days=1))),
        "127.0.33.2": Site().add("/", news_page(now - timedelta(days=45))),
    }
    with ThreadedWebServer(sites) as srv:
        fresh, stale = (srv.url(h) for h in sites)
        down = f"http://127.0.33.3:{free_port()}/"  # nothing listens there
        config = _config(tmp_path, [fresh, stale, down], webhook.port, sops)
        dry = sigap("--config", str(config), "serve", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        jobs = [line for line in dry.stdout.splitlines() if " web_freshness " in line]
        assert len(jobs) == 1, dry.stdout  # one crawl, naming the steps it also serves
        if sops:
            assert not any(line.startswith(("kaltim", "kaltara")) for line in dry.stdout.splitlines())
        run = sigap("--config", str(config), "run", step[0], "--step", str(step[1]), "--once")
        assert run.returncode == 0, run.stderr
    sent = sigap("--config", str(config), "notify", "run", "--once")
    assert sent.returncode == 0, sent.stderr

    engine = connect(f"sqlite:///{tmp_path / 'state' / 'sigap.db'}")
    with Session(engine) as s:
        cases = s.scalars(select(Case).order_by(Case.target)).all()
        runs = s.scalars(select(StepRun)).all()
    engine.dispose()
    assert sorted(c.target for c in cases) == sorted([stale, down])  # 2 cases, not 8
    assert {(c.sop_id, c.step_no) for c in cases} == {step}
    assert {c.assignee_role for c in cases} == {role}
    measured = [r for r in runs if r.measured_by_run_id is None]
    assert len(measured) == 1 and len(runs) >= 2  # one crawl, the evidence of every step it serves
    assert all("Masyarakat" not in (c.assignee_role or "") for c in cases)
    # Each case notified once: one message per bad site through the gateway.
    told = Counter(
        target for m in webhook.received for target in (stale, down) if target in m["message"]
    )
    assert told == {stale: 1, down: 1}, json.dumps(webhook.received, ensure_ascii=False)[:2000]
    # The lead finding the runner keeps with the case (records.LeadFinding) is what the message says.
    [about_stale] = [m["message"] for m in webhook.received if stale in m["message"]]  # grouped: one
    assert f"{stale}: Berita/artikel terbaru 45 hari lalu, melewati batas 30 hari" in about_stale


def test_the_example_config_schedules_one_crawl_of_its_own_government(tmp_path):
    env = {"SIGAP_STATE_DIR": str(tmp_path / "state")}
    dry = sigap("--config", str(EXAMPLE), "serve", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()[1:]
    assert [line.split()[0] for line in lines if " web_freshness " in line] == ["polman-07:3:websites"]
    assert "polman-03:6, polman-05:4" in next(line for line in lines if " web_freshness " in line)
    assert lines and all(line.startswith("polman-") for line in lines)  # one government's SOPs
