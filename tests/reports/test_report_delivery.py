"""Sending, approving, listing and the service's Monday send: a real SMTP server on loopback (aiosmtpd,
STARTTLS with a test CA, AUTH LOGIN), the ledger as the record of every step."""

from __future__ import annotations

import json
import ssl
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.hazmat.primitives import serialization
from helpers.cli import sigap_with as sigap
from helpers.netservers import free_port
from helpers.receivers import Mailbox
from helpers.reportfill import GENERATED, WITA, config_data, fill_full_week, make_config, wita
from helpers.tlsserver import Issuer, pem
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents import weekly_report
from agents.service.jobs import JobSpec, last_accounted
from reports.period import Week
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import StepRun
from sop_registry.ledger.store import begin_step_run, finish_step_run
from sop_registry.loader import load_registry

W47 = Week(2026, 47)
USER, PASSWORD = "sigap", "rahasia-smtp"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 that insists on STARTTLS before AUTH, and AUTH before mail."""

    def __init__(self, tmp: Path) -> None:
        ca = Issuer("Sigap Test Mail CA")
        cert, key = ca.leaf(["127.0.0.1"], days_left=30)
        (tmp / "ca.pem").write_bytes(pem(ca.cert))
        (tmp / "mail.pem").write_bytes(pem(cert))
        (tmp / "mail.key").write_bytes(
            key.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp / "mail.pem", tmp / "mail.key")
        self.ca_file = tmp / "ca.pem"
        self.box = Mailbox()
        self.logins: list[str] = []
        self.controller = Controller(
            self.box,
            hostname="127.0.0.1",
            port=free_port(),
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=self._auth,
        )
        self.controller.start()
        self.port = self.controller.port

    def _auth(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535 itself

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def report_settings(smtp: SmtpServer, **extra) -> dict:
    return {
        "recipients": ["kabid.aptika@kab.test", "arsip@kab.test"],
        "cc": ["tim.website@kab.test"],
        "smtp": {
            "host": "127.0.0.1",
            "port": smtp.port,
            "username": USER,
            "password": PASSWORD,
            "sender": "Sigap <sigap@kab.test>",
            "ca_file": str(smtp.ca_file),
            "timeout_s": 10,
        },
        **extra,
    }


@pytest.fixture
def ledger(tmp_path, registry):
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    fill_full_week(engine, registry)
    yield engine
    engine.dispose()


def _runs(engine, step_no: int) -> list[StepRun]:
    with Session(engine) as s:
        return list(
            s.scalars(
                select(StepRun)
                .where(StepRun.sop_id == "kaltim-monitoring-website", StepRun.step_no == step_no)
                .order_by(StepRun.id)
            )
        )


def test_send_over_starttls_with_login_reaches_every_recipient_with_the_attachments(
    smtp, ledger, tmp_path, registry
):
    config = make_config(tmp_path, report=report_settings(smtp))
    produced = weekly_report.produce(config, registry, ledger, W47, GENERATED)
    sent = weekly_report.deliver(config, registry, ledger, W47, GENERATED + timedelta(minutes=1))
    assert smtp.logins == [USER]
    assert len(smtp.box.messages) == 1
    rcpts, message = smtp.box.messages[0]
    assert sorted(rcpts) == ["arsip@kab.test", "kabid.aptika@kab.test", "tim.website@kab.test"]
    assert sorted(sent.recipients) == sorted(rcpts) and sent.refused == {}
    assert message["Subject"].startswith("Laporan Mingguan Monitoring TIK — Minggu ke-47 tahun 2026")
    assert message["Cc"] == "tim.website@kab.test"
    attachments = {
        part.get_filename(): (part.get_content_type(), part.get_content())
        for part in message.iter_attachments()
    }
    assert set(attachments) == {"laporan-mingguan-2026-W47.pdf", "laporan-mingguan-2026-W47.xlsx"}
    pdf_type, pdf = attachments["laporan-mingguan-2026-W47.pdf"]
    assert pdf_type == "application/pdf" and pdf == produced.files["pdf"].read_bytes()
    xlsx_type, xlsx = attachments["laporan-mingguan-2026-W47.xlsx"]
    assert xlsx_type.endswith("spreadsheetml.sheet") and xlsx[:2] == b"PK"
    body = message.get_body(("html",)).get_content()
    assert "Kesegaran Konten Website OPD" in body and "98,91" in body
    assert "Situs segar: 0 / 2" in message.get_body(("plain",)).get_content()
    # the record: archive (step 4) and the report to the Kepala Bidang (step 2)
    archive = [r for r in _runs(ledger, 4) if r.agent == "weekly_report"]
    assert [(r.status, r.output_kind, r.details["week"]) for r in archive] == [("ok", "arsip", "2026-W47")]
    assert archive[0].output_ref == str(produced.directory)
    delivered = [r for r in _runs(ledger, 2) if r.agent == "weekly_report"]
    assert [(r.status, r.output_kind) for r in delivered] == [("ok", "laporan_rekapitulasi")]
    assert sorted(delivered[0].details["recipients"]) == sorted(rcpts)
    meta = json.loads((produced.directory / "meta.json").read_text())
    assert [s["ok"] for s in meta["sends"]] == [True]


def test_a_refused_login_is_recorded_as_an_error_run_and_nothing_is_sent(smtp, ledger, tmp_path, registry):
    settings = report_settings(smtp)
    settings["smtp"]["password"] = "salah"
    config = make_config(tmp_path, report=settings)
    weekly_report.produce(config, registry, ledger, W47, GENERATED, formats=("html", "pdf", "xlsx"))
    with pytest.raises(Exception, match=r"535|Authentication"):
        weekly_report.deliver(config, registry, ledger, W47, GENERATED)
    assert smtp.box.messages == []
    delivered = [r for r in _runs(ledger, 2) if r.agent == "weekly_report"]
    assert [r.status for r in delivered] == ["error"] and "smtp 127.0.0.1" in delivered[0].reason


def test_starttls_is_never_skipped(tmp_path, ledger, registry):
    """A server without STARTTLS gets no login and no report (the password would go in the clear)."""
    box = Mailbox()
    plain = Controller(box, hostname="127.0.0.1", port=free_port())
    plain.start()
    try:
        config = make_config(
            tmp_path,
            report={
                "recipients": ["kabid@kab.test"],
                "smtp": {"host": "127.0.0.1", "port": plain.port, "username": USER, "password": PASSWORD,
                         "sender": "sigap@kab.test"},
            },
        )  # fmt: skip
        weekly_report.produce(config, registry, ledger, W47, GENERATED, formats=("html", "pdf", "xlsx"))
        with pytest.raises(Exception, match="STARTTLS"):
            weekly_report.deliver(config, registry, ledger, W47, GENERATED)
        assert box.messages == []
    finally:
        plain.stop()


# --- the service's Monday send ----------------------------------------------------------------------


def _crawl(engine, registry, at, status="ok"):
    with Session(engine) as s, s.begin():
        run = begin_step_run(
            s,
            registry["kaltim-monitoring-website"],
            2,
            started_at=at,
            agent="web_freshness",
            target_group="websites",
        )
        if status != "running":
            finish_step_run(
                s, run, finished_at=at + timedelta(minutes=20), status=status, details={"recap": []}
            )


def _running_since(engine, registry, at):
    """The service was there at `at`: one link check on record (a report is owed only for weeks the
    ledger existed in)."""
    with Session(engine) as s, s.begin():
        run = begin_step_run(s, registry["polman-15"], 1, started_at=at, agent="link", target_group="links")
        finish_step_run(s, run, finished_at=at, status="ok")


def service_tick(config, registry, engine, now):
    """One check of the service's report loop at `now`, in this process with the clock stopped there
    (`sigap serve` makes the report in a spawned process; the last test runs that)."""
    week = weekly_report.owed_week(config, engine, now)
    if week is not None:
        weekly_report.make_and_send(config, registry, engine, week, lambda: now)
    return week


def test_the_service_sends_last_weeks_report_once_after_mondays_crawl(smtp, tmp_path, registry):
    engine = connect(f"sqlite:///{tmp_path / 'svc.db'}")
    upgrade(engine)
    config = make_config(tmp_path, report=report_settings(smtp, send_after="07:00"))
    _running_since(engine, registry, wita(2026, 11, 16, 9, 0))
    clock = {"now": wita(2026, 11, 23, 6, 59)}

    def tick():
        return service_tick(config, registry, engine, clock["now"])

    assert tick() is None  # before Monday 07:00
    clock["now"] = wita(2026, 11, 23, 7, 1)
    assert tick() is None  # no crawl yet this morning
    _crawl(engine, registry, wita(2026, 11, 23, 7, 0), status="running")
    clock["now"] = wita(2026, 11, 23, 7, 10)
    assert tick() is None  # the crawl is still running
    with Session(engine) as s, s.begin():
        run = s.scalars(select(StepRun).where(StepRun.status == "running")).one()
        finish_step_run(s, run, finished_at=wita(2026, 11, 23, 7, 20), status="warn", details={"recap": []})
    clock["now"] = wita(2026, 11, 23, 7, 21)
    assert tick() == W47
    assert len(smtp.box.messages) == 1
    clock["now"] = wita(2026, 11, 23, 7, 22)
    assert tick() is None  # sent: not again
    clock["now"] = wita(2026, 11, 24, 7, 22)
    assert tick() is None  # nor on Tuesday
    assert len(smtp.box.messages) == 1
    # The report's own step-2 run does not count as a crawl for the crawl job's catch-up.
    sop = "kaltim-monitoring-website"
    schedule = registry[sop].step(2).automation.schedule
    spec = JobSpec(f"{sop}:2:websites", sop, 2, "web_freshness", "websites", schedule, True)
    with Session(engine) as s:
        assert last_accounted(s, spec, None) == wita(2026, 11, 23, 7, 0)
    engine.dispose()


def test_the_service_retries_a_failed_send_after_the_wait_then_gives_up(tmp_path, registry):
    engine = connect(f"sqlite:///{tmp_path / 'svc.db'}")
    upgrade(engine)
    closed_port = free_port()  # nothing listens: connection refused
    config = make_config(
        tmp_path,
        targets={"websites": [], "links": []},  # no crawl to wait for
        report={"recipients": ["kabid@kab.test"], "retry_minutes": 30, "max_attempts": 2,
                "smtp": {"host": "127.0.0.1", "port": closed_port, "security": "none", "sender": "s@kab.test",
                         "timeout_s": 2}},
    )  # fmt: skip
    _running_since(engine, registry, wita(2026, 11, 16, 9, 0))
    at = {"now": wita(2026, 11, 23, 7, 5)}

    def tick():
        return service_tick(config, registry, engine, at["now"])

    assert tick() == W47  # tried, failed, recorded
    at["now"] += timedelta(minutes=10)
    assert tick() is None  # waits retry_minutes
    at["now"] += timedelta(minutes=25)
    assert tick() == W47  # second attempt
    at["now"] += timedelta(hours=2)
    assert tick() is None  # max_attempts reached
    statuses = [r.status for r in _runs(engine, 2) if r.agent == "weekly_report"]
    assert statuses == ["error", "error"]
    engine.dispose()


# --- the commands ----------------------------------------------------------------------------------


def _write_config(tmp_path, smtp: SmtpServer | None) -> Path:
    data = config_data(tmp_path)
    data["database"] = {"url": f"sqlite:///{tmp_path / 'cli.db'}"}
    if smtp is not None:
        data["report"] = report_settings(smtp)
    path = tmp_path / "sigap.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_report_commands_make_send_approve_list_and_resend(smtp, tmp_path):
    config = _write_config(tmp_path, smtp)
    week = str(Week.previous_of(datetime.now(UTC), WITA))
    out = tmp_path / "out"
    out.mkdir()  # --out names an existing directory
    made = sigap(config, "report", "weekly", "--format", "pdf,xlsx", "--out", str(out), "--send", "--json")
    assert made.returncode == 0, made.stderr
    result = json.loads(made.stdout)
    assert result["week"] == week
    assert sorted(p.name for p in out.iterdir()) == [
        f"laporan-mingguan-{week}.pdf",
        f"laporan-mingguan-{week}.xlsx",
    ]
    assert len(result["sent_to"]) == 3 and len(smtp.box.messages) == 1

    approve = sigap(
        config, "report", "approve", "--week", week, "--by", "Ir. Andi Basri", "--note", "lanjutkan"
    )
    assert approve.returncode == 0, approve.stderr
    assert "disetujui oleh Ir. Andi Basri" in approve.stdout
    again = sigap(config, "report", "approve", "--week", week, "--by", "Orang Lain")
    assert (
        again.returncode == 2
        and again.stderr.count("\n") == 1
        and "already approved by Ir. Andi Basri" in again.stderr
    )

    listed = sigap(config, "report", "list", "--json")
    rows = json.loads(listed.stdout)
    assert [r["week"] for r in rows] == [week]
    assert rows[0]["approval"]["by"] == "Ir. Andi Basri" and [s["ok"] for s in rows[0]["sends"]] == [True]
    text = sigap(config, "report", "list")
    assert (
        f"{week}\t" in text.stdout
        and "dikirim 1x" in text.stdout
        and "disetujui Ir. Andi Basri" in text.stdout
    )

    resend = sigap(config, "report", "send", "--week", week, "--to", "pengganti@kab.test")
    assert resend.returncode == 0, resend.stderr
    assert [m[0] for m in smtp.box.messages[1:]] == [["pengganti@kab.test"]]

    # the next weekly report shows the approval in its approval block
    remade = sigap(config, "report", "weekly", "--week", week, "--format", "html")
    html = Path(remade.stdout.strip()).read_text(encoding="utf-8")
    assert "Disetujui oleh Ir. Andi Basri" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "weekly", "--week", "2026-47"], "--week: '2026-47' is not an ISO week"),
        (["report", "weekly", "--week", "2099-W01"], "--week: 2099-W01 has not started yet"),
        (["report", "weekly", "--format", "pdf,doc"], "--format: 'doc' is not one of html, pdf, xlsx"),
        (["report", "weekly", "--send"], "--send: no report.smtp in the config"),
        (["report", "approve", "--week", "2026-W10", "--by", "X"], "no stored report for 2026-W10"),
        (["report", "send", "--week", "2026-W10"], "report.smtp: no mail server configured"),
    ],
)
def test_bad_report_arguments_exit_2_with_one_line(tmp_path, args, message):
    config = _write_config(tmp_path, None)
    result = sigap(config, *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr


def test_a_send_that_fails_exits_1_and_keeps_the_report(tmp_path):
    data = config_data(tmp_path)
    data["database"] = {"url": f"sqlite:///{tmp_path / 'cli.db'}"}
    smtp = {"host": "127.0.0.1", "port": free_port(), "sender": "s@kab.test", "timeout_s": 2}
    data["report"] = {"recipients": ["kabid@kab.test"], "smtp": smtp}
    path = tmp_path / "sigap.yaml"
    path.write_text(yaml.safe_dump(data))
    result = sigap(path, "report", "weekly", "--week", "2026-W46", "--send")
    assert result.returncode == 1 and "report 2026-W46 not sent" in result.stderr
    assert (tmp_path / "state" / "reports" / "2026-W46" / "laporan-mingguan-2026-W46.pdf").is_file()


def test_sigap_serve_sends_the_owed_report_on_its_own(smtp, tmp_path):
    """A real `sigap serve`: last week's report is owed (send_after Monday 00:00 has passed, every day
    of the week), no websites to wait for; the leader makes it and the mail arrives, once."""
    from helpers.cli import Serve, wait_for

    http_port = free_port()
    data = config_data(tmp_path)
    data["database"] = {"url": f"sqlite:///{tmp_path / 'serve.db'}"}
    data["targets"] = {"links": [data["targets"]["links"][0] | {"method": "tcp", "port": http_port}]}
    data["http"] = {"listen": f"127.0.0.1:{http_port}"}
    data["service"] = {"stop_timeout_s": 3, "leader_retry_s": 0.5}
    data["report"] = report_settings(smtp, send_after="00:00", check_every_s=0.5)
    config = tmp_path / "sigap.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    seeded = connect(data["database"]["url"])  # the service already ran last week
    upgrade(seeded)
    last_week_start, _ = Week.previous_of(datetime.now(UTC), WITA).bounds(WITA)
    _running_since(seeded, load_registry(()), last_week_start + timedelta(hours=9))
    seeded.dispose()
    serve = Serve(config, http_port, tmp_path / "serve.log")
    try:
        serve.wait_healthy()
        wait_for(lambda: smtp.box.messages, 60, "the weekly report by mail")
        time.sleep(2)  # a few more checks: it must not be sent twice
        assert serve.term() < 10
    finally:
        serve.cleanup()
    assert len(smtp.box.messages) == 1, serve.log.read_text()[-2000:]
    week = str(Week.previous_of(datetime.now(UTC), WITA))
    engine = connect(data["database"]["url"])
    delivered = [r for r in _runs(engine, 2) if r.agent == "weekly_report"]
    assert [(r.status, r.trigger, r.details["week"]) for r in delivered] == [("ok", "scheduled", week)]
    engine.dispose()
    assert "weekly report done week=" + week in serve.log.read_text()


def test_a_first_start_owes_no_report_for_a_week_before_the_ledger(smtp, tmp_path, registry):
    """A new install's first Monday: no report of last week's empty ledger to the Kepala Bidang."""
    engine = connect(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(engine)
    config = make_config(tmp_path, targets={"websites": [], "links": []}, report=report_settings(smtp))
    monday = wita(2026, 11, 23, 9, 0)
    assert weekly_report.owed_week(config, engine, monday) is None  # installed this morning
    _running_since(engine, registry, wita(2026, 11, 23, 8, 0))
    assert weekly_report.owed_week(config, engine, monday) is None  # first run after the week ended
    _running_since(engine, registry, wita(2026, 11, 22, 23, 0))  # Sunday night: it was there
    assert weekly_report.owed_week(config, engine, monday) == W47
    engine.dispose()
