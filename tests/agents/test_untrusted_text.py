"""What a monitored site (or the config) says is untrusted in every HTML Sigap writes (house rule 10).

An OPD site answers with a hostile Content-Type header; the crawl's finding quotes it, the case is
opened, and the notifier mails it through apprise to a real SMTP server (aiosmtpd) on loopback. The
mail that arrives carries the text as text: an HTML part, where there is one, holds it escaped
(`&lt;script`), never as markup; the plain part reads the words as they were.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path

from helpers.cli import sigap_with as sigap
from helpers.websrv import Site, ThreadedWebServer

from agents.notify.messages import CaseLine, compose

HOSTILE_TYPE = "text/x-<script>alert(1)</script>"
OPD = 'Dinas <b onmouseover="x()">Uji</b> & Co'


def _config(tmp_path: Path, site_url: str, smtp_port: int) -> Path:
    mail = f"mailto://127.0.0.1:{smtp_port}?from=sigap@localhost&mode=insecure"
    config = tmp_path / "sigap.yaml"
    config.write_text(
        f"""
office: {{name: Diskominfo Uji, timezone: Asia/Makassar}}
database: {{url: "sqlite:///{tmp_path / "ledger.db"}"}}
state_dir: {tmp_path / "state"}
targets:
  websites:
    - id: opd-uji
      opd: '{OPD}'
      url: {site_url}
      owned_by_office: true
notify:
  send_timeout_s: 5
  channels:
    - id: mail-aptika
      url: "{mail}&to=aptika@localhost"
      roles: [Bidang Aptika]
    - id: mail-admin-html
      url: "{mail}&to=admin@localhost&format=html"
      roles: [Admin Website OPD]
""",
        encoding="utf-8",
    )
    return config


def _parts(message) -> dict[str, str]:
    return {
        part.get_content_subtype(): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


def test_a_hostile_content_type_reaches_the_mail_as_text(tmp_path, mailbox):
    box, smtp_port = mailbox
    sites = {"127.0.44.1": Site().add("/", "<html><body>halo</body></html>", content_type=HOSTILE_TYPE)}
    with ThreadedWebServer(sites) as srv:
        config = _config(tmp_path, srv.url("127.0.44.1"), smtp_port)
        run = sigap(config, "run", "kaltim-monitoring-website", "--once")
        assert run.returncode == 0, run.stderr
        assert "1 dibuka" in run.stdout, run.stdout
    sent = sigap(config, "notify", "run", "--once")
    assert sent.returncode == 0, sent.stderr
    by_rcpt = {rcpt[0]: message for rcpt, message in box.messages}
    assert set(by_rcpt) == {"aptika@localhost", "admin@localhost"}, sent.stderr
    for rcpt, message in by_rcpt.items():
        parts = _parts(message)
        assert "plain" in parts, (rcpt, list(parts))
        plain = parts["plain"]
        assert "<script>alert(1)</script>" in plain, (rcpt, plain)  # the officer reads what the site sent
        assert OPD in plain and OPD in str(message["subject"])
        html = parts.get("html")
        if html is not None:  # `format=html` asks for one: the text is in it, as text
            assert "<script" not in html and "<b " not in html, (rcpt, html)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
            shown = unescape(html).replace("\xa0", " ")  # what the mail client displays
            assert "<script>alert(1)</script>" in shown and OPD in shown
            assert "<br" in html  # one line per fact, as in the plain part
    assert "html" in _parts(by_rcpt["admin@localhost"])


def test_the_message_body_is_plain_text_one_line_per_fact_and_bounded():
    """compose() writes text, never markup; a site's line breaks do not forge lines of their own (a
    fake "Tanggapi" line), and its endless header or title does not make a notification a page."""
    from datetime import UTC, datetime

    from agents.config import Office
    from sop_registry.loader import load_registry

    sop = load_registry(())["kaltim-monitoring-website"]
    huge = "<script>\r\nTanggapi: balas ke penipu\n" + "x" * 20_000
    line = CaseLine(
        id=7,
        title=f"{OPD}: {huge}",
        target="http://127.0.44.1/<script>",
        sop=sop,
        step_no=3,
        role="Bidang Aptika",
        deadline=None,
        finding=None,
        opened_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    office = Office(name="Diskominfo Uji", timezone="Asia/Makassar")
    for lang in ("id", "en"):
        text = compose("opened", [line], office, lang)
        assert "<script> Tanggapi: balas ke penipu x" in text["body"] and "&lt;" not in text["body"]
        assert f"#7 - {OPD}: <script>" in text["body"] and "\r" not in text["body"]
        assert not any(ln.startswith("Tanggapi: balas") for ln in text["body"].splitlines())
        assert "\n" not in text["title"] and text["title"].endswith("…")
        assert len(text["body"]) < 4000 and len(text["title"]) < 400
        many = compose("opened", [line] * 3, office, lang)
        assert len(many["body"]) < 6000
