"""SNMP agents for the integration tests, on loopback, stopped by pid: snmpsim (PyPI) serving recorded
device walks, and Debian's snmpd as a real agent.

snmpsim drops root privileges to `nobody` and then cannot read a Python under /root, so .ci/run
installs it in its own virtualenv built from /usr/bin/python3 (SIGAP_SNMPSIM names another one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .netservers import free_port, need_binary, stop_pid

# The shared recordings: beside the checkout (../shared), or where SIGAP_SHARED_DIR says.
SHARED_CANDIDATES = [
    Path(p)
    for p in (
        os.environ.get("SIGAP_SHARED_DIR"),
        Path(__file__).resolve().parents[3] / "shared",
        "/work/shared",
    )
    if p
]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "snmp"
SNMPSIM = os.environ.get("SIGAP_SNMPSIM", "/opt/sigap-snmpsim/bin/snmpsim-command-responder")

# IF-MIB counters that `animate` turns into growing ones.
IN64, OUT64 = "1.3.6.1.2.1.31.1.1.1.6", "1.3.6.1.2.1.31.1.1.1.10"
IN32, OUT32 = "1.3.6.1.2.1.2.2.1.10", "1.3.6.1.2.1.2.2.1.16"
UPTIME = "1.3.6.1.2.1.1.3.0"


def need_snmpsim() -> str:
    if Path(SNMPSIM).exists():
        return SNMPSIM
    message = (
        f"snmpsim not found at {SNMPSIM} (/usr/bin/python3 -m venv /opt/sigap-snmpsim && "
        "/opt/sigap-snmpsim/bin/pip install snmpsim pysmi)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def animate(text: str, octets_per_s: dict[int, float], *, start_in: dict[int, int] | None = None) -> str:
    """A recorded walk with live counters: each listed ifIndex's in/out octet counters grow from
    their recorded value at the given rate (out at half of it), 32-bit ones wrapping at 2^32, and
    sysUpTime counts from the recorded value -- so a restart of the simulator is a reboot.
    `start_in`: an in-counter's value at the simulator's start, instead of the recorded one."""
    start_in = start_in or {}
    out = []
    for line in text.splitlines():
        oid, _, rest = line.partition("|")
        tag, _, value = rest.partition("|")
        column, _, index = oid.rpartition(".")
        if oid == UPTIME:
            line = f"{oid}|67:numeric|rate=100,initial={value}"
        elif column in (IN64, OUT64, IN32, OUT32) and index.isdigit() and int(index) in octets_per_s:
            speed = octets_per_s[int(index)] / (1 if column in (IN64, IN32) else 2)
            if column in (IN64, IN32) and int(index) in start_in:
                value = str(start_in[int(index)])
            options = f"rate={speed:g},initial={value}"
            if tag == "65":
                options += ",wrap=1"
            line = f"{oid}|{tag}:numeric|{options}"
        out.append(line)
    return "\n".join(out) + "\n"


class Snmpsim:
    """snmpsim-command-responder on 127.0.0.1: one community per `.snmprec` file in its data dir."""

    def __init__(self, files: dict[str, str], *, endpoints: int = 1, extra: list[str] | None = None):
        self.binary = need_snmpsim()
        self.dir = Path(tempfile.mkdtemp(prefix="sigap-snmpsim-"))
        (self.dir / "data").mkdir()
        (self.dir / "cache").mkdir()
        for community, text in files.items():
            (self.dir / "data" / f"{community}.snmprec").write_text(text)
        # It runs as nobody: everything it reads must be world-readable, its cache writable.
        for path in (self.dir, self.dir / "data", self.dir / "cache"):
            path.chmod(0o777)
        for path in (self.dir / "data").iterdir():
            path.chmod(0o644)
        self.ports = [free_port() for _ in range(endpoints)]
        self.extra = extra or []
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def port(self) -> int:
        return self.ports[0]

    def start(self) -> None:
        args = [
            self.binary,
            f"--data-dir={self.dir / 'data'}",
            f"--cache-dir={self.dir / 'cache'}",
            "--process-user=nobody",
            "--process-group=nogroup",
            "--logging-method=null",
            *[f"--agent-udpv4-endpoint=127.0.0.1:{p}" for p in self.ports],
            *self.extra,
        ]
        self.log = open(self.dir / "log", "ab")  # noqa: SIM115 -- kept open while the process runs
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self, timeout: float = 30.0) -> None:
        """Until it answers a GET (it indexes the data files first)."""
        community = next((self.dir / "data").glob("*.snmprec")).stem
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"snmpsim exited: {(self.dir / 'log').read_text()[-2000:]}")
            if _answers(self.port, community):
                return
            time.sleep(0.2)
        raise RuntimeError("snmpsim did not answer in time")

    def restart(self) -> None:
        """Stop and start again: sysUpTime and the animated counters start over, like a reboot."""
        self.stop_process()
        self.start()

    def stop_process(self) -> None:
        if self.proc is not None:
            stop_pid(self.proc)
            self.log.close()
            self.proc = None

    def stop(self) -> None:
        self.stop_process()
        shutil.rmtree(self.dir, ignore_errors=True)


def _answers(port: int, community: str) -> bool:
    """Does the agent answer a GET yet? Asked with net-snmp's snmpget, not the code under test."""
    snmpget = need_binary("snmpget", "snmp")
    done = subprocess.run(
        [snmpget, "-v2c", "-c", community, "-m", "", "-r", "0", "-t", "0.5", f"127.0.0.1:{port}", UPTIME],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


class Snmpd:
    """Debian's snmpd as a real agent: the machine's own interfaces, v2c and a v3 authPriv user."""

    COMMUNITY = "sigap-ro"
    USER, AUTH_KEY, PRIV_KEY = "sigapv3", "sigap-auth-pass", "sigap-priv-pass"

    def __init__(self) -> None:
        binary = need_binary("snmpd", "snmpd")
        self.dir = Path(tempfile.mkdtemp(prefix="sigap-snmpd-"))
        self.port = free_port()
        conf = self.dir / "snmpd.conf"
        conf.write_text(
            f"rocommunity {self.COMMUNITY} 127.0.0.1\n"
            f'createUser {self.USER} SHA "{self.AUTH_KEY}" AES "{self.PRIV_KEY}"\n'
            f"rouser {self.USER} priv\n"
        )
        # -C: only this config; persistent state (the v3 user's engine boots) in the temp dir.
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(self.dir)}
        self.proc = subprocess.Popen(
            [
                binary,
                "-f",
                "-Lo",
                "-C",
                "-c",
                str(conf),
                "-p",
                str(self.dir / "pid"),
                f"udp:127.0.0.1:{self.port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + 15
        while not _answers(self.port, self.COMMUNITY):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("snmpd did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        stop_pid(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def recording(name: str) -> str:
    """A BSD-2 recording copied to tests/fixtures/snmp."""
    return (FIXTURES / f"{name}.snmprec").read_text()


def gpl_recording(name: str) -> str:
    """A GPL recording (LibreNMS), read where shared/ keeps it: it is not copied into this repository.
    A checkout without shared/ beside it skips the test that needs it, saying why."""
    for base in SHARED_CANDIDATES:
        path = base / "fixtures-real" / "snmp" / "librenms-gpl3" / f"{name}.snmprec"
        if path.exists():
            return path.read_text()
    pytest.skip(f"{name}.snmprec (GPL, not copied) not found under {', '.join(map(str, SHARED_CANDIDATES))}")


def oid_value(text: str, oid: str) -> str | None:
    match = re.search(rf"^{re.escape(oid)}\|[^|]*\|(.*)$", text, re.MULTILINE)
    return match.group(1) if match else None
