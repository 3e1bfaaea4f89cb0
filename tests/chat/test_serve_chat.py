"""The bot inside a real `sigap serve`, against the fake Bot API on loopback: a link going down (a TCP
port nobody listens on) opens a case that reaches the mapped technician with the three buttons;
pressing Tanggapi acknowledges it as that user; after SIGTERM and a new start the stored offset is
where polling resumes, and no update is handled twice."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from helpers.cli import REPO, Serve, clean_env, sigap_with, wait_for
from helpers.fake_telegram import TOKEN, FakeTelegram
from helpers.netservers import free_port

TEK = 7001


def _config(tmp_path, http_port: int, fake: FakeTelegram, dead_port: int):
    config = tmp_path / "sigap.yaml"
    config.write_text(
        "office: {name: Diskominfo Uji, timezone: Asia/Makassar}\n"
        f"database: {{url: 'sqlite:///{tmp_path / 'ledger.db'}'}}\nstate_dir: {tmp_path / 'state'}\n"
        f"sops: [polman-15]\nhttp: {{listen: '127.0.0.1:{http_port}'}}\n"
        "service: {stop_timeout_s: 3, sla_every_s: 0.5}\nnotify: {poll_s: 0.2}\n"
        "link: {probes: 1, timeout_s: 0.3}\n"
        "agents: {polman-15: {schedule: {every_seconds: 1}}}\n"
        "targets:\n  links:\n"
        f"    - {{id: opd-a, opd: Dinas A, host: 127.0.0.1, method: tcp, port: {dead_port},"
        " contracted_down_mbps: 10, contracted_up_mbps: 10}\n"
        f"chat:\n  telegram: {{token: '{TOKEN}', api_base: '{fake.base}', poll_timeout_s: 1, retry_s: 0.2}}\n"
    )
    return config


def _ledger(tmp_path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        return db.execute(sql).fetchall()


def _button(message, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


def test_a_link_down_reaches_telegram_and_the_bot_survives_a_restart(tmp_path):
    fake = FakeTelegram()
    http_port, dead_port = free_port(), free_port()
    config = _config(tmp_path, http_port, fake, dead_port)
    assert sigap_with(config, "db", "upgrade").returncode == 0
    command = ["user", "add", "tek", "--role", "teknisi", "--display-name", "Budi Teknisi"]
    command += ["--acts-as", "Teknisi Jaringan", "--telegram-id", str(TEK), "--password-stdin"]
    made = subprocess.run(
        [sys.executable, "-m", "agents.cli", "--config", str(config), *command],
        input="rahasia-sekali-1\n", capture_output=True, text=True, cwd=REPO, env=clean_env(), timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    serve = Serve(config, http_port, tmp_path / "serve.log")
    try:
        serve.wait_healthy()
        message = fake.wait_for(lambda: [m for m in fake.sent if m["chat"]["id"] == TEK], timeout=30)[0]
        labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["Tanggapi", "Tunda (penyedia)", "Selesai"]
        [(case_id,)] = _ledger(tmp_path, "SELECT id FROM cases")
        ack = _button(message, "Tanggapi")
        fake.press(TEK, message, ack)
        wait_for(
            lambda: _ledger(tmp_path, "SELECT actor FROM case_events WHERE kind = 'acknowledged'"),
            15,
            "the ack",
        )
        fake.wait_for(lambda: fake.edits, timeout=10)
        assert "ditanggapi oleh Budi Teknisi" in fake.edits[-1]["text"]
        serve.term()
        [(offset,)] = _ledger(tmp_path, "SELECT value FROM chat_state WHERE key = 'telegram.123456.offset'")

        fake.replay = True  # the confirmation was lost: Telegram offers the old updates again
        fake.press(TEK, message, ack)  # and the button pressed once more
        fake.say(TEK, "/kasus")
        polled = len(fake.offsets)
        serve = Serve(config, http_port, tmp_path / "serve2.log")
        serve.wait_healthy()
        listing = fake.wait_for(
            lambda: [m for m in fake.sent if m["text"].startswith("Kasus terbuka")], timeout=20
        )
        assert f"#{case_id} " in listing[0]["text"]
        assert fake.offsets[polled] == int(offset)  # the second life resumes where the first stopped
        acks = _ledger(tmp_path, "SELECT actor FROM case_events WHERE kind = 'acknowledged'")
        assert acks == [("Budi Teknisi",)]
        serve.term()
    finally:
        serve.cleanup()
        fake.stop()
