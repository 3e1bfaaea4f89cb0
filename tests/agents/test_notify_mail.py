"""Alert mails as an office reads them: a real crawl of a stale OPD site on loopback, the runner's
case and outbox, the worker's real sender, a real SMTP server (aiosmtpd) that keeps what arrives.

The mail is multipart: a text/plain part with one fact per line and a text/html part with a table
of the cases; its subject names the OPD and the office time. A server that refuses says why, and
its answer is what the attempt records; a login is never sent outside TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.hazmat.primitives import serialization
from helpers.netservers import free_port
from helpers.receivers import Mailbox
from helpers.tlsserver import Issuer, pem
from helpers.websites import news_page
from helpers.websrv import Site, ThreadedWebServer
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import Config
from agents.notify.worker import AppriseSender, deliver_due
from agents.runner import run_step
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import Notification
from sop_registry.loader import load_registry

WITA = ZoneInfo("Asia/Makassar")
AT = datetime(2026, 11, 30, 14, 5, tzinfo=WITA)  # a Monday
SOP = "kaltim-monitoring-website"
STALE = "Berita/artikel terbaru 45 hari lalu, melewati batas 30 hari"
USER, PASSWORD = "sigap", "rahasia-smtp-77"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _config(tmp_path: Path, site_url: str, channels: list[dict], **notify) -> Config:
    return Config.model_validate(
        {
            "office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"},
            "database": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
            "state_dir": str(tmp_path / "state"),
            "targets": {
                "websites": [
                    {"id": "dishub", "opd": "Dinas Perhubungan", "url": site_url, "owned_by_office": True}
                ]
            },
            "notify": {"send_timeout_s": 5, "channels": channels, **notify},
        }
    )


def _crawl(tmp_path: Path, registry, channels: list[dict], **notify):
    """One stale site crawled at AT by the real runner: its case and the outbox rows it writes."""
    sites = {"127.0.36.1": Site().add("/", news_page(AT - timedelta(days=45)))}
    with ThreadedWebServer(sites) as srv:
        url = srv.url("127.0.36.1")
        config = _config(tmp_path, url, channels, **notify)
        engine = connect(config.database.url)
        upgrade(engine)
        result = asyncio.run(run_step(config, engine, registry[SOP], 2, clock=lambda: AT, registry=registry))
    assert result.cases_opened == 1, result
    return config, engine, url


def _deliver(engine, config, at=AT):
    return asyncio.run(deliver_due(engine, config, AppriseSender(config.notify.send_timeout_s), lambda: at))


class _Table(HTMLParser):
    """The table's rows as a mail client shows them (entities decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(html: str) -> list[list[str]]:
    parser = _Table()
    parser.feed(html)
    return parser.rows


