"""Certificate check against real TLS servers on loopback, with certificates made for each case."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.cli import sigap
from helpers.tlsserver import Issuer, TlsServer, pem, self_signed
from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.tls import TlsSettings, TlsTarget, TlsThresholds, check_tls
from checks.tls.evaluate import evaluate
from checks.tls.model import CertInfo, Probe
from sop_registry.ledger import Case, StepRun, connect

NAME = "sso.polewalimandarkab.go.id"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = Issuer("Sigap Test Root CA")
    inter = Issuer("Sigap Test Intermediate", parent=root)
    ca_file = tmp_path_factory.mktemp("ca") / "root.pem"
    ca_file.write_bytes(pem(root.cert))
    return root, inter, ca_file


def serve(inter: Issuer, names: list[str], days_left: float, *, send_intermediate: bool = True) -> TlsServer:
    cert, key = inter.leaf(names, days_left=days_left)
    return TlsServer([cert, inter.cert] if send_intermediate else [cert], key)


def run(targets: list[TlsTarget], ca_file: Path, limits: TlsThresholds | None = None):
    limits = limits or TlsThresholds()
    settings = TlsSettings(timeout_s=3, ca_file=ca_file)
    return asyncio.run(check_tls(targets, settings, datetime.now(UTC), [limits] * len(targets)))


@pytest.mark.parametrize(
    ("days_left", "status", "code"),
    [
        (90, "ok", "cert_ok"),
        (20, "warn", "cert_expiring"),
        (3, "crit", "cert_expiring"),
        (-2, "crit", "cert_expired"),
    ],
)
def test_days_left_against_limits(pki, days_left: float, status: str, code: str) -> None:
    _root, inter, ca_file = pki
    with serve(inter, [NAME], days_left + 0.5) as srv:
        [result] = run([TlsTarget("127.0.0.1", srv.port, NAME)], ca_file)
    assert (result.status, [f.code for f in result.findings]) == (status, [code])
    assert result.days_left == days_left
    assert result.issuer == "Sigap Test Intermediate" and result.names == [NAME]


def test_chain_and_name_problems(pki) -> None:
    _root, inter, ca_file = pki
    cert, key = self_signed(NAME)
    with (
        serve(inter, ["lain.polewalimandarkab.go.id"], 200.5) as wrong_name,
        serve(inter, [NAME], 200, send_intermediate=False) as no_intermediate,
        TlsServer([cert], key) as own,
    ):
        results = run(
            [
                TlsTarget("127.0.0.1", wrong_name.port, NAME),
                TlsTarget("127.0.0.1", no_intermediate.port, NAME),
                TlsTarget("127.0.0.1", own.port, NAME),
            ],
            ca_file,
        )
    codes = [[f.code for f in r.findings] for r in results]
    assert codes == [["cert_hostname_mismatch"], ["cert_chain_incomplete"], ["cert_self_signed"]]
    assert all(r.status == "crit" for r in results)
    assert results[0].findings[0].observed == {"value": ["lain.polewalimandarkab.go.id"], "unit": "name"}
    assert results[0].days_left == 200  # the refused certificate is still read and described


def test_unreachable_and_not_tls() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    plain = socket.create_server(("127.0.0.1", 0))  # accepts, then says something that is not TLS

    def answer() -> None:
        conn, _ = plain.accept()
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        conn.close()

    import threading

    threading.Thread(target=answer, daemon=True).start()
    results = asyncio.run(
        check_tls(
            [TlsTarget("127.0.0.1", closed_port, NAME), TlsTarget("127.0.0.1", plain.getsockname()[1], NAME)],
            TlsSettings(timeout_s=2),
            datetime.now(UTC),
            [TlsThresholds()] * 2,
        )
    )
    plain.close()
    assert [(r.status, r.findings[0].code) for r in results] == [("unknown", "tls_unreachable")] * 2
    assert "ditolak" in results[0].findings[0].params["detail"]
    assert "TLS gagal" in results[1].findings[0].params["detail"]


def test_evaluate_is_pure_and_rounds_days_down() -> None:
    now = datetime(2026, 11, 21, tzinfo=UTC)
    cert = CertInfo("x", "CA", now - timedelta(days=80), now + timedelta(days=7, hours=23), ["x"], "1", False)
    result = evaluate(TlsTarget("x", 443), Probe(verified=True, cert=cert), now, TlsThresholds())
    assert (result.days_left, result.status) == (7, "crit")  # 7 days 23 h: 7 full days, at the crit limit
    result = evaluate(
        TlsTarget("x", 443), Probe(verified=True, cert=cert), now, TlsThresholds(warn_days=5, crit_days=2)
    )
    assert result.status == "ok"


def test_check_tls_cli_json_and_table(pki) -> None:
    _root, inter, ca_file = pki
    with serve(inter, [NAME, "127.0.0.1"], 5.5) as srv:
        out = sigap(
            "check", "tls", f"127.0.0.1:{srv.port}", "--servername", NAME, "--ca-file", str(ca_file), "--json"
        )
        ip_only = sigap("check", "tls", f"127.0.0.1:{srv.port}", "--ca-file", str(ca_file), "--json")
        table = sigap("--lang", "en", "check", "tls", f"127.0.0.1:{srv.port}", "--servername", NAME)
    assert out.returncode == 0, out.stderr
    [line] = [json.loads(x) for x in out.stdout.splitlines()]
    assert line["target"] == f"{NAME}:{srv.port}" and line["status"] == "crit" and line["days_left"] == 5
    assert line["findings"][0]["code"] == "cert_expiring"
    assert line["findings"][0]["observed"] == {"value": 5, "unit": "day"}
    assert "habis masa berlaku dalam 5 hari" in line["findings"][0]["message"]
    assert json.loads(ip_only.stdout)["status"] == "crit"  # the IP is in the certificate: only expiry
    assert table.returncode == 0
    assert "expires in 5 days" in table.stdout and "chain incomplete or issuer not trusted" in table.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["http://127.0.0.1/"], "argument HOST"),
        (["127.0.0.1:0"], "argument HOST"),
        (["127.0.0.1", "--warn-days", "3", "--crit-days", "5"], "--crit-days"),
    ],
)
def test_check_tls_bad_arguments(args: list[str], needle: str) -> None:
    result = sigap("check", "tls", *args)
    assert result.returncode == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_agent_checks_https_sites_and_endpoints(pki, tmp_path: Path) -> None:
    _root, inter, ca_file = pki
    with serve(inter, ["127.0.0.1"], 120) as site, serve(inter, [NAME], 2.5) as sso:
        config = tmp_path / "sigap.yaml"
        config.write_text(
            "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
            f"database:\n  url: sqlite:///sigap.db\nstate_dir: {tmp_path / 'state'}\n"
            f"tls:\n  ca_file: {ca_file}\n"
            "targets:\n  websites:\n"
            f"    - {{id: dinkes, opd: Dinas Kesehatan, url: 'https://127.0.0.1:{site.port}/'}}\n"
            "    - {id: plain, opd: Bappeda, url: 'http://127.0.0.1:1/'}\n"
            "  tls_endpoints:\n"
            f"    - {{id: sso, host: 127.0.0.1, port: {sso.port}, server_name: {NAME}, opd: Diskominfo}}\n"
        )
        result = sigap("--config", str(config), "run", "polman-19", "--once")
    assert result.returncode == 0, result.stderr
    assert "polman-19 langkah 7: crit" in result.stdout and "1 dibuka" in result.stdout
    engine = connect(f"sqlite:///{tmp_path / 'state' / 'sigap.db'}")
    with Session(engine) as s:
        run_ = s.scalars(select(StepRun)).one()
        assert run_.details["counts"] == {
            "ok": 1,
            "warn": 0,
            "crit": 1,
            "unknown": 0,
        }  # http site not checked
        recap = Path(run_.output_ref).read_text(encoding="utf-8-sig")
        assert "Sisa hari" in recap and "Dinas Kesehatan" in recap
        case = s.scalars(select(Case)).one()
        assert (case.target, case.assignee_role) == ("sso", "Tim Teknis")
        assert "habis masa berlaku dalam 2 hari" in case.title
    engine.dispose()
