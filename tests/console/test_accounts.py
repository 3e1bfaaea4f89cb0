"""Users, sessions, tokens and the throttle on the ledger, both backends; and `sigap user` as run."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from helpers.cli import REPO, clean_env
from helpers.console import config_data
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.console import accounts
from sop_registry.errors import InputError
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import ApiToken, User

T0 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
TIMEOUTS = accounts.Timeouts(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


@pytest.fixture
def engine(db_url):
    engine = connect(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _user(session, name="budi", role="teknisi", **kw) -> User:
    new = accounts.NewUser(name, role, display_name=kw.pop("display_name", "Budi Santoso"), **kw)
    return accounts.add_user(session, new, "rahasia-sekali-1", T0)


def test_users_sessions_and_tokens_round_trip(engine):
    with Session(engine) as session, session.begin():
        user = _user(session, acts_as=("Teknisi Jaringan",), phone="081234567890", telegram_id="1234")
        raw, _row = accounts.open_session(session, user, T0, TIMEOUTS, address="127.0.0.1")
        token, _ = accounts.new_token(session, user, "write", T0, "bot")
    with Session(engine) as session, session.begin():
        found = session.scalars(select(User)).one()
        assert (found.role, found.acts_as, found.opds, found.phone) == (
            "teknisi",
            ["Teknisi Jaringan"],
            [],
            "081234567890",
        )
        assert found.password_hash.startswith("$argon2id$") and found.created_at == T0
        assert accounts.verify_password(found, "rahasia-sekali-1")
        assert not accounts.verify_password(found, "rahasia-sekali-2")
        assert not accounts.verify_password(None, "rahasia-sekali-1")
        live = accounts.session_user(session, raw, T0 + timedelta(minutes=5), TIMEOUTS)
        assert live is not None and live[1].name == "budi"
        assert accounts.token_user(session, token, T0)[1].name == "budi"
        stored = session.scalars(select(ApiToken)).one()
        assert stored.token_hash == accounts.digest(token) and token not in stored.token_hash
        assert accounts.token_user(session, token + "x", T0) is None


def test_session_ends_idle_absolute_revoked_or_disabled(engine):
    with Session(engine) as session, session.begin():
        user = _user(session)
        raw, _ = accounts.open_session(session, user, T0, TIMEOUTS)
        assert accounts.session_user(session, raw, T0 + timedelta(minutes=29), TIMEOUTS)
        assert accounts.session_user(session, raw, T0 + timedelta(minutes=59), TIMEOUTS) is None  # idle
        raw2, _ = accounts.open_session(session, user, T0, TIMEOUTS)
        assert accounts.session_user(session, raw2, T0 + timedelta(hours=12), TIMEOUTS) is None  # absolute
        raw3, _ = accounts.open_session(session, user, T0, TIMEOUTS)
        assert accounts.revoke_session(session, raw3, T0)
        assert accounts.session_user(session, raw3, T0, TIMEOUTS) is None
        raw4, _ = accounts.open_session(session, user, T0, TIMEOUTS)
        token, _ = accounts.new_token(session, user, "read", T0)
        assert accounts.set_disabled(session, user, True, T0) == 4  # three unrevoked sessions, one token
        assert accounts.session_user(session, raw4, T0, TIMEOUTS) is None
        assert accounts.token_user(session, token, T0) is None
        assert not accounts.verify_password(user, "rahasia-sekali-1")


def test_new_password_ends_sessions_and_lifts_the_lockout(engine):
    throttle = accounts.Throttle(max_per_account=2, max_per_address=10, window=timedelta(minutes=15))
    with Session(engine) as session, session.begin():
        user = _user(session)
        raw, _ = accounts.open_session(session, user, T0, TIMEOUTS)
        for i in range(2):
            accounts.record_failure(session, "Budi", "10.0.0.1", T0 + timedelta(minutes=i))
        locked = accounts.locked_out(session, "budi", "127.0.0.9", T0 + timedelta(minutes=2), throttle)
        assert locked is not None and locked.what == "account" and locked.until == T0 + timedelta(minutes=16)
        assert accounts.locked_out(session, "budi", "127.0.0.9", T0 + timedelta(minutes=17), throttle) is None
        assert accounts.set_password(session, user, "kata-sandi-baru-9", T0) == 1
        assert accounts.session_user(session, raw, T0, TIMEOUTS) is None
        assert accounts.locked_out(session, "budi", "127.0.0.9", T0 + timedelta(minutes=2), throttle) is None
        assert accounts.verify_password(user, "kata-sandi-baru-9")


@pytest.mark.parametrize(
    "new,where",
    [
        (accounts.NewUser("Budi Santoso", "teknisi"), "argument NAME"),
        (accounts.NewUser("budi", "boss"), "option --role"),
        (accounts.NewUser("budi", "admin_opd"), "option --opd"),
        (accounts.NewUser("budi", "admin_opd", opds=("Dinas X",)), "option --opd"),
        (accounts.NewUser("budi", "teknisi", opds=("Dinas Kesehatan",)), "option --opd"),
        (accounts.NewUser("budi", "teknisi", acts_as=("Tukang Sihir",)), "option --acts-as"),
        (accounts.NewUser("budi", "teknisi", email="budi"), "option --email"),
        (accounts.NewUser("budi", "teknisi", phone="12345"), "option --phone"),
        (accounts.NewUser("budi", "teknisi", telegram_id="@budi"), "option --telegram-id"),
    ],
)
def test_bad_user_input_names_its_argument(new, where):
    with pytest.raises(InputError) as err:
        accounts.check_new_user(new, known_opds={"Dinas Kesehatan"}, known_pelaksana={"Teknisi Jaringan"})
    assert str(err.value).startswith(where + ":")
    assert "\n" not in str(err.value)


def _cli(config, *args, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=clean_env(),
        timeout=120,
    )


def test_sigap_user_commands(tmp_path):
    config = tmp_path / "sigap.yaml"
    config.write_text(yaml.safe_dump(config_data(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")))
    done = _cli(config, "user", "add", "kepala", "--role", "admin", "--display-name", "Ir. Andi Basri",
                "--email", "andi@localhost", "--password-stdin", stdin="rahasia-sekali-1\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "kepala" in done.stdout
    for args, stdin, where in [
        (
            ("user", "add", "kepala", "--role", "viewer", "--password-stdin"),
            "rahasia-sekali-1\n",
            "argument NAME",
        ),
        (("user", "add", "ani", "--role", "boss", "--password-stdin"), "rahasia-sekali-1\n", "option --role"),
        (
            ("user", "add", "ani", "--role", "viewer", "--password-stdin"),
            "pendek\n",
            "option --password-stdin",
        ),
        (("user", "add", "ani", "--role", "viewer"), "", "option --password-stdin"),  # no terminal
        (
            ("user", "add", "ani", "--role", "admin_opd", "--opd", "Dinas X", "--password-stdin"),
            "",
            "option --opd",
        ),
        (("user", "token", "kepala", "--scope", "admin"), None, "option --scope"),
        (("user", "passwd", "siapa", "--password-stdin"), "rahasia-sekali-2\n", "argument NAME"),
    ]:
        bad = _cli(config, *args, stdin=stdin)
        lines = bad.stderr.strip().splitlines()
        assert bad.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"sigap: error: {where}:"), (
            args,
            bad.stderr,
        )
    done = _cli(config, "user", "add", "ani", "--role", "admin_opd", "--opd", "Dinas Kesehatan",
                "--acts-as", "teknisi jaringan", "--phone", "0812 3456 7890", "--password-stdin",
                stdin="rahasia-sekali-3\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    token = _cli(config, "user", "token", "kepala", "--scope", "write")
    assert token.returncode == 0, token.stderr
    last = token.stdout.strip().splitlines()[-1]
    assert last.startswith("sgp_") and " " not in last and len(last) > 40
    listed = json.loads(_cli(config, "user", "list", "--json").stdout)
    assert [(u["name"], u["role"], u["opds"], u["acts_as"], u["phone"]) for u in listed] == [
        ("ani", "admin_opd", ["Dinas Kesehatan"], ["Teknisi Jaringan"], "081234567890"),
        ("kepala", "admin", [], [], None),
    ]
    assert (
        _cli(config, "user", "passwd", "ani", "--password-stdin", stdin="rahasia-baru-44\n").returncode == 0
    )
    assert _cli(config, "user", "disable", "kepala").returncode == 0
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    with Session(engine) as session:
        assert accounts.token_user(session, last, T0) is None  # disabling revoked it
        ani = accounts.find_user(session, "ani")
        assert accounts.verify_password(ani, "rahasia-baru-44")
        assert last not in json.dumps([t.token_hash for t in session.scalars(select(ApiToken))])
    engine.dispose()
    text = _cli(config, "user", "list").stdout
    assert "kepala" in text and "nonaktif" in text