def test_an_alert_mail_is_text_and_a_table_with_the_opd_and_office_time_in_the_subject(
    tmp_path, registry, mailbox
):
    box, port = mailbox
    mail = f"mailto://127.0.0.1:{port}?from=sigap@localhost"
    channels = [
        {"id": "aptika", "url": f"{mail}&to=aptika@localhost", "roles": ["Bidang Aptika"]},
        {"id": "web-en", "url": f"{mail}&to=web@localhost", "roles": ["Admin Website OPD"], "language": "en"},
    ]
    config, engine, url = _crawl(tmp_path, registry, channels)
    assert _deliver(engine, config).sent == 2
    by_rcpt = {rcpt[0]: message for rcpt, message in box.messages}
    assert set(by_rcpt) == {"aptika@localhost", "web@localhost"}

    mail_id = by_rcpt["aptika@localhost"]
    assert mail_id["Subject"] == f"[Sigap] GANGGUAN: Dinas Perhubungan - {STALE} (Senin, 30 Nov 14.05 WITA)"
    assert mail_id.get_content_type() == "multipart/alternative"
    plain = mail_id.get_body(("plain",)).get_content()
    assert plain.splitlines() == [
        f"Kasus #1 - Dinas Perhubungan: {STALE}",
        f"Target: {url}",
        f"Temuan: {STALE}",
        "SOP kaltim-monitoring-website Monitoring Website OPD di Lingkungan Pemerintah Provinsi Kalimantan "
        "Timur - langkah 3: Menerima laporan dari Tim Pengelola Website dan menyetujui.",
        "Pelaksana: Bidang Aptika",
        "Batas waktu: Senin, 30 Nov 2026 14.15 WITA (10 menit)",
        "Tanggapi: sigap case ack 1 --by NAMA",
    ]
    assert "<" not in plain  # the text part is text, not HTML turned into text
    html = mail_id.get_body(("html",)).get_content()
    header, *rows = _table(html)
    assert header == [
        "OPD", "Target", "Yang gagal", "Nilai dan batas", "Langkah SOP", "Pelaksana", "Batas waktu"
    ]
    assert rows == [
        [
            "Dinas Perhubungan",
            url,
            STALE,
            "45 hari (batas 30 hari)",
            f"{SOP} langkah 3: Menerima laporan dari Tim Pengelola Website dan menyetujui.",
            "Bidang Aptika",
            "Senin, 30 Nov 2026 14.15 WITA (10 menit)",
        ]
    ]

    mail_en = by_rcpt["web@localhost"]  # the channel's language: English words, English finding
    assert mail_en["Subject"] == (
        "[Sigap] PROBLEM: Dinas Perhubungan - Newest news/article is 45 days old, beyond the 30-day limit "
        "(Mon, 30 Nov 14:05 WITA)"
    ), mail_en["Subject"]
    plain_en = mail_en.get_body(("plain",)).get_content().splitlines()
    assert "Who acts: Bidang Aptika" in plain_en
    assert "Due: Mon, 30 Nov 2026 14:15 WITA (10 minutes)" in plain_en
    header, row = _table(mail_en.get_body(("html",)).get_content())
    assert header == ["OPD", "Target", "What failed", "Value and limit", "SOP step", "Who acts", "Deadline"]
    assert row[3] == "45 days (limit 30 days)" and row[6] == "Mon, 30 Nov 2026 14:15 WITA (10 minutes)"
    engine.dispose()


class _Refusing(Mailbox):
    """A mail server that has a temporary problem at RCPT or at DATA, until told it is over."""

    def __init__(self, at: str) -> None:
        super().__init__()
        self.at, self.down = at, True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.at == "RCPT" and self.down:
            return "451 4.3.0 coba lagi nanti"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.at == "DATA" and self.down:
            return "451 4.3.0 coba lagi nanti"
        return await super().handle_DATA(server, session, envelope)


class _Tls:
    """A test CA and a certificate for 127.0.0.1; the client trusts the CA through SSL_CERT_FILE."""

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
        self.ca_file = tmp / "ca.pem"
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(tmp / "mail.pem", tmp / "mail.key")


def _server(handler, tls: _Tls | None, logins: list[str], password: str = PASSWORD) -> Controller:
    def auth(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == password.encode()
        logins.append(auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?")
        return AuthResult(success=ok, handled=False)

    extra = {"tls_context": tls.context, "require_starttls": True} if tls else {"auth_require_tls": False}
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), auth_required=True, authenticator=auth, **extra
    )
    controller.start()
    return controller


