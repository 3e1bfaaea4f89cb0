from datetime import date
from pathlib import Path

import pytest

from agents.config import load_config, read_servers_csv
from sop_registry.errors import InputError
from sop_registry.loader import load_registry

REPO = Path(__file__).resolve().parents[2]
MINIMAL = """\
office:
  name: Diskominfo Kabupaten Contoh
  timezone: Asia/Makassar
database:
  url: sqlite:///sigap.db
"""


def write(tmp_path: Path, text: str, name: str = "sigap.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_office_and_database_alone_are_a_valid_config(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.office.zone_label == "WITA"
    assert config.targets.websites == [] and config.notify.channels == []
    assert [w.days for w in config.office.working_hours] == [["mon", "tue", "wed", "thu"], ["fri"]]


def test_example_config_is_valid_and_points_at_loopback():
    config = load_config(REPO / "deploy" / "sigap.example.yaml")
    config.check_against(load_registry())
    hosts = [d.host for d in config.targets.snmp_devices] + [link.host for link in config.targets.links]
    hosts += [w.url.split("/")[2].split(":")[0] for w in config.targets.websites]
    assert hosts and all(h.startswith("127.") for h in hosts)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("  timezon: Asia/Makassar\n", "office.timezon: unknown key"),
        ("  timezone: Asia/Makasar\n", "office.timezone: unknown time zone 'Asia/Makasar'"),
        ("targets:\n  website: []\n", "targets.website: unknown key"),
        (
            "targets:\n  websites:\n    - {id: a, opd: X, url: 'ftp://127.0.0.1/'}\n",
            "targets.websites[0].url: not an http(s) URL",
        ),
        (
            "report:\n  smtp: {host: 127.0.0.1, security: none, sender: s@kab.test, username: sigap, "
            "password: rahasia}\n",
            "report.smtp: security none sends no login",  # never AUTH in clear text
        ),
        (
            "targets:\n  servers:\n    - {name: " + "a" * 64 + ".pemda.test, ips: [127.0.0.1]}\n",
            "targets.servers[0].name:",  # a DNS label holds at most 63 octets: it can never be asked
        ),
        (
            "targets:\n  links:\n    - {id: l1, opd: X, contracted_down_mbps: 0, contracted_up_mbps: 5}\n",
            "targets.links[0].contracted_down_mbps: Input should be greater than 0",
        ),
        (
            "targets:\n  links:\n    - {id: l1, opd: X, contracted_down_mbps: 5, contracted_up_mbps: 5, "
            "device: r1, if_index: 1}\n",
            "targets: links[0].device: no snmp_devices entry with id 'r1'",
        ),
        (
            "targets:\n  links:\n"
            "    - {id: a, opd: X, contracted_down_mbps: 5, contracted_up_mbps: 5, parent: b}\n"
            "    - {id: b, opd: Y, contracted_down_mbps: 5, contracted_up_mbps: 5, parent: a}\n",
            "parent chain of 'a' loops",
        ),
        (
            "targets:\n  snmp_devices:\n    - {id: r1, host: 127.0.0.1, version: v3}\n",
            "targets.snmp_devices[0]: version v3 needs v3",
        ),
        ("agents:\n  Polman15: {}\n", "agents: agents key 'Polman15': expected SOP-ID or SOP-ID:STEP"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, patch, message):
    text = (
        MINIMAL.replace("  timezone: Asia/Makassar\n", patch) if patch.startswith("  ") else MINIMAL + patch
    )
    path = write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_override_keys_are_checked_against_the_registry(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + "agents:\n  polman-15:3: {}\n  polman-15:12: {}\n"))
    with pytest.raises(InputError, match=r"agents\.polman-15:12: polman-15 has no step 12"):
        config.check_against(load_registry())


