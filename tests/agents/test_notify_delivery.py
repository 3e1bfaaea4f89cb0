"""Notifications delivered to a real SMTP server (aiosmtpd) and a local webhook on loopback.

The webhook refuses (503) for a while and then recovers; the notifier is killed with SIGKILL in
between and started again. Every notification must arrive exactly once, none lost.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.cli import REPO, wait_for
from helpers.cli import clean_env as _env
from helpers.cli import sigap_with as sigap
from helpers.receivers import Webhook


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.stop()


def notifier(config: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "agents.cli", "--config", str(config), "notify", "run"],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def write_config(tmp_path: Path, smtp_port: int, hook_port: int, db_url: str) -> Path:
    config = tmp_path / "sigap.yaml"
    config.write_text(
        f"""
office: {{name: Diskominfo Uji, timezone: Asia/Makassar}}
database: {{url: "{db_url}"}}
state_dir: {tmp_path / "state"}
notify:
  poll_s: 0.2
  send_timeout_s: 2
  retry: {{attempts_per_channel: 100, backoff_s: 0.2, max_backoff_s: 0.5}}
  channels:
    - id: wa-gateway
      url: json://127.0.0.1:{hook_port}/kirim
      roles: [Bidang Aptika]
    - id: email
      url: "mailto://127.0.0.1:{smtp_port}?from=sigap@localhost&to=kab-kota@localhost&mode=insecure"
      roles: [Kab/Kota]
      language: en
""",
        encoding="utf-8",
    )
    return config


def test_every_notification_delivered_once_across_an_outage_and_a_kill(tmp_path, mailbox, webhook, db_url):
    box, smtp_port = mailbox
    config = write_config(tmp_path, smtp_port, webhook.port, db_url)
    log = tmp_path / "notifier.log"
    for i in range(5):  # five procedures started: five messages for Bidang Aptika, via the gateway
        result = sigap(config, "case", "open", "--sop", "kaltim-pemantik", "--title", f"PeManTIK Kab {i}")
        assert result.returncode == 0, result.stderr
    first = notifier(config, log)
    try:
        wait_for(lambda: webhook.refused >= 8, 30, "the gateway to refuse a few attempts")
    finally:
        first.send_signal(signal.SIGKILL)  # no clean-up: leases held, attempt half done
        first.wait(10)
    # While nothing runs, two procedures move on: step 2 is Kab/Kota's, told by e-mail (in English).
    for case_id in (1, 2):
        result = sigap(config, "case", "step", str(case_id), "--done", "--note", "surat terkirim")
        assert result.returncode == 0, result.stderr
    webhook.up = True
    second = notifier(config, log)
    try:
        wait_for(lambda: len(webhook.received) >= 5 and len(box.messages) >= 2, 60, "all deliveries")
        time.sleep(1.5)  # a duplicate would arrive within a few polls
        started = time.monotonic()
        second.send_signal(signal.SIGTERM)
        assert second.wait(10) == 0
        assert time.monotonic() - started < 10
    finally:
        if second.poll() is None:
            second.kill()
    titles = sorted(m["title"] for m in webhook.received)
    assert titles == [f"[Sigap] PROSEDUR DIMULAI: PeManTIK Kab {i}" for i in range(5)]  # each exactly once
    assert all("Tanggapi: sigap case ack" in m["message"] for m in webhook.received)
    assert sorted(rcpt for rcpt, _ in box.messages) == [["kab-kota@localhost"], ["kab-kota@localhost"]]
    subjects = sorted(str(m["subject"]) for _, m in box.messages)
    # In English, with the office time of the change: a mail may be read long after it was written.
    when = re.compile(r" \((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d+ \w+ \d\d:\d\d WITA\)$")
    assert [when.sub("", s) for s in subjects] == [
        "[Sigap] YOUR STEP: PeManTIK Kab 0",
        "[Sigap] YOUR STEP: PeManTIK Kab 1",
    ], subjects
    body = box.messages[0][1].get_body(("plain",)).get_content()
    assert "Due:" in body and "WITA" in body
    assert "<table" in box.messages[0][1].get_body(("html",)).get_content()  # multipart: both parts
    listed = json.loads(sigap(config, "notify", "list", "--json").stdout)
    assert [n["status"] for n in listed] == ["sent"] * 7
    assert {n["sent_via"] for n in listed} == {"wa-gateway", "email"}
    # The refused attempts are on record, all but at most the one SIGKILL cut off between the gateway's
    # 503 and the worker's commit (its lease lets the next worker try again): 7 or more of >= 8.
    assert sum(n["attempts"] for n in listed) >= webhook.refused - 1 >= 7
    assert "notification sent" in log.read_text()