@pytest.mark.parametrize("refused_at", ["RCPT", "DATA"])
def test_the_servers_answer_is_the_attempts_error_and_the_password_is_not(
    tmp_path, registry, monkeypatch, refused_at
):
    tls = _Tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))  # the office's own CA, as the system's
    handler, logins = _Refusing(refused_at), []
    controller = _server(handler, tls, logins)
    try:
        url = f"mailtos://{USER}:{PASSWORD}@127.0.0.1:{controller.port}?from=sigap@localhost&to=aptika@localhost"
        config, engine, _ = _crawl(tmp_path, registry, [{"id": "aptika", "url": url, "roles": ["*"]}])
        assert _deliver(engine, config).failed == 1
        with Session(engine) as s:
            note = s.scalars(select(Notification)).one()
            [attempt] = note.attempts_log
            assert not attempt.ok and "451 4.3.0 coba lagi nanti" in attempt.error, attempt.error
            assert refused_at in attempt.error  # which step of the conversation it was
            assert "451 4.3.0 coba lagi nanti" in note.last_error and note.status == "pending"
            assert PASSWORD not in attempt.error and PASSWORD not in note.last_error
            retry_at = note.next_attempt_at
        assert logins == [USER]  # it did log in, inside STARTTLS
        handler.down = False  # the server's problem is over: the retry delivers, once
        assert _deliver(engine, config, retry_at).sent == 1
        assert _deliver(engine, config, retry_at + timedelta(hours=1)).sent == 0
        assert [rcpt for rcpt, _ in handler.messages] == [["aptika@localhost"]]
    finally:
        controller.stop()
    engine.dispose()


def test_a_refused_login_says_so_without_the_password(tmp_path, registry, monkeypatch):
    tls = _Tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    logins: list[str] = []
    controller = _server(Mailbox(), tls, logins, password="the-real-one")
    try:
        url = f"mailtos://{USER}:{PASSWORD}@127.0.0.1:{controller.port}?from=sigap@localhost&to=a@localhost"
        config, engine, _ = _crawl(tmp_path, registry, [{"id": "aptika", "url": url, "roles": ["*"]}])
        assert _deliver(engine, config).failed == 1
        with Session(engine) as s:
            [attempt] = s.scalars(select(Notification)).one().attempts_log
        assert "login refused: 535" in attempt.error, attempt.error
        assert PASSWORD not in attempt.error
    finally:
        controller.stop()
    engine.dispose()


# The server below offers AUTH without TLS on purpose (aiosmtpd warns): Sigap must not take it.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_login_outside_tls(tmp_path, registry):
    # In the config: a login over plain SMTP is refused at start-up, naming the way out, not the password.
    with pytest.raises(ValidationError) as refused:
        _config(
            tmp_path,
            "http://127.0.0.1/",
            [{"id": "m", "url": f"mailto://{USER}:{PASSWORD}@127.0.0.1:2525?from=s@x.test", "roles": ["*"]}],
        )
    assert "only sent inside TLS" in str(refused.value) and PASSWORD not in str(refused.value)
    # At the server: one that does not offer the STARTTLS the URL asks for gets no login at all.
    logins: list[str] = []
    box = Mailbox()
    controller = _server(box, None, logins)
    try:
        url = f"mailtos://{USER}:{PASSWORD}@127.0.0.1:{controller.port}?from=sigap@localhost&to=a@localhost"
        config, engine, _ = _crawl(tmp_path, registry, [{"id": "aptika", "url": url, "roles": ["*"]}])
        assert _deliver(engine, config).failed == 1
        with Session(engine) as s:
            [attempt] = s.scalars(select(Notification)).one().attempts_log
        assert "does not offer STARTTLS" in attempt.error, attempt.error
        assert logins == [] and box.messages == []
    finally:
        controller.stop()
    engine.dispose()