def test_secrets_from_env_and_file_are_masked(tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_COMMUNITY", "s3cret-community")
    (tmp_path / "priv.key").write_text("priv-key-from-file\n")
    text = MINIMAL + (
        "targets:\n  snmp_devices:\n"
        "    - {id: r1, host: 127.0.0.1, community: {env: TEST_COMMUNITY}}\n"
        "    - id: r2\n      host: 127.0.0.1\n      version: v3\n"
        f"      v3: {{user: u, auth_key: inline-auth-key, priv_key: {{file: {tmp_path / 'priv.key'}}}}}\n"
    )
    config = load_config(write(tmp_path, text))
    r1, r2 = config.targets.snmp_devices
    assert r1.community.get_secret_value() == "s3cret-community"
    assert r2.v3.priv_key.get_secret_value() == "priv-key-from-file"
    dumped = config.model_dump_json()
    for secret in ("s3cret-community", "priv-key-from-file", "inline-auth-key"):
        assert secret not in dumped and secret not in repr(config)


def test_missing_secret_env_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    text = (
        MINIMAL
        + "targets:\n  snmp_devices:\n    - {id: r1, host: 127.0.0.1, community: {env: NOPE_NOT_SET}}\n"
    )
    with pytest.raises(InputError, match=r"snmp_devices\[0\]\.community: environment variable NOPE_NOT_SET"):
        load_config(write(tmp_path, text))


def test_database_password_never_in_url(tmp_path, monkeypatch):
    with pytest.raises(InputError, match=r"database\.url: put the password in database\.password"):
        load_config(write(tmp_path, MINIMAL.replace("sqlite:///sigap.db", "postgresql://u:pw@127.0.0.1/db")))
    monkeypatch.setenv("DBPW", "pw-123")
    text = MINIMAL.replace("sqlite:///sigap.db", "postgresql://u@127.0.0.1/db\n  password: {env: DBPW}")
    config = load_config(write(tmp_path, text))
    assert "pw-123" in config.database_url()
    assert "pw-123" not in config.database_url_redacted()


def test_relative_sqlite_path_lives_in_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGAP_STATE_DIR", str(tmp_path / "state"))
    config = load_config(write(tmp_path, MINIMAL))
    assert config.database_url() == f"sqlite:///{tmp_path}/state/sigap.db"
    config = load_config(write(tmp_path, MINIMAL + "state_dir: var\n"))
    assert config.database_url() == f"sqlite:///{tmp_path}/var/sigap.db"


def test_servers_csv_import(tmp_path):
    csv_text = (
        "\ufeffhostname,ip,opd,purpose,rack\n"
        "portal.pemda.test,127.0.0.10,Diskominfo,Portal,R1\n"
        "portal.pemda.test,::1,,,\n"
        "simpeg.pemda.test,127.0.0.11,BKPSDM,Kepegawaian,R2\n"
    )
    (tmp_path / "ip.csv").write_text(csv_text, encoding="utf-8")
    config = load_config(write(tmp_path, MINIMAL + "targets:\n  servers_csv: ip.csv\n"))
    servers = {s.name: s for s in config.targets.servers}
    assert [str(ip) for ip in servers["portal.pemda.test"].ips] == ["127.0.0.10", "::1"]
    assert servers["portal.pemda.test"].opd == "Diskominfo"
    assert servers["simpeg.pemda.test"].purpose == "Kepegawaian"


def test_servers_csv_errors_name_the_line(tmp_path):
    path = tmp_path / "ip.csv"
    path.write_text("hostname,ip\nok.test,127.0.0.1\nbad.test,127.0.0.300\n")
    with pytest.raises(InputError) as err:
        read_servers_csv(path)
    assert str(err.value) == f"{path}: line 3: ip: not an IP address: '127.0.0.300'"
    path.write_text("host,address\n")
    with pytest.raises(InputError, match="line 1: header lacks hostname, ip"):
        read_servers_csv(path)


def test_servers_csv_saved_by_excel_as_windows_1252_is_read_and_said(tmp_path, caplog):
    """Excel's plain "CSV" on Windows is Windows-1252: before, a 50-line UnicodeDecodeError, exit 1."""
    path = tmp_path / "ip.csv"
    path.write_bytes("hostname,ip,opd\nportal.test,127.0.0.10,Dinas Perhubungan é\n".encode("cp1252"))
    with caplog.at_level("WARNING", logger="sigap.config"):
        [host] = read_servers_csv(path)
    assert host["opd"] == "Dinas Perhubungan é"
    assert "read as Windows-1252" in caplog.text and str(path) in caplog.text


def test_servers_csv_with_a_byte_no_encoding_reads_is_one_line_naming_it(tmp_path):
    path = tmp_path / "ip.csv"
    path.write_bytes(b"hostname,ip,opd\nportal.test,127.0.0.10,Dinas \xe9\nsimpeg.test,127.0.0.11,X \x81\n")
    with pytest.raises(InputError) as err:
        read_servers_csv(path)
    assert str(err.value) == (
        f"{path}: line 3: byte 0x81 is neither UTF-8 nor Windows-1252; save the file as CSV UTF-8"
    )


def test_holiday_calendar_has_cuti_bersama_and_local_days(tmp_path):
    text = MINIMAL + ""
    text = text.replace(
        "  timezone: Asia/Makassar\n",
        "  timezone: Asia/Makassar\n  holidays:\n    extra:\n"
        "      - {date: 2026-07-07, name: Hari Jadi Kabupaten}\n",
    )
    calendar = load_config(write(tmp_path, text)).office.holiday_calendar([2026])
    assert calendar[date(2026, 8, 17)]  # Hari Kemerdekaan
    assert date(2026, 12, 24) in calendar  # cuti bersama Natal (government category)
    assert calendar[date(2026, 7, 7)] == "Hari Jadi Kabupaten"
    without = load_config(write(tmp_path, text.replace("    extra:", "    cuti_bersama: false\n    extra:")))
    assert date(2026, 12, 24) not in without.office.holiday_calendar([2026])


def test_an_unparseable_database_url_does_not_echo_its_password(tmp_path):
    """Before: `cannot parse database URL 'post gres://sigap:rahasia@db/sigap'`, password and all."""
    text = MINIMAL.replace("sqlite:///sigap.db", "post gres://sigap:rah@sia@db.pemda.test/sigap")
    assert text != MINIMAL
    with pytest.raises(InputError) as err:
        load_config(write(tmp_path, text))
    assert "rah" not in str(err.value) and "sia" not in str(err.value)
    assert "sigap:***@db.pemda.test" in str(err.value)
