"""A ledger that refuses writes under a running `sigap serve`: on SQLite a real full disk (a small
tmpfs filled up), on PostgreSQL a database that turns read-only. The crawl in flight when it happens is
kept and recorded once writes work again; meanwhile /healthz is 503 with the database's own reason.
Before: /healthz said ok, the run stayed `running` for the life of the service and was relabelled
"interrupted: ... crash, kill or power cut" at the next start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from helpers.cli import Serve, wait_for
from helpers.mounts import fill, tmpfs
from helpers.netservers import free_port
from helpers.websites import news_page
from helpers.websrv import Route, Site, ThreadedWebServer
from sqlalchemy import create_engine, text

from sop_registry.ledger.records import WEB_FRESHNESS

SLOW_S = 4.0  # the home page takes this long: the disk fills while the crawl is in flight


def _health(serve: Serve) -> tuple[int, dict] | None:
    try:
        reply = httpx.get(serve.http + "/healthz", timeout=2)
    except httpx.HTTPError:
        return None
    return reply.status_code, reply.json()


def _config(tmp_path: Path, state: Path, db_url: str, site: str, http_port: int) -> Path:
    config = tmp_path / "sigap.yaml"
    config.write_text(
        "office: {name: Diskominfo Uji, timezone: Asia/Makassar}\n"
        f"database: {{url: '{db_url}'}}\nstate_dir: {state}\n"
        f"sops: [kaltim-monitoring-website]\nhttp: {{listen: '127.0.0.1:{http_port}'}}\n"
        "service: {stop_timeout_s: 3, write_retry_s: 1}\nnotify: {poll_s: 0.5}\n"
        "agents: {kaltim-monitoring-website: {schedule: {every_seconds: 86400}}}\n"
        f"targets:\n  websites:\n    - {{id: dishub, opd: Dinas Perhubungan, url: '{site}'}}\n"
    )
    return config


class SqliteDisk:
    """The ledger on a 24 MiB file system that the test fills and frees."""

    def __init__(self, tmp_path: Path) -> None:
        self._mount = tmpfs(tmp_path / "disk", "24m")
        self.disk = self._mount.__enter__()
        self.state = self.disk / "state"
        self.url = f"sqlite:///{self.state / 'sigap.db'}"
        self.filler: Path | None = None

    def break_writes(self) -> None:
        self.filler = fill(self.disk)

    def mend(self) -> None:
        assert self.filler is not None
        self.filler.unlink()

    def close(self) -> None:
        self._mount.__exit__(None, None, None)

    expected = "disk is full"


class PostgresReadOnly:
    """The ledger's database set read-only (new sessions; the old ones are ended, as a failover does)."""

    def __init__(self, tmp_path: Path, server) -> None:
        self.name = "sigap_disk_full"
        self.url = server.create_database(self.name)
        self.state = tmp_path / "state"
        self._admin = f"host=127.0.0.1 port={server.port} user={server.user} dbname=postgres"

    def _set(self, read_only: bool) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            value = "on" if read_only else "off"
            conn.execute(f'ALTER DATABASE "{self.name}" SET default_transaction_read_only = {value}')
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.name,)
            )

    def break_writes(self) -> None:
        self._set(True)

    def mend(self) -> None:
        self._set(False)

    def close(self) -> None:
        pass

    expected = "read-only transaction"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request, tmp_path):
    made = (
        SqliteDisk(tmp_path)
        if request.param == "sqlite"
        else PostgresReadOnly(tmp_path, request.getfixturevalue("pg_server"))
    )
    yield made
    made.close()


def test_a_crawl_that_cannot_be_recorded_is_kept_and_recorded_once_writes_work(tmp_path, ledger):
    now = datetime.now(UTC)
    site = Site().add("/", news_page(now - timedelta(days=1)))
    site.routes["/"] = Route(site.routes["/"].body, delay_s=SLOW_S)
    with ThreadedWebServer({"127.0.0.1": site}) as srv:
        http_port = free_port()
        config = _config(tmp_path, ledger.state, ledger.url, srv.url("127.0.0.1"), http_port)
        serve = Serve(config, http_port, tmp_path / "serve.log")
        try:
            serve.wait_healthy()
            wait_for(lambda: "step started" in serve.log.read_text(), 30, "the crawl to start")
            ledger.break_writes()  # while the home page is still being fetched
            _code, report = wait_for(
                lambda: (s := _health(serve)) and s[0] == 503 and s, 30, "/healthz 503 while writes fail"
            )
            assert ledger.expected in report["database"]["error"], report
            assert report["database"]["error"].startswith("ledger write failed")
            # The crawl finished meanwhile and could not be written: it is held, not lost.
            wait_for(lambda: "ledger write failed" in serve.log.read_text(), 30, "the failed write logged")
            ledger.mend()
            wait_for(lambda: (s := _health(serve)) and s[0] == 200, 30, "/healthz 200 once writes work")
            log = serve.log.read_text()
            assert "kept run recorded" in log, log[-3000:]
            assert log.count("ledger write failed sop=") == 1  # said once, not at every retry
            assert serve.term() < 10
        finally:
            serve.cleanup()
        engine = create_engine(ledger.url)
        with engine.connect() as conn:
            runs = conn.execute(
                text("SELECT status, reason, details, id FROM step_runs WHERE agent = :a"),
                {"a": WEB_FRESHNESS},
            ).all()
            assert runs, "no run recorded"
            status, reason, _details, run_id = runs[0]
            assert status != "running" and reason is None, runs  # the real result, not "interrupted"
            findings = conn.execute(
                text("SELECT count(*) FROM findings WHERE step_run_id = :r"), {"r": run_id}
            ).scalar()
            assert findings >= 1  # what the crawl found is in the ledger
        engine.dispose()