class _OneUnknown(Mailbox):
    """A server that knows one of the two recipients only."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("pensiun@"):
            return "550 5.1.1 pengguna tidak dikenal"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_recipient_the_server_refuses_is_on_record_and_the_others_get_it_once(tmp_path, registry):
    handler = _OneUnknown()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        url = (
            f"mailto://127.0.0.1:{controller.port}?from=sigap@localhost"
            "&to=aptika@localhost,pensiun@localhost"
        )
        config, engine, _ = _crawl(tmp_path, registry, [{"id": "aptika", "url": url, "roles": ["*"]}])
        assert _deliver(engine, config).sent == 1  # taken for aptika: sending again would be a duplicate
        assert _deliver(engine, config, AT + timedelta(hours=1)).sent == 0
        with Session(engine) as s:
            note = s.scalars(select(Notification)).one()
            [attempt] = note.attempts_log
        assert note.status == "sent" and attempt.ok
        assert "pensiun@localhost: 550 5.1.1 pengguna tidak dikenal" in attempt.error
        assert "550 5.1.1" in note.last_error
        assert [rcpt for rcpt, _ in handler.messages] == [["aptika@localhost"]]
    finally:
        controller.stop()
    engine.dispose()


def test_a_server_that_never_answers_costs_one_timeout(tmp_path, registry):
    import socket
    import time

    with socket.create_server(("127.0.0.1", 0)) as silent:  # connects, never says 220
        port = silent.getsockname()[1]
        url = f"mailto://127.0.0.1:{port}?from=sigap@localhost&to=a@localhost"
        config, engine, _ = _crawl(
            tmp_path, registry, [{"id": "aptika", "url": url, "roles": ["*"]}], send_timeout_s=1
        )
        started = time.monotonic()
        assert _deliver(engine, config).failed == 1
        assert time.monotonic() - started < 3
    with Session(engine) as s:
        [attempt] = s.scalars(select(Notification)).one().attempts_log
    assert "no answer" in attempt.error, attempt.error
    engine.dispose()


OWN_TAGS = {"html", "head", "meta", "title", "body", "p", "strong", "br", "table", "tr", "th", "td"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs |= {name for name, _ in attrs}


def test_the_html_part_escapes_what_a_site_and_the_config_said(registry):
    from agents.config import Office
    from agents.notify.htmlpart import html_part
    from agents.notify.messages import CaseLine, draft
    from sop_registry.ledger.records import LeadFinding

    hostile = '<b onmouseover="x()">Dinas</b> & <script>alert(1)</script>'
    line = CaseLine(
        id=7,
        title=f"{hostile}: " + "<i>x</i>" * 5000,
        target="http://127.0.44.1/<script>",
        sop=registry[SOP],
        step_no=3,
        role="<u>Bidang</u>",
        deadline=None,
        finding=LeadFinding(
            message_id="<img src=x onerror=alert(1)>\nTanggapi: palsu",
            observed={"value": ["<svg onload=x>"], "unit": "name"},
            limit={"value": "<a href=javascript:x>", "unit": "<em>"},
        ),
        opened_at=AT,
        opd=hostile,
    )
    office = Office(name="<i>Kominfo</i>", timezone="Asia/Makassar")
    for lang in ("id", "en"):
        for lines in ([line], [line] * 3):
            text = draft("opened", lines, office, lang, at=AT, for_contact=True)
            html = html_part("opened", lines, office, lang, text)
            seen = _Tags()
            seen.feed(html)
            assert seen.tags <= OWN_TAGS
            assert seen.attrs <= {"lang", "charset", "style", "border", "cellpadding", "cellspacing"}
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;svg onload=x&gt;" in html
            assert "&lt;i&gt;Kominfo&lt;/i&gt;" in html
            assert len(html) < 20_000  # bounded as the text is: a site's endless title is not a page
            assert "\n" not in text.subject and text.subject.endswith("WITA)")


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("from=sigap@localhost&to=bukan-alamat", "no valid recipient"),
        ("from=bukan-alamat", "Invalid ~From~ email"),
        ("from=sigap@localhost&mode=kadang", "secure mode specified (kadang) is invalid"),
    ],
)
def test_a_mail_url_sigap_cannot_send_through_fails_at_start_up(tmp_path, query, said):
    channel = {"id": "m", "url": f"mailtos://{USER}:{PASSWORD}@127.0.0.1:2525?{query}", "roles": ["*"]}
    with pytest.raises(ValidationError) as refused:
        _config(tmp_path, "http://127.0.0.1/", [channel])
    assert said in str(refused.value) and PASSWORD not in str(refused.value)
