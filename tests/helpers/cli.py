"""The `sigap` command as an operator runs it: a real subprocess in the repository, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "deploy" / "sigap.example.yaml"


def sigap(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"SIGAP_CONFIG", "SIGAP_STATE_DIR"}}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=120,
    )


def clean_env() -> dict:
    """The environment without the operator's SIGAP_CONFIG/SIGAP_STATE_DIR."""
    return {k: v for k, v in os.environ.items() if k not in {"SIGAP_CONFIG", "SIGAP_STATE_DIR"}}


def sigap_with(config: Path, *args: str) -> subprocess.CompletedProcess:
    """`sigap --config CONFIG ARGS...`."""
    return sigap("--config", str(config), *args)


def wait_for(predicate, timeout: float, what: str):
    """Poll until `predicate()` is true (and return it), or fail naming what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Serve:
    """One `sigap serve` process, its log, and its HTTP endpoint."""

    def __init__(self, config: Path, http_port: int, log: Path, env: dict | None = None) -> None:
        full_env = clean_env()
        full_env.update(env or {})
        self.http = f"http://127.0.0.1:{http_port}"
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agents.cli", "--config", str(config), "serve"],
            cwd=REPO,
            env=full_env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def health(self) -> dict | None:
        try:
            reply = httpx.get(self.http + "/healthz", timeout=2)
        except httpx.HTTPError:
            return None
        return reply.json() if reply.status_code == 200 else None

    def wait_healthy(self) -> dict:
        try:
            return wait_for(lambda: self.proc.poll() is None and self.health(), 30, "/healthz 200")
        except AssertionError as exc:
            # Say why: the exit code and the service's own last lines, not only "timed out".
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise AssertionError(f"{exc} (exit code {self.proc.poll()}); serve.log ends:\n{tail}") from None

    def term(self) -> float:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(15)
        elapsed = time.monotonic() - started
        assert code == 0, self.log.read_text()[-3000:]
        return elapsed

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
