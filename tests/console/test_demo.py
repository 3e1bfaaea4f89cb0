"""`sigap demo` as a person runs it: a subprocess that serves the bundled sample OPD sites and the
console on loopback; the test logs in with the password it printed, sees the sites with their
statuses, and stops it with Ctrl-C (SIGINT), after which its temporary directory is gone."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from helpers.console import csrf_of
from helpers.netservers import free_port


def _read_until(proc, pattern: str, timeout_s: float) -> tuple[str, re.Match[str]]:
    seen = ""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen += line
        found = re.search(pattern, seen)
        if found:
            return seen, found
    raise AssertionError(f"demo said no {pattern!r}:\n{seen}\n{proc.stderr.read() if proc.poll() else ''}")


def test_demo_serves_the_sample_sites_and_the_console(tmp_path):
    port = free_port()
    env = {**os.environ, "SIGAP_CONFIG": str(tmp_path / "none.yaml"), "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agents.cli", "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        out, found = _read_until(proc, r"password \(one-time, this run only\): (\S+)\n", 90)
        password = found.group(1)
        state = Path(re.search(r"state: (\S+)", _read_until(proc, r"state: \S+", 5)[0] + out).group(1))
        assert state.is_dir() and str(state).startswith(str(tmp_path))
        assert "web_freshness: crit" in out and "link:" in out
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as client:
            for _ in range(50):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            login = client.get("/login")
            reply = client.post(
                "/login", data={"csrf": csrf_of(login.text), "name": "admin", "password": password}
            )
            assert reply.status_code == 303, reply.text[:300]
            page = client.get("/websites").text
        rows = dict(
            re.findall(r'<td[^>]*><a href="/websites/(\w+)">.*?<span class="badge bucket-(\w+)">', page, re.S)
        )
        assert rows == {"dinkes": "active", "disdik": "less", "dishub": "passive", "bappeda": "unmeasured"}, (
            rows
        )
        assert "Vaksinasi anak sekolah di 12 puskesmas" in page
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()[-2000:]
        assert not state.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
