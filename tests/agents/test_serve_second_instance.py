"""A second `sigap serve` on the same ledger and probe label is refused before it touches anything:
it used to mark the live instance's running crawl as interrupted on its way to failing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from helpers.cli import Serve, sigap, wait_for
from helpers.netservers import free_port
from helpers.websites import news_page
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_registry.ledger import StepRun, connect
from sop_registry.schema import WEEKDAYS

WITA = ZoneInfo("Asia/Makassar")


def test_a_second_instance_is_refused_and_leaves_the_live_run_alone(tmp_path):
    due = (datetime.now(WITA) - timedelta(hours=1)).replace(second=0, microsecond=0)
    site = Site().add("/", news_page(datetime.now(WITA)))
    site.routes["/"].delay_s = 20  # the live instance's catch-up crawl is still running
    with ThreadedWebServer({"127.0.38.1": site}) as srv:
        http_port = free_port()
        ledger = tmp_path / "ledger.db"
        config = tmp_path / "sigap.yaml"
        config.write_text(
            "office: {name: Diskominfo Uji, timezone: Asia/Makassar}\n"
            f"database: {{url: 'sqlite:///{ledger}'}}\nstate_dir: {tmp_path / 'state'}\n"
            f"sops: [kaltim-monitoring-website]\nhttp: {{listen: '127.0.0.1:{http_port}'}}\n"
            "service: {stop_timeout_s: 3}\n"
            f"targets:\n  websites:\n    - {{id: a, opd: OPD A, url: '{srv.url('127.0.38.1')}'}}\n"
            "agents:\n  kaltim-monitoring-website:\n"
            f"    schedule: {{day_of_week: {WEEKDAYS[due.weekday()]}, hour: '{due.hour}', "
            f"minute: '{due.minute}'}}\n"
        )
        engine = connect(f"sqlite:///{ledger}")
        live = Serve(config, http_port, tmp_path / "live.log")
        try:
            live.wait_healthy()

            def running() -> list[StepRun]:
                with Session(engine) as session:
                    return list(session.scalars(select(StepRun).where(StepRun.status == "running")))

            wait_for(running, 30, "the live crawl to start")
            second = sigap("--config", str(config), "serve")
            assert second.returncode == 2
            lines = second.stderr.strip().splitlines()
            assert len(lines) == 1 and "another sigap serve already runs on this ledger" in lines[0]
            assert len(running()) == 1  # still running: not marked interrupted by the refused one
            assert live.health()["status"] == "ok"
        finally:
            live.cleanup()
    engine.dispose()
