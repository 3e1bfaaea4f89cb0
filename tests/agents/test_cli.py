"""The sigap command as an operator runs it: a real subprocess, real files, exit codes."""

import json

import pytest
from helpers.cli import EXAMPLE, REPO, sigap

from sop_registry.ledger import head_revision


def test_help_lists_the_commands():
    result = sigap("--help")
    assert result.returncode == 0
    for command in ("sop", "config", "db"):
        assert command in result.stdout


def test_sop_list_json_has_every_sop_in_the_contract_shape():
    result = sigap("sop", "list", "--json")
    assert result.returncode == 0, result.stderr
    sops = json.loads(result.stdout)
    assert len(sops) == 33
    ids = [s["id"] for s in sops]
    assert {"kaltim-monitoring-website", "kaltim-pemantik", "kaltara-pse"} <= set(ids)
    assert {f"polman-{n:02d}" for n in range(1, 28)} <= set(ids)
    for item in sops:
        assert {"id", "title", "source", "steps"} <= set(item)
        assert {"seed", "sop_number"} <= set(item["source"])
        for step in item["steps"]:
            assert {"no", "activity", "actors", "inputs", "time_standard", "output", "automation"} <= set(
                step
            )
            if step["time_standard"] is not None:
                assert set(step["time_standard"]) >= {"text", "amount", "unit"}


def test_sop_show_json_spot_checks():
    polman15 = json.loads(sigap("sop", "show", "polman-15", "--json").stdout)
    assert polman15["source"] == {
        "seed": "001_2305b41e8ce45db0.txt",
        "sop_number": "15/SOP-Diskominfo-SP/10/2019",
        "organisation": "Pemerintah Kabupaten Polewali Mandar",
        "agency": "Dinas Komunikasi, Informatika, Statistik dan Persandian",
    }
    assert [
        (s["no"], s["time_standard"]["amount"], s["time_standard"]["unit"]) for s in polman15["steps"]
    ] == [(i + 1, m, "minute") for i, m in enumerate([5, 10, 60, 60, 10, 10, 120, 10, 10])]
    pemantik = json.loads(sigap("sop", "show", "kaltim-pemantik", "--json").stdout)
    assert pemantik["steps"][2]["time_standard"] == {
        "text": "7 hari",
        "amount": 7,
        "unit": "day",
        "per": None,
    }
    bandwidth = json.loads(sigap("sop", "show", "polman-13", "--json").stdout)
    assert bandwidth["steps"][8]["time_standard"]["unit"] == "working_day"


def test_sop_show_text_in_indonesian_and_english():
    result = sigap("sop", "show", "polman-15")
    assert "Waktu: 120 menit" in result.stdout and "Pelaksana:" in result.stdout
    result = sigap("--lang", "en", "sop", "show", "polman-13")
    assert "Time standard: 30 working days" in result.stdout


def test_unknown_sop_is_one_line_and_exit_2():
    result = sigap("sop", "show", "polman-99")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sigap: error: unknown SOP id 'polman-99' (see 'sigap sop list')"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "config file not found"),
        ("office: [\n", "invalid YAML"),
        ("office:\n  name: X\n  timezone: Asia/Makassar\n", "database: Field required"),
        (
            "office:\n  name: X\n  timezone: Asia/Makassar\ndatabase:\n  url: mysql://127.0.0.1/x\n",
            "database.url: unsupported database 'mysql'",
        ),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path, content, expected):
    path = tmp_path / "sigap.yaml"
    if content is not None:
        path.write_text(content)
    result = sigap("--config", str(path), "config", "check")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and expected in lines[0], result.stderr


def test_sigap_config_env_var_is_honoured(tmp_path):
    result = sigap("config", "check", env={"SIGAP_CONFIG": str(tmp_path / "missing.yaml")})
    assert result.returncode == 2 and "missing.yaml" in result.stderr


def test_config_check_and_db_upgrade_on_the_example(tmp_path):
    env = {"SIGAP_STATE_DIR": str(tmp_path / "state")}
    check = sigap("--config", str(EXAMPLE), "config", "check", env=env)
    assert check.returncode == 0, check.stderr
    assert "WITA" in check.stdout and "2 situs web" in check.stdout
    masked = json.loads(sigap("--config", str(EXAMPLE), "config", "check", "--json", env=env).stdout)
    assert masked["targets"]["snmp_devices"][0]["community"] == "**********"
    status = sigap("--config", str(EXAMPLE), "db", "status", env=env)
    assert status.returncode == 1 and f"terbaru: {head_revision()}" in status.stdout  # not migrated yet
    upgraded = sigap("--config", str(EXAMPLE), "db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "state" / "sigap.db").exists()
    assert sigap("--config", str(EXAMPLE), "db", "status", env=env).returncode == 0


def test_db_upgrade_on_postgresql(tmp_path, pg_server):
    url = pg_server.create_database("sigap_cli")
    config = tmp_path / "sigap.yaml"
    config.write_text(f"office:\n  name: X\n  timezone: Asia/Jakarta\ndatabase:\n  url: {url}\n")
    result = sigap("--config", str(config), "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert f"-> {head_revision()}" in result.stdout
    assert sigap("--config", str(config), "db", "status").returncode == 0


@pytest.mark.parametrize("command", ["status", "upgrade"])
def test_unreachable_database_is_one_line_and_exit_2(tmp_path, command):
    config = tmp_path / "sigap.yaml"  # port 1 on loopback: nothing listens, the connection is refused
    config.write_text(
        "office:\n  name: X\n  timezone: Asia/Jakarta\ndatabase:\n  url: postgresql://u@127.0.0.1:1/db\n"
    )
    result = sigap("--config", str(config), "db", command)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "sigap: error: database: postgresql+psycopg://u@127.0.0.1:1/db: "
    )


def test_a_config_that_is_a_directory_is_one_line_and_exit_2(tmp_path) -> None:
    """Before: click's four-line usage block."""
    done = sigap("--config", str(tmp_path), "case", "list")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"sigap: error: {tmp_path}: cannot read: Is a directory"]


def test_check_web_of_a_url_with_an_impossible_port_is_one_line_and_exit_2() -> None:
    """Before: a 134-line traceback and exit 1 (later: a site measured UNKNOWN, exit 0)."""
    done = sigap("check", "web", "http://127.0.0.1:99999/")
    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "argument URL" in lines[0] and "99999" in lines[0], lines


def test_help_and_version_import_no_command_module() -> None:
    """`sigap --help` lists every command from the static table: no command's module is imported
    (they pull in SQLAlchemy, the crawler, pysnmp, WeasyPrint), and each help line is the command's own."""
    import importlib
    import subprocess
    import sys

    from agents.cli import COMMANDS

    probe = (
        "import sys; from agents.cli import cli\n"
        "try:\n    cli(['--help'], prog_name='sigap')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'pydantic', 'httpx', 'pysnmp', 'weasyprint', 'apprise',"
        " 'agents.config', 'agents.kinds') if m in sys.modules]\nprint('HEAVY', heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "HEAVY []" in done.stdout, done.stdout[-500:] + done.stderr[-2000:]
    for name, (module, attr, line) in COMMANDS.items():
        assert name in done.stdout
        command = getattr(importlib.import_module(f"agents.cli.{module}"), attr)
        assert (command.help or "").strip().splitlines()[0] == line, name
