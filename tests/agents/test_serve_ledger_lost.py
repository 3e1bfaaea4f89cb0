"""The SQLite ledger deleted under a running `sigap serve`: noticed within a minute, said once, the
service reports unhealthy and stops its runs (before, it wrote to the unlinked file for the rest of its
life with /healthz "ok")."""

from __future__ import annotations

import time

import httpx
from helpers.cli import Serve, wait_for
from helpers.netservers import free_port


def _status(serve: Serve) -> tuple[int, dict] | None:
    try:
        reply = httpx.get(serve.http + "/healthz", timeout=2)
    except httpx.HTTPError:
        return None
    return reply.status_code, reply.json()


def test_a_deleted_ledger_makes_the_service_unhealthy_and_stops_its_runs(tmp_path):
    http_port = free_port()
    ledger = tmp_path / "ledger.db"
    config = tmp_path / "sigap.yaml"
    config.write_text(
        "office: {name: Diskominfo Uji, timezone: Asia/Makassar}\n"
        f"database: {{url: 'sqlite:///{ledger}'}}\nstate_dir: {tmp_path / 'state'}\n"
        f"sops: [polman-15]\nhttp: {{listen: '127.0.0.1:{http_port}'}}\n"
        "service: {stop_timeout_s: 3, sla_every_s: 0.5}\nnotify: {poll_s: 0.2}\n"
        "link: {probes: 1, timeout_s: 0.3}\n"
        "agents: {polman-15: {schedule: {every_seconds: 1}}}\n"
        "targets:\n  links:\n"
        f"    - {{id: opd-a, opd: Dinas A, host: 127.0.0.1, method: tcp, port: {http_port},"
        " contracted_down_mbps: 10, contracted_up_mbps: 10}\n"
    )
    serve = Serve(config, http_port, tmp_path / "serve.log")  # a link check every second
    try:
        serve.wait_healthy()
        for path in tmp_path.glob("ledger.db*"):  # the file, its -wal and -shm: an operator's rm
            path.unlink()
        _code, report = wait_for(lambda: (s := _status(serve)) and s[0] == 503 and s, 60, "/healthz 503")
        assert "file deleted" in report["database"]["error"] and report["status"] == "fail"
        time.sleep(3)  # heartbeats, sweeps and sends go on ticking: none of them may write
        log = serve.log.read_text()
        assert log.count("ledger lost") == 1  # said once, not every heartbeat
        assert serve.term() < 10
    finally:
        serve.cleanup()
    assert not ledger.exists()  # nothing silently made a new, empty ledger in its place
