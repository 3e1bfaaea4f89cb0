"""Real network servers for the integration tests, started on loopback and stopped by pid.

NSD (Debian) for authoritative DNS. CI installs the packages; locally a missing binary skips the
test, in CI it fails (a skip there would hide a broken check).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def need_binary(name: str, package: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None)
    if path:
        return path
    message = f"{name} not installed (apt-get install {package})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on `host`."""
    for _ in range(50):
        with socket.socket() as tcp:
            tcp.bind((host, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


def stop_pid(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def wait_tcp(host: str, port: int, proc: subprocess.Popen, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {host}:{port}")


class Nsd:
    """Debian's NSD in the foreground serving `zones` (name -> master-file text, or None: unloadable)."""

    def __init__(self, zones: dict[str, str | None], host: str = "127.0.0.1", xfr: bool = True) -> None:
        self.binary = need_binary("nsd", "nsd")
        self.zones, self.host, self.xfr = zones, host, xfr
        self.port = free_port(host)
        self.dir = Path(tempfile.mkdtemp(prefix="sigap-nsd-"))
        self.proc: subprocess.Popen | None = None

    def _write(self) -> Path:
        zone_blocks = []
        for name, text in self.zones.items():
            file = self.dir / f"{name}.zone"
            if text is not None:
                file.write_text(text)
            acl = "\n  provide-xfr: 127.0.0.0/8 NOKEY" if self.xfr else ""
            zone_blocks.append(f"zone:\n  name: {name}\n  zonefile: {file}{acl}\n")
        conf = self.dir / "nsd.conf"
        conf.write_text(
            f"""server:
  ip-address: {self.host}@{self.port}
  port: {self.port}
  username: ""
  chroot: ""
  zonesdir: "{self.dir}"
  zonelistfile: "{self.dir}/zone.list"
  xfrdfile: "{self.dir}/xfrd.state"
  xfrdir: "{self.dir}"
  pidfile: "{self.dir}/nsd.pid"
  database: ""
  logfile: "{self.dir}/nsd.log"
  server-count: 1
  verbosity: 1
  # NSD's response-rate limiting (on by default, 200/s per bucket) drops NODATA answers when one
  # checker asks AAAA of many names at once; production servers may do the same (hence retries).
  rrl-ratelimit: 0
remote-control:
  control-enable: no
"""
            + "\n".join(zone_blocks)
        )
        return conf

    def start(self) -> Nsd:
        conf = self._write()
        self.proc = subprocess.Popen(
            [self.binary, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_tcp(self.host, self.port, self.proc, "nsd")
        return self

    def stop(self) -> None:
        if self.proc:
            stop_pid(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __enter__(self) -> Nsd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
