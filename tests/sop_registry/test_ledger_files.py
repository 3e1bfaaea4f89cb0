"""The ledger's files as an operator meets them: private, handed back to their owner after a command
run as root, and a ledger that takes no writes said in one line at start (exit 2), not a traceback
or a crash loop."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from helpers.cli import REPO, clean_env, sigap_with
from helpers.mounts import read_only_file, remount_read_only, tmpfs

NOBODY = 65534


def _config(tmp_path: Path, state: Path) -> Path:
    config = tmp_path / "sigap.yaml"
    config.write_text(
        "office: {name: Diskominfo Uji, timezone: Asia/Makassar}\n"
        f"database: {{url: 'sqlite:///{state / 'sigap.db'}'}}\nstate_dir: {state}\n"
        "sops: [polman-15]\nhttp: {enabled: false}\n"
        "targets:\n  links:\n"
        "    - {id: opd-a, opd: Dinas A, host: 127.0.0.1, method: tcp, port: 9,"
        " contracted_down_mbps: 10, contracted_up_mbps: 10}\n"
    )
    return config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_dir_ledger_and_recaps_are_private_whatever_the_umask(tmp_path):
    state = tmp_path / "var" / "sigap"
    config = _config(tmp_path, state)
    env = clean_env()
    # Run under a umask of 0022, as from an operator's shell: before, 0755 and 0644.
    done = subprocess.run(
        [
            "sh",
            "-c",
            'umask 022; exec "$0" -m agents.cli --config "$1" db upgrade',
            sys.executable,
            str(config),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _mode(state) == 0o750 and _mode(state.parent) == 0o750
    assert _mode(state / "sigap.db") == 0o640
    old = os.umask(0o022)
    try:
        from agents.outputs import write_csv

        recap = state / "outputs" / "x" / "step-1" / "r.csv"
        assert write_csv(recap, ["a"], [["1"]])
    finally:
        os.umask(old)
    assert _mode(recap) == 0o640 and _mode(recap.parent) == 0o750


def test_a_command_run_as_root_hands_the_wal_and_shm_to_the_ledgers_owner(tmp_path):
    if os.geteuid() != 0:
        import pytest

        pytest.skip("needs root: the case is `sudo sigap ...` beside a service running as its own user")
    state = tmp_path / "state"
    config = _config(tmp_path, state)
    assert sigap_with(config, "db", "upgrade").returncode == 0
    ledger = state / "sigap.db"
    os.chown(state, NOBODY, NOBODY)
    os.chown(ledger, NOBODY, NOBODY)  # the service's user owns its ledger
    # The service has the ledger open (so its -wal and -shm stay) when root runs a read command.
    held = sqlite3.connect(ledger)
    held.execute("PRAGMA journal_mode=WAL")
    held.execute("SELECT count(*) FROM sqlite_master").fetchall()
    try:
        for side in ("sigap.db-wal", "sigap.db-shm"):
            os.chown(state / side, 0, 0)  # as a root command before this fix left them
        done = sigap_with(config, "case", "list")
        assert done.returncode == 0, done.stderr
        for side in ("sigap.db-wal", "sigap.db-shm"):
            st = (state / side).stat()
            assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY), side
    finally:
        held.close()


def test_a_read_only_shm_at_start_is_one_line_naming_it_and_exit_2(tmp_path):
    state = tmp_path / "state"
    config = _config(tmp_path, state)
    assert sigap_with(config, "db", "upgrade").returncode == 0
    held = sqlite3.connect(state / "sigap.db")  # keeps the -shm there, as a live reader does
    held.execute("SELECT count(*) FROM sqlite_master").fetchall()
    try:
        with read_only_file(state / "sigap.db-shm"):
            for args in (("db", "upgrade"), ("serve",)):
                done = sigap_with(config, *args)
                lines = done.stderr.strip().splitlines()
                assert done.returncode == 2, done.stderr[-2000:]
                assert len(lines) == 1, done.stderr  # before: an 80-line traceback, and a crash loop
                assert "takes no writes" in lines[0] and "sigap.db-shm" in lines[0], lines[0]
    finally:
        held.close()


def test_a_ledger_on_a_read_only_file_system_is_one_line_and_exit_2(tmp_path):
    with tmpfs(tmp_path / "disk", "16m") as disk:
        state = disk / "state"
        config = _config(tmp_path, state)
        assert sigap_with(config, "db", "upgrade").returncode == 0
        remount_read_only(disk)
        for args in (("db", "upgrade"), ("serve",)):
            done = sigap_with(config, *args)
            lines = done.stderr.strip().splitlines()
            assert done.returncode == 2, done.stderr[-2000:]
            assert len(lines) == 1, done.stderr
            assert str(state) in lines[0] and "read-only" in lines[0].lower(), lines[0]


def test_the_read_commands_head_is_alembics_head() -> None:
    """Read commands find the newest schema from the migration files' names, without Alembic."""
    from sop_registry.ledger.db import _newest_file_revision, head_revision

    assert _newest_file_revision() == head_revision()


def test_a_read_command_writes_nothing_to_a_current_ledger(tmp_path) -> None:
    """`case list` on a ledger this user may only read: before, every command ran the migrations."""
    state = tmp_path / "state"
    config = _config(tmp_path, state)
    assert sigap_with(config, "db", "upgrade").returncode == 0
    ledger = state / "sigap.db"
    before = ledger.read_bytes()
    done = sigap_with(config, "case", "list")
    assert done.returncode == 0, done.stderr
    assert ledger.read_bytes() == before and not (state / "sigap.db-wal").exists()
