"""Link monitoring: the state machine with time passed in, then real probes on loopback (ICMP, TCP
listeners that come and go) and a blackholed network inside a namespace the test creates."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.cli import sigap
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import load_config
from agents.runner import run_step
from checks.link import LinkSettings, LinkState, LinkTarget, ProbeResult, evaluate, probe_all
from checks.link import probe as probe_mod
from checks.link.state import advance, flap_percent
from sop_registry.ledger import Case, CaseEvent, CheckState, Sample, StepRun, connect, upgrade
from sop_registry.loader import load_registry

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
S = LinkSettings()


def run_states(pattern: str, settings: LinkSettings = S) -> list[LinkState]:
    state, out = LinkState(), []
    for i, ch in enumerate(pattern):
        state = advance(state, ch == "+", T0 + timedelta(minutes=i), settings)
        out.append(state)
    return out


def test_down_only_after_n_failed_checks_and_up_after_m_good() -> None:
    states = run_states("+---+-+")
    assert [s.state for s in states] == ["UP", "UP", "UP", "DOWN", "DOWN", "DOWN", "DOWN"]
    assert [s.changed for s in states][:4] == [True, False, False, True]
    assert states[3].changed_at == (T0 + timedelta(minutes=3)).isoformat()
    states = run_states("+---++")
    assert states[-1].state == "UP" and states[-2].state == "DOWN"  # the second good check brings it up


def test_a_new_link_that_never_answers_is_down_after_n() -> None:
    assert [s.state for s in run_states("---")] == ["PENDING", "PENDING", "DOWN"]


def test_flapping_is_one_state_and_ends_when_stable() -> None:
    flappy = LinkSettings(down_after=1, up_after=1)
    states = run_states("+-" * 6 + "+" * 30, flappy)
    started = next(i for i, s in enumerate(states) if s.flapping)
    ended = next(i for i, s in enumerate(states) if i > started and not s.flapping)
    assert started == 9  # half of the 21-check window seen before flapping is judged
    assert all(s.flapping for s in states[started:ended])
    assert states[ended - 1].flap_pct >= S.flap_low_pct > states[ended].flap_pct
    assert sum(1 for s in states if s.changed and s.flapping != states[states.index(s) - 1].flapping) == 2
    assert flap_percent([True] * 21) == 0.0
    assert flap_percent([True, False] * 10 + [True]) == 100.0


def test_child_of_a_down_parent_is_unreachable_not_down() -> None:
    targets = [
        LinkTarget("core", "127.0.0.1"),
        LinkTarget("dinkes", "127.0.0.2", parent="core"),
        LinkTarget("puskesmas", "127.0.0.3", parent="dinkes"),
        LinkTarget("bappeda", "127.0.0.4", parent="core"),
    ]
    lost, ok = ProbeResult(3, 0), ProbeResult(3, 3, [1.0, 1.0, 1.0])
    down = LinkState(state="DOWN", fails=5, history=[False] * 5)
    previous = {"core": down, "dinkes": LinkState(state="UP", fails=2, history=[True, False, False])}
    results = evaluate(targets, [lost, lost, lost, ok], previous, T0, S)
    assert [(r.target, r.state, r.status) for r in results] == [
        ("core", "DOWN", "crit"),
        ("dinkes", "UNREACHABLE", "unknown"),
        ("puskesmas", "UNREACHABLE", "unknown"),
        ("bappeda", "UP", "ok"),  # a child that answers is judged on its own
    ]
    assert results[1].findings[0].code == "link_unreachable"


def test_loss_and_rtt_limits() -> None:
    target = LinkTarget("x", "127.0.0.1")
    [half] = evaluate([target], [ProbeResult(4, 2, [700.0, 800.0])], {}, T0, S)
    assert half.state == "UP"
    assert [(f.code, f.status) for f in half.findings] == [("link_loss", "crit"), ("link_rtt_high", "warn")]
    assert half.findings[0].observed["loss_pct"] == 50.0


# --- real probes -----------------------------------------------------------------------------------


def test_icmp_and_tcp_on_loopback() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    targets = [
        LinkTarget("v4", "127.0.0.1"),
        LinkTarget("v6", "::1"),
        LinkTarget("svc", "127.0.0.1", "tcp", port),
        LinkTarget("svc-mati", "127.0.0.1", "tcp", closed_port),
    ]
    results = asyncio.run(probe_all(targets, LinkSettings(probe_interval_s=0.01)))
    listener.close()
    assert [(r.received, r.method) for r in results] == [
        (3, "icmp"),
        (3, "icmp"),
        (3, f"tcp/{port}"),
        (0, f"tcp/{closed_port}"),
    ]
    assert all(0 < rtt < 100 for r in results[:3] for rtt in r.rtts_ms)


def test_icmp_not_permitted_falls_back_to_tcp(monkeypatch: pytest.MonkeyPatch) -> None:
    # The edge faked: the kernel refuses both raw and ping sockets (no CAP_NET_RAW, ping_group_range).
    monkeypatch.setattr(probe_mod.Pinger, "_open", lambda self, family: None)
    [result] = asyncio.run(probe_all([LinkTarget("x", "127.0.0.1")], LinkSettings(probe_interval_s=0)))
    # nothing listens on 80/443/22 here: the reset still proves the path
    assert (result.method, result.received) == ("tcp", 3)


def _netns_available() -> bool:
    return bool(shutil.which("unshare")) and subprocess.run(["unshare", "-n", "true"]).returncode == 0


def test_blackholed_link_in_a_namespace() -> None:
    """Inside a network namespace of its own, 127.0.5.0/24 silently drops packets: a dead link."""
    if not _netns_available():
        if os.environ.get("CI"):
            pytest.fail("unshare -n not permitted")
        pytest.skip("unshare -n not permitted")
    script = (
        # the local table's rule (pref 0) would answer first: move it behind the blackhole
        "ip link set lo up && ip rule add pref 10 to 127.0.5.0/24 blackhole && "
        "ip rule del pref 0 && ip rule add pref 100 lookup local && "
        f"{sys.executable} -m agents.cli check link 127.0.5.1 127.0.6.1 --timeout 0.3 --json"
    )
    out = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr
    dead, alive = (json.loads(line) for line in out.stdout.splitlines())
    assert (dead["target"], dead["status"], dead["state"], dead["loss_pct"], dead["rtt_ms"]) == (
        "127.0.5.1",
        "crit",
        "DOWN",
        100.0,
        None,
    )
    assert (alive["status"], alive["loss_pct"]) == ("ok", 0.0)
    assert alive["rtt_ms"] > 0


def test_check_link_bad_arguments() -> None:
    for args, needle in [(["http://x/"], "argument HOST"), (["127.0.0.1", "--tcp", "0"], "--tcp")]:
        result = sigap("check", "link", *args)
        assert result.returncode == 2 and needle in result.stderr


def test_agent_opens_polman_15_when_a_listener_goes_and_resolves_when_it_comes_back(
    db_url: str, tmp_path: Path
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config_path = tmp_path / "sigap.yaml"
    config_path.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: {db_url}\nstate_dir: {tmp_path / 'state'}\n"
        "link:\n  probe_interval_s: 0.01\n  timeout_s: 0.5\n"
        "targets:\n  links:\n"
        f"    - {{id: core, opd: Diskominfo, host: 127.0.0.1, method: tcp, port: {port}, "
        "contracted_down_mbps: 100, contracted_up_mbps: 100, provider: Telkom}\n"
        "    - {id: dinkes, opd: Dinas Kesehatan, host: 127.0.0.1, parent: core, "
        "contracted_down_mbps: 20, contracted_up_mbps: 20}\n"
    )
    config = load_config(config_path)
    sop = load_registry(()).sops["polman-15"]
    engine = connect(db_url)
    upgrade(engine)
    minute = iter(range(100))

    def step() -> str:
        at = T0 + timedelta(minutes=next(minute))
        return asyncio.run(run_step(config, engine, sop, 1, clock=lambda: at)).status

    try:
        assert step() == "ok"
        listener.close()  # the service behind the link stops answering
        assert [step(), step(), step()] == ["warn", "warn", "crit"]  # DOWN only at the third
        with Session(engine) as s:
            case = s.scalars(select(Case)).one()
            assert (case.sop_id, case.step_no, case.target, case.state) == ("polman-15", 1, "core", "open")
            # Step 2 (the Kepala Bidang assigns a technician) is next; the technician is told too.
            assert case.assignee_role == "Kepala Bidang TIP" and "putus" in case.title
            assert case.details["agent_role"] == "Teknisi Jaringan" and case.current_step_no == 2
            assert s.get(CheckState, ("link", "core")).data["state"] == "DOWN"
        assert step() == "crit"  # still down: the same case, updated
        listener = socket.create_server(("127.0.0.1", port))
        assert [step(), step()] == ["crit", "ok"]  # UP after two good checks
        with Session(engine) as s:
            case = s.scalars(select(Case)).one()
            assert case.state == "resolved"
            kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.seq))]
            assert kinds == ["opened", "failed_again", "failed_again", "resolved"]
            ups = s.scalars(
                select(Sample.value).where(Sample.series == "link:core:up").order_by(Sample.at)
            ).all()
            assert ups == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]  # availability follows the DOWN state
            runs = s.scalars(select(StepRun).order_by(StepRun.id)).all()
            assert len(runs) == 7 and all(r.agent == "link" for r in runs)
    finally:
        listener.close()
        engine.dispose()
