"""`sigap login`: the CLI acting as a console user. Logged in, `--by` becomes the user's display name,
the user's role must allow the move and an OPD admin reaches its own OPDs' cases only; not logged in,
the CLI works as before. The real `sigap` command on the console tests' small office, its ledger and
config on disk."""

from __future__ import annotations

import json
import stat

import pytest
import yaml
from click.testing import CliRunner
from helpers.console import ROLE_USERS, config_data, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.cli import cli
from sop_registry.ledger.models import CaseEvent, UserSession


@pytest.fixture
def office(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home-config"))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    w = make_world(tmp_path, url)
    w.config_path = tmp_path / "sigap.yaml"
    w.config_path.write_text(yaml.safe_dump(config_data(tmp_path, url)), encoding="utf-8")
    w.store = tmp_path / "home-config" / "sigap" / "logins.json"
    yield w
    w.close()


def run(world, *args: str, password: str | None = None):
    stdin = password + "\n" if password else None
    argv = ["--config", str(world.config_path), *args]
    return CliRunner().invoke(cli, argv, input=stdin, catch_exceptions=False)


def login(world, name: str):
    result = run(world, "login", name, "--password-stdin", password=world.passwords[name])
    assert result.exit_code == 0, result.output
    return result


def actors(world, case_id: int) -> list[tuple[str, str]]:
    with Session(world.engine) as s:
        events = s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
        return [(e.kind, e.actor) for e in events]


def test_not_logged_in_the_cli_works_as_before(office):
    case = office.cases["opd-a"]
    result = run(office, "case", "ack", str(case))
    assert result.exit_code == 2 and "option --by" in result.output and "sigap login" in result.output
    assert run(office, "case", "ack", str(case), "--by", "Pak Rahman").exit_code == 0
    assert actors(office, case)[-1] == ("acknowledged", "Pak Rahman")
    result = run(office, "whoami")
    assert result.exit_code == 1 and "Belum masuk" in result.output


def test_logged_in_by_becomes_the_user(office):
    out = login(office, "tek").output
    assert "Budi Teknisi (tek, teknisi)" in out
    assert stat.S_IMODE(office.store.stat().st_mode) == 0o600
    stored = json.loads(office.store.read_text())
    assert len(stored) == 1 and office.passwords["tek"] not in office.store.read_text()
    assert run(office, "whoami").output.split("\t")[:3] == ["tek", "Budi Teknisi", "teknisi"]
    case = office.cases["opd-a"]
    assert run(office, "case", "ack", str(case)).exit_code == 0
    assert actors(office, case)[-1] == ("acknowledged", "Budi Teknisi")
    # naming someone else while logged in is refused, not silently recorded
    result = run(office, "case", "escalate", str(case), "--provider", "Telkom", "--by", "Orang Lain")
    assert result.exit_code == 2 and "option --by: logged in as tek" in result.output
    assert run(office, "case", "escalate", str(case), "--provider", "Telkom", "--by", "tek").exit_code == 0
    assert actors(office, case)[-1] == ("provider_engaged", "Budi Teknisi")
    # a teknisi may not close a case for good (the Kepala Bidang's)
    result = run(office, "case", "close", str(case))
    assert result.exit_code == 2 and "tek (teknisi) may not close" in result.output


def test_a_viewer_cannot_act_and_an_opd_admin_only_on_its_own(office):
    login(office, "lihat")
    case_a, case_b = office.cases["opd-a"], office.cases["opd-b"]
    result = run(office, "case", "ack", str(case_a))
    assert result.exit_code == 2 and "lihat (viewer) may not ack" in result.output
    assert actors(office, case_a)[-1][0] == "opened"
    login(office, "opda")  # a second login replaces the first
    assert run(office, "whoami").output.startswith("opda\t")
    result = run(office, "case", "ack", str(case_b))
    assert result.exit_code == 2 and f"no case #{case_b}" in result.output
    assert run(office, "case", "ack", str(case_a)).exit_code == 0
    assert actors(office, case_a)[-1] == ("acknowledged", ROLE_USERS["opda"][1])
    with Session(office.engine) as s:  # the replaced CLI login's session ended in the ledger
        cli_sessions = s.scalars(select(UserSession).where(UserSession.user_agent == "sigap CLI")).all()
        assert sorted(r.revoked_at is None for r in cli_sessions) == [False, True]


def test_the_kepala_bidang_approves_without_naming_itself(office):
    login(office, "kabid")
    result = run(office, "report", "approve", "--week", office.week, "--note", "Lanjutkan")
    assert result.exit_code == 0, result.output
    page = office.login("kabid")[0].get("/reports").text
    assert ROLE_USERS["kabid"][1] in page  # the approval block names the logged-in user


def test_wrong_passwords_and_the_lockout(office):
    for _ in range(3):  # console.login_max_failures of the test office
        result = run(office, "login", "tek", "--password-stdin", password="bukan-sandinya")
        assert result.exit_code == 1 and "nama atau kata sandi salah" in result.output
    result = run(office, "login", "tek", "--password-stdin", password=office.passwords["tek"])
    assert result.exit_code == 1 and "terlalu banyak percobaan gagal" in result.output
    assert not office.store.exists()


def test_logout_and_a_login_ended_elsewhere(office):
    login(office, "tek")
    raw = next(iter(json.loads(office.store.read_text()).values()))
    assert "Keluar (tek)" in run(office, "logout").output
    assert run(office, "whoami").exit_code == 1
    with Session(office.engine) as s:  # the copy of the id opens nothing any more
        from agents.console.accounts import digest

        row = s.scalars(select(UserSession).where(UserSession.token_hash == digest(raw))).one()
        assert row.revoked_at is not None
    login(office, "tek")
    assert run(office, "user", "disable", "tek").exit_code == 0  # an admin ends the user's sessions
    result = run(office, "case", "ack", str(office.cases["opd-a"]))
    assert result.exit_code == 2 and "login has ended" in result.output
    assert json.loads(office.store.read_text()) == {}  # forgotten: the next command is not logged in
    assert run(office, "case", "ack", str(office.cases["opd-a"]), "--by", "Pak Rahman").exit_code == 0


def test_a_login_belongs_to_its_ledger(office, tmp_path):
    login(office, "tek")
    other = tmp_path / "lain.yaml"
    other_url = f"sqlite:///{tmp_path / 'lain.db'}"
    other.write_text(yaml.safe_dump(config_data(tmp_path, other_url)), encoding="utf-8")
    assert CliRunner().invoke(cli, ["--config", str(other), "db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--config", str(other), "whoami"], catch_exceptions=False)
    assert result.exit_code == 1  # another office's ledger: nobody logged in there
