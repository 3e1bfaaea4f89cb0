"""The console inside a real `sigap serve`: on http.listen beside /healthz and /metrics, with a user
made by `sigap user add`; the scheduler's heartbeat keeps ticking while the console is busy; SIGTERM
still stops it all within 10 s. With `console.enabled: false` the endpoint is what it was."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from helpers.cli import REPO, Serve, clean_env, sigap_with
from helpers.netservers import free_port


def _config(tmp_path, http_port: int, console: str = "") -> object:
    config = tmp_path / "sigap.yaml"
    config.write_text(
        "office: {name: Diskominfo Uji, timezone: Asia/Makassar}\n"
        f"database: {{url: 'sqlite:///{tmp_path / 'ledger.db'}'}}\nstate_dir: {tmp_path / 'state'}\n"
        f"sops: [polman-15]\nhttp: {{listen: '127.0.0.1:{http_port}'}}\n{console}"
        "service: {stop_timeout_s: 3, sla_every_s: 0.5}\nnotify: {poll_s: 0.2}\n"
        "link: {probes: 1, timeout_s: 0.3}\n"
        "agents: {polman-15: {schedule: {every_seconds: 1}}}\n"
        "targets:\n  links:\n"
        f"    - {{id: opd-a, opd: Dinas A, host: 127.0.0.1, method: tcp, port: {http_port},"
        " contracted_down_mbps: 10, contracted_up_mbps: 10}\n"
    )
    return config


def _login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"csrf": token, "name": name, "password": password})


def test_console_beside_health_and_metrics(tmp_path):
    http_port = free_port()
    config = _config(tmp_path, http_port)
    assert sigap_with(config, "db", "upgrade").returncode == 0
    command = ["user", "add", "tek", "--role", "teknisi", "--display-name", "Budi Teknisi"]
    command.append("--password-stdin")
    made = subprocess.run(
        [sys.executable, "-m", "agents.cli", "--config", str(config), *command],
        input="rahasia-sekali-1\n", capture_output=True, text=True, cwd=REPO, env=clean_env(), timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    serve = Serve(config, http_port, tmp_path / "serve.log")
    try:
        serve.wait_healthy()
        assert "sigap_leader" in httpx.get(serve.http + "/metrics", timeout=5).text
        assert httpx.get(serve.http + "/nothing", timeout=5).status_code == 404
        with httpx.Client(base_url=serve.http, timeout=10) as client:
            reply = _login(client, "tek", "rahasia-sekali-1")
            assert reply.status_code == 303, reply.text[:500]
            page = client.get("/cases")
            assert page.status_code == 200 and "Budi Teknisi" in page.text
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            assert client.get("/static/htmx.min.js").status_code == 200

            # 120 page loads from 8 clients at once: the scheduler's loop never waits on them
            cookies = dict(client.cookies)

            def load(_i: int) -> int:
                with httpx.Client(base_url=serve.http, cookies=cookies, timeout=20) as c:
                    return c.get("/cases").status_code

            ages = []
            with ThreadPoolExecutor(8) as pool:
                futures = [pool.submit(load, i) for i in range(120)]
                while not all(f.done() for f in futures):
                    ages.append(
                        httpx.get(serve.http + "/healthz", timeout=10).json()["scheduler"]["heartbeat_age_s"]
                    )
                    time.sleep(0.2)
                assert {f.result() for f in futures} == {200}
            assert max(ages) < 5, ages
        assert serve.term() < 10
    finally:
        serve.cleanup()
    log = serve.log.read_text()
    assert "http listening" in log and "console=on" in log
    assert "Traceback" not in log, log[-3000:]


def test_console_off_leaves_health_and_metrics_as_they_were(tmp_path):
    http_port = free_port()
    config = _config(tmp_path, http_port, "console: {enabled: false}\n")
    serve = Serve(config, http_port, tmp_path / "serve.log")
    try:
        serve.wait_healthy()
        for path in ("/", "/login", "/cases"):
            reply = httpx.get(serve.http + path, timeout=5)
            assert reply.status_code == 404 and reply.text == "not found: try /healthz or /metrics\n"
        reply = httpx.post(serve.http + "/healthz", timeout=5)
        assert reply.status_code == 405 and reply.headers["allow"] == "GET, HEAD"
        assert httpx.head(serve.http + "/metrics", timeout=5).status_code == 200
        assert serve.term() < 10
    finally:
        serve.cleanup()
    assert not (tmp_path / "state" / "console.key").exists()


def _console_pid(log_path) -> int:
    found = re.findall(r"console process started pid=(\d+)", log_path.read_text())
    assert found, log_path.read_text()[-2000:]
    return int(found[-1])


def _stat(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    status = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    status["nice"] = fields[16]
    return status


def _alive(pid: int) -> bool:
    try:
        return _stat(pid)["State"][0] not in "ZX"
    except FileNotFoundError:
        return False


def test_console_runs_in_a_child_that_is_restarted_and_dies_with_the_service(tmp_path):
    """The console is a child process at a lower CPU priority; /healthz through it is the scheduler's
    own answer; a console killed is started again while the scheduler runs on; a service killed
    (SIGKILL, no cleanup) takes its console with it and frees the port."""
    http_port = free_port()
    config = _config(tmp_path, http_port)
    serve = Serve(config, http_port, tmp_path / "serve.log")
    try:
        health = serve.wait_healthy()
        assert health["scheduler"]["running"] is True and health["jobs"], health
        child = _console_pid(serve.log)
        assert child != serve.proc.pid
        status = _stat(child)
        assert int(status["PPid"]) == serve.proc.pid
        assert int(status["nice"]) == 10, status["nice"]
        assert httpx.get(serve.http + "/login", timeout=5).status_code == 200

        os.kill(child, signal.SIGKILL)
        started = time.monotonic()

        def restarted() -> bool:
            try:
                return (
                    _console_pid(serve.log) != child
                    and httpx.get(serve.http + "/login", timeout=2).status_code == 200
                )
            except (httpx.HTTPError, AssertionError):
                return False

        deadline = time.monotonic() + 30
        while not restarted():
            assert time.monotonic() < deadline, serve.log.read_text()[-3000:]
            time.sleep(0.2)
        assert time.monotonic() - started < 15
        assert "console process exited code=-9" in serve.log.read_text()
        assert serve.health()["scheduler"]["heartbeat_age_s"] < 5
        second = _console_pid(serve.log)

        serve.kill()  # SIGKILL: the parent runs no cleanup at all
        deadline = time.monotonic() + 10
        while _alive(second):
            assert time.monotonic() < deadline, "the console outlived its service"
            time.sleep(0.1)
        with socket.socket() as s:  # the port is free again
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", http_port))
    finally:
        serve.cleanup()
