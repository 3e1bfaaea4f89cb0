"""`sigap case` / `maintenance` as an operator runs them: a real subprocess, a real ledger, exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from helpers.cli import sigap


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "sigap.yaml"
    path.write_text(
        f"""
office: {{name: Diskominfo Uji, timezone: Asia/Jayapura}}
database: {{url: "sqlite:///{tmp_path / "ledger.db"}"}}
state_dir: {tmp_path / "state"}
notify:
  channels:
    - {{id: semua, url: "json://127.0.0.1:9/x", roles: ["*"]}}
""",
        encoding="utf-8",
    )
    return str(path)


def run(config, *args):
    return sigap("--config", config, *args)


def test_manual_procedure_through_the_cli(config):
    opened = run(
        config,
        "case",
        "open",
        "--sop",
        "polman-15",
        "--title",
        "Aduan Dinas PU via WA",
        "--target",
        "opd-pu",
        "--by",
        "Piket",
        "--json",
    )
    assert opened.returncode == 0, opened.stderr
    row = json.loads(opened.stdout)
    assert set(row) >= {
        "id",
        "sop",
        "step",
        "target",
        "state",
        "assignee_role",
        "opened_at",
        "due_at",
        "breached",
    }
    assert (row["sop"], row["step"], row["state"], row["assignee_role"], row["breached"]) == (
        "polman-15",
        1,
        "open",
        "Perangkat Daerah",
        False,
    )
    assert datetime.fromisoformat(row["due_at"]) > datetime.fromisoformat(row["opened_at"])
    case_id = str(row["id"])
    # the same target twice is refused with the key named
    again = run(config, "case", "open", "--sop", "polman-15", "--title", "x", "--target", "opd-pu")
    assert again.returncode == 2 and "option --target" in again.stderr
    assert run(config, "case", "ack", case_id, "--by", "Andi").returncode == 0
    twice = run(config, "case", "ack", case_id, "--by", "Andi")
    assert (
        twice.returncode == 2
        and "argument ID" in twice.stderr
        and len(twice.stderr.strip().splitlines()) == 1
    )
    assert run(config, "case", "step", case_id, "--done", "--note", "diterima", "--to", "3").returncode == 0
    assert (
        run(config, "case", "escalate", case_id, "--provider", "Telkom", "--ticket", "IN-77").returncode == 0
    )
    assert run(config, "case", "resume", case_id, "--note", "ODP diperbaiki").returncode == 0
    listed = json.loads(run(config, "case", "list", "--open", "--json").stdout)
    assert [(c["id"], c["step"], c["state"], c["assignee_role"]) for c in listed] == [
        (int(case_id), 3, "acknowledged", "Teknisi Jaringan")
    ]
    shown = json.loads(run(config, "case", "show", case_id, "--json").stdout)
    assert [e["kind"] for e in shown["events"]] == [
        "opened",
        "acknowledged",
        "step_done",
        "provider_engaged",
        "provider_returned",
    ]
    assert shown["details"]["provider"]["ticket"] == "IN-77"
    assert [n["kind"] for n in shown["notifications"]] == ["started", "assigned"]
    text = run(config, "--lang", "id", "case", "show", case_id)
    assert "WIT" in text.stdout and "Teknisi Jaringan" in text.stdout
    assert run(config, "case", "resolve", case_id, "--note", "normal").returncode == 0
    assert json.loads(run(config, "case", "list", "--open", "--json").stdout) == []


def test_bad_input_exits_2_naming_the_argument(config):
    assert run(config, "db", "upgrade").returncode == 0  # a ledger to look in (reads never make one)
    cases = [
        (("case", "show", "99"), "argument ID: no case #99"),
        (("case", "open", "--sop", "polman-99", "--title", "x"), "option --sop"),
        (("case", "open", "--sop", "polman-15", "--title", "x", "--step", "42"), "option --step"),
        (("maintenance", "add", "--every", "caturday", "--at", "22:00", "--minutes", "60"), "option --every"),
        (("maintenance", "add", "--start", "2026-11-23 22:00", "--end", "2026-11-23 21:00"), "option --end"),
        (("maintenance", "add", "--start", "besok", "--end", "lusa"), "option --start"),
        (("maintenance", "add", "--start", "0001-01-01 00:00", "--end", "0001-01-01 01"), "option --start"),
        (("maintenance", "remove", "5"), "argument ID"),
    ]
    for args, expected in cases:
        result = run(config, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_maintenance_windows_listed_in_office_time(config):
    start = (datetime.now(UTC) + timedelta(days=1)).astimezone().strftime("%Y-%m-%d 22:00")
    assert (
        run(
            config,
            "maintenance",
            "add",
            "--target",
            "opd-*",
            "--start",
            start,
            "--end",
            start.replace("22:00", "23:30"),
            "--reason",
            "ganti router",
        ).returncode
        == 0
    )
    assert (
        run(config, "maintenance", "add", "--every", "sun", "--at", "22:00", "--minutes", "240").returncode
        == 0
    )
    rows = json.loads(run(config, "maintenance", "list", "--json").stdout)
    assert [(r["target"], r["days"]) for r in rows] == [("opd-*", None), ("*", ["sun"])]
    assert rows[0]["starts_at"].endswith("+00:00")  # stored in UTC
    assert run(config, "maintenance", "remove", str(rows[1]["id"])).returncode == 0
    assert len(json.loads(run(config, "maintenance", "list", "--json").stdout)) == 1


def test_a_read_command_never_creates_a_ledger(config, tmp_path):
    # A moved state directory or a deleted file must not read as an empty, healthy ledger.
    for args in (("case", "list"), ("case", "show", "1"), ("notify", "list"), ("maintenance", "list")):
        result = run(config, *args)
        assert result.returncode == 2, (args, result.stdout)
        assert "no ledger here" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    status = run(config, "db", "status")
    assert status.returncode == 1 and "no ledger here" in status.stderr  # all migrations pending
    assert not list(tmp_path.rglob("*.db")), list(tmp_path.rglob("*"))  # nothing was created
    assert run(config, "db", "upgrade").returncode == 0
    assert run(config, "case", "list").returncode == 0
