"""Sending the report by e-mail: the HTML as the body, its charts as PNG parts, the PDF and XLSX
attached.

Gmail and Outlook strip inline SVG from a message body, so each chart the archived HTML carries as SVG
goes as the PNG made beside it (reports/render.py keeps it in a comment before the <svg>), in a
multipart/related part the body's <img src="cid:..."> names. An archive from before PNGs is sent as it
was made.

Plain smtplib: the office's own mail server, STARTTLS (or implicit TLS) and a login. Apprise, which
carries the case notifications, cannot attach files to an SMTP message from memory and would hide
which recipients the server refused.
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from sop_registry.errors import InputError

_TYPES = {
    ".pdf": ("application", "pdf"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".html": ("text", "html"),
}


# <!--sigap-png:NAME:WxH:BASE64--><svg ...><title>TITLE</title>...</svg>, as reports/render.py writes it
_CHART = re.compile(
    r"<!--sigap-png:(?P<name>[\w-]+):(?P<w>\d+)x(?P<h>\d+):(?P<png>[A-Za-z0-9+/=]+)-->"
    r"<svg\b[^>]*>(?:<title>(?P<title>[^<]*)</title>)?.*?</svg>",
    re.DOTALL,
)


def inline_charts(body_html: str, domain: str | None) -> tuple[str, list[tuple[str, bytes]]]:
    """The body with each chart as <img src="cid:...">, and the (Content-ID, PNG) parts it names."""
    parts: list[tuple[str, bytes]] = []

    def swap(match: re.Match[str]) -> str:
        cid = make_msgid(f"chart-{match['name']}", domain=domain)[1:-1]
        parts.append((cid, base64.b64decode(match["png"])))
        title = match["title"] or match["name"]  # already escaped, as it stood in the SVG
        return (
            f'<img src="cid:{cid}" width="{match["w"]}" height="{match["h"]}" alt="{title}" '
            'style="max-width:100%;height:auto;border:0">'
        )

    return _CHART.sub(swap, body_html), parts


@dataclass(frozen=True)
class Sent:
    message_id: str
    recipients: list[str]
    refused: dict[str, str]  # recipient -> the server's answer, for those it would not take


def compose(
    sender: str,
    to: list[str],
    cc: list[str],
    subject: str,
    text: str,
    body_html: str,
    attachments: list[Path],
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip("> ") or None
    message["Message-ID"] = make_msgid("sigap-report", domain=domain)
    message.set_content(text)
    body_html, images = inline_charts(body_html, domain)
    message.add_alternative(body_html, subtype="html")
    html_part = message.get_body(("html",))
    for cid, png in images:
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", disposition="inline")
    for path in attachments:
        main, sub = _TYPES.get(path.suffix, ("application", "octet-stream"))
        message.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=path.name)
    return message


def send(smtp: Any, message: EmailMessage, recipients: list[str]) -> Sent:
    """Deliver through the configured server. Raises OSError/smtplib.SMTPException on failure."""
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    port = smtp.effective_port
    if smtp.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout_s, context=context)
    else:
        client = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout_s)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            if not client.has_extn("starttls"):
                # Never send the login in the clear because the server forgot its TLS.
                raise smtplib.SMTPNotSupportedError(f"{smtp.host}:{port} does not offer STARTTLS")
            client.starttls(context=context)
            client.ehlo()
        if smtp.username:
            if smtp.security == "none":
                # AUTH only ever inside TLS: config check refuses this, and so does the sender.
                raise InputError("report.smtp.username: no login without TLS (security: none)")
            if smtp.password is None:
                raise InputError("report.smtp.password: needed with report.smtp.username")
            client.login(smtp.username, smtp.password.get_secret_value(), initial_response_ok=False)
        refused = client.send_message(message, to_addrs=recipients)
    return Sent(
        str(message["Message-ID"]),
        [r for r in recipients if r not in refused],
        {
            k: f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for k, (code, text) in refused.items()
        },
    )
