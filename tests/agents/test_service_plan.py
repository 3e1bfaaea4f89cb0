"""The service's decisions without the process: jobs from the registry, what a start owes after
downtime (the ledger decides), leader election on one file, sd_notify's datagrams, log redaction."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agents.config import Config
from agents.service import logs, sdnotify
from agents.service.jobs import JobSpec, build_jobs, has_targets, plan_catch_up
from agents.service.leader import Leadership, lock_key
from sop_registry.errors import InputError
from sop_registry.loader import load_registry
from sop_registry.schema import Schedule

WITA = ZoneInfo("Asia/Makassar")
WINDOW = timedelta(hours=48)


def config(**extra) -> Config:
    return Config.model_validate(
        {"office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"}, "database": {"url": "sqlite://"}}
        | extra
    )


def weekly() -> JobSpec:
    return JobSpec(
        "kaltim-monitoring-website:2:websites",
        "kaltim-monitoring-website",
        2,
        "web_freshness",
        "websites",
        Schedule(day_of_week="mon", hour="7", minute="0"),
        True,
    )


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA).astimezone(UTC)


def plan(spec: JobSpec, last: datetime | None, now: datetime):
    return plan_catch_up(spec, spec.trigger(WITA, start=now), last, now, WINDOW, WITA)


def test_jobs_have_stable_ids_office_zone_and_config_overrides():
    registry = load_registry(())
    cfg = config(
        agents={
            "polman-15": {"schedule": {"every_seconds": 30}},
            "polman-03": {"enabled": False},
            "polman-14:7": {"schedule": {"hour": "*/2", "minute": "5"}},
        }
    )
    jobs = {j.id: j for j in build_jobs(registry, cfg)}
    # polman-05:4 and polman-07:3 ask what Kaltim step 2 asks, on the same Monday 07:00: one job;
    # polman-03 is disabled, so it is not the same question and keeps its own (disabled) job.
    assert set(jobs) == {
        "kaltim-monitoring-website:2:websites",
        "polman-03:6:websites",
        "polman-13:9:snmp_devices",
        "polman-14:7:servers",
        "polman-15:1:links",
        "polman-19:7:tls_endpoints",
    }
    assert jobs["polman-15:1:links"].interval_s == 30
    assert jobs["polman-13:9:snmp_devices"].interval_s == 300  # the SOP binding's every 5 minutes
    assert not jobs["polman-03:6:websites"].enabled
    crawl = jobs["kaltim-monitoring-website:2:websites"]
    assert crawl.shared == (("polman-05", 4), ("polman-07", 3))
    trigger = crawl.trigger(WITA)
    # Saturday 21 Nov 2026 evening: the next crawl is Monday 23 Nov 07:00 WITA = Sunday 23:00 UTC.
    nxt = trigger.get_next_fire_time(None, wita(2026, 11, 21, 20, 0))
    assert nxt.astimezone(UTC) == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    dns = jobs["polman-14:7:servers"].trigger(WITA)
    assert dns.get_next_fire_time(None, wita(2026, 11, 21, 9, 6)).astimezone(WITA).hour == 10


def test_a_schedule_with_no_time_is_refused():
    registry = load_registry(())
    cfg = config(agents={"polman-19:7": {"schedule": {"text": "kapan saja"}}})
    with pytest.raises(InputError, match="polman-19 step 7: schedule has neither"):
        build_jobs(registry, cfg)


def test_jobs_without_targets_for_this_instance_are_idle():
    links = [
        {
            "id": "a",
            "opd": "A",
            "host": "127.0.0.1",
            "contracted_down_mbps": 1,
            "contracted_up_mbps": 1,
            "probe": "kab-a",
        },
    ]
    assert has_targets(config(probe="kab-a", targets={"links": links}), "link")
    assert not has_targets(config(probe="kab-b", targets={"links": links}), "link")
    servers = {"servers": [{"name": "www.example.go.id", "ips": ["127.0.0.5"]}]}
    assert not has_targets(config(targets=servers), "dns_ip")  # no dns.nameservers: nothing to ask
    assert has_targets(config(targets=servers, dns={"nameservers": ["127.0.0.1:5353"]}), "dns_ip")
    https = {"websites": [{"id": "w", "opd": "A", "url": "https://127.0.0.1:8443/"}]}
    assert has_targets(config(targets=https), "tls_cert")
    assert not has_targets(config(), "tls_cert")


def test_monday_crawl_missed_over_a_weekend_power_cut_runs_once_at_start():
    spec = weekly()
    last = wita(2026, 11, 16, 7, 0, 3)  # last Monday's crawl
    owed = plan(spec, last, wita(2026, 11, 23, 9, 30))  # back on Monday 09:30
    assert owed.run_now and owed.run_due == wita(2026, 11, 23, 7, 0)
    assert owed.skipped == []
    # Started again after the catch-up ran (its started_at is after 07:00): nothing more is owed.
    again = plan(spec, wita(2026, 11, 23, 9, 30, 1), wita(2026, 11, 23, 9, 45))
    assert not again.run_now and again.run_due is None and again.skipped == []


def test_a_crawl_missed_by_more_than_48_hours_is_recorded_as_skipped_not_run():
    spec = weekly()
    owed = plan(spec, wita(2026, 11, 16, 7, 0, 3), wita(2026, 11, 25, 8, 0))  # back on Wednesday 08:00
    assert not owed.run_now and owed.run_due is None
    assert [due for due, _ in owed.skipped] == [wita(2026, 11, 23, 7, 0)]
    reason = owed.skipped[0][1]
    assert "2026-11-23 07:00 WITA" in reason and "lebih dari 48 jam" in reason


def test_three_weeks_off_runs_the_latest_and_records_the_two_before():
    spec = weekly()
    owed = plan(spec, wita(2026, 11, 2, 7, 0, 3), wita(2026, 11, 23, 8, 0))
    assert owed.run_due == wita(2026, 11, 23, 7, 0)
    assert [due for due, _ in owed.skipped] == [wita(2026, 11, 9, 7, 0), wita(2026, 11, 16, 7, 0)]
    assert "dijalankan sekali saat mulai untuk jadwal 2026-11-23 07:00 WITA" in owed.skipped[0][1]


def test_a_new_install_owes_the_latest_time_within_the_window_and_records_nothing():
    spec = weekly()
    tuesday = plan(spec, None, wita(2026, 11, 24, 10, 0))  # 27 h after Monday 07:00
    assert tuesday.run_due == wita(2026, 11, 23, 7, 0) and tuesday.skipped == []
    friday = plan(spec, None, wita(2026, 11, 27, 10, 0))
    assert not friday.run_now and friday.skipped == []


def test_interval_jobs_start_with_a_run_and_a_gap_is_one_skipped_row():
    spec = JobSpec("polman-15:1:links", "polman-15", 1, "link", "links", Schedule(every_minutes=1), True)
    now = wita(2026, 11, 21, 10, 0)
    fresh = plan(spec, now - timedelta(seconds=70), now)
    assert fresh.run_now and fresh.skipped == []
    gap = plan(spec, now - timedelta(minutes=10), now)
    assert gap.run_now
    ((due, reason),) = gap.skipped
    assert due == now - timedelta(minutes=9)
    assert reason.startswith("terlewat 9 kali (setiap 60 detik)")


def test_one_leader_per_lock_file_and_takeover_after_release(tmp_path: Path):
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    first, second = Leadership(engine, tmp_path), Leadership(engine, tmp_path)
    assert first.poll() is True
    assert second.poll() is False
    assert first.poll() is True  # still held
    first.release()
    assert second.poll() is True
    second.release()
    assert lock_key() == lock_key() and -(2**63) <= lock_key() < 2**63


def test_sd_notify_sends_datagrams_to_the_socket_systemd_gave(tmp_path: Path, monkeypatch):
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        assert sdnotify.notify("READY=1\nSTATUS=8 jobs")
        assert server.recv(1024) == b"READY=1\nSTATUS=8 jobs"
    monkeypatch.setenv("WATCHDOG_USEC", "60000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.watchdog_interval_s() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # another process's watchdog
    assert sdnotify.watchdog_interval_s() is None
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert sdnotify.notify("READY=1") is False


def test_secrets_never_reach_the_log(capsys, monkeypatch):
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    cfg = config(
        targets={"snmp_devices": [{"id": "core", "host": "127.0.0.1", "community": "r4hasia-kominfo"}]},
        notify={"channels": [{"id": "tg", "url": "tgram://123456:AAbotTOKENsecret/-100200", "roles": ["*"]}]},
    )
    secrets = logs.secret_values(cfg)
    assert secrets == {"r4hasia-kominfo", "tgram://123456:AAbotTOKENsecret/-100200"}
    logs.setup(secrets)
    log = logging.getLogger("sigap.test")
    log.warning("device=core community=%s failed", "r4hasia-kominfo")
    try:
        raise RuntimeError("cannot reach tgram://123456:AAbotTOKENsecret/-100200")
    except RuntimeError:
        log.exception("send failed channel=tg")
    out = capsys.readouterr().out
    assert "r4hasia-kominfo" not in out and "AAbotTOKENsecret" not in out
    assert "community=*** failed" in out and "cannot reach ***" in out
    logging.getLogger().handlers.clear()


def test_journal_lines_carry_the_priority_and_stay_one_entry(capsys, monkeypatch):
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    logs.setup()
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("sigap.runner").exception("step failed sop=polman-15 step=1 run=3")
    out = capsys.readouterr().out
    assert out.startswith("<3>sigap.runner step failed sop=polman-15 step=1 run=3 | Traceback")
    assert out.count("\n") == 1
    logging.getLogger().handlers.clear()


def test_http_listen_must_be_an_address():
    assert config(http={"listen": "[::1]:9200"}).http.address() == ("::1", 9200)
    with pytest.raises(Exception, match="listen on an IP address"):
        config(http={"listen": "monitor.local:9120"})
