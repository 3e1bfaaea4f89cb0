"""Alert mails: a multipart message of our own, sent with smtplib to the server a mailto URL names.

Apprise parses the channel's URL (its own parser, so `mailtos://user:pass@host`, `?mode=`, `?to=`,
`?from=`, `?cc=`, `?verify=no` and its provider templates mean what its documentation says), but it
does not compose or send the mail: told "text" it sends no HTML part, told "html" it makes the
plain part by stripping the HTML, which lost the line breaks. Sending ourselves also keeps the
server's own answer ("451 4.3.0 coba lagi nanti") for the attempt's record.

A login only ever goes inside TLS: a URL with a user and password but no TLS is refused, and a
server that does not offer the STARTTLS the URL asks for is refused before the login.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

MAIL_SCHEMES = ("mailto", "mailtos")


def is_mail_url(url: str) -> bool:
    return url.partition("://")[0].strip().lower() in MAIL_SCHEMES


class MailError(Exception):
    """The server (or the way to it) did not take the mail; the text is its answer, no secrets."""


@dataclass(frozen=True)
class MailServer:
    """What a mailto/mailtos URL says: where to connect, how, as whom, from and to whom."""

    host: str
    port: int
    security: str  # insecure | starttls | ssl (apprise's secure modes)
    user: str | None
    password: str | None = field(repr=False)
    verify: bool
    sender: tuple[str, str]  # (display name or "", address)
    to: tuple[tuple[str, str], ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: tuple[str, ...] = ()

    @classmethod
    def from_url(cls, url: str) -> MailServer:
        """ValueError (without the URL's secrets) when the URL is no usable mail server."""
        # Imported here: the config reads mail URLs at load, and most commands never send anything.
        from apprise.exception import AppriseException
        from apprise.plugins.email import NotifyEmail

        args = NotifyEmail.parse_url(url)
        if not args:
            raise ValueError("apprise cannot read this e-mail URL")
        try:
            plugin = NotifyEmail(**args)
        except (AppriseException, TypeError, ValueError) as exc:
            raise ValueError(_scrub(str(exc), args.get("password"), url)) from None
        server = cls(
            host=plugin.smtp_host,
            port=int(plugin.port),
            security=str(plugin.secure_mode),
            user=plugin.user or None,
            password=plugin.password or None,
            verify=bool(plugin.verify_certificate),
            sender=(plugin.from_addr[0] or "", plugin.from_addr[1]),
            to=tuple((name or "", address) for name, address in plugin.targets),
            cc=tuple(sorted(plugin.cc)),
            bcc=tuple(sorted(plugin.bcc)),
            reply_to=tuple(sorted(plugin.reply_to)),
        )
        if not server.host:
            raise ValueError("the e-mail URL names no SMTP server")
        if not server.to:  # apprise drops an address it cannot read, and would then mail nobody
            raise ValueError("the e-mail URL names no valid recipient (?to=)")
        if server.logs_in and server.security not in ("starttls", "ssl"):
            raise ValueError(
                "a login (user:password) is only sent inside TLS: use mailtos:// or ?mode=starttls "
                "or ?mode=ssl"
            )
        return server

    @property
    def logs_in(self) -> bool:
        return bool(self.user and self.password)


def build(
    server: MailServer, subject: str, text: str, html: str | None, to: list[str], cc: list[str]
) -> EmailMessage:
    """text/plain (line breaks kept) and, when there is one, its text/html alternative."""
    message = EmailMessage()
    name, address = server.sender
    # apprise names a sender it made up from the login "Apprise"; the office's mail says "Sigap"
    message["From"] = formataddr((name if name and name != "Apprise" else "Sigap", address))
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if server.reply_to:
        message["Reply-To"] = ", ".join(server.reply_to)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid("sigap", domain=address.rpartition("@")[2] or None)
    message["X-Mailer"] = "Sigap"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())}".strip()


def explain(exc: BaseException) -> str:
    """The server's answer, as it gave it: '451 4.3.0 coba lagi nanti'."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = [f"{rcpt}: {_reply(code, said)}" for rcpt, (code, said) in exc.recipients.items()]
        return "RCPT TO refused " + "; ".join(refused)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"MAIL FROM refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPDataError):
        return f"DATA refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, TimeoutError) or (
        isinstance(exc, smtplib.SMTPServerDisconnected) and "timed out" in str(exc)
    ):
        return "no answer in time"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server closed the connection ({exc})"
    return f"{type(exc).__name__}: {exc}"


def _scrub(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class _Session:
    """One SMTP conversation with a deadline: every step gets only what is left of the timeout."""

    def __init__(self, server: MailServer, timeout_s: float) -> None:
        self.server = server
        self.deadline = time.monotonic() + timeout_s
        self.client: smtplib.SMTP | None = None

    def left(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        if self.client is not None and self.client.sock is not None:
            self.client.sock.settimeout(remaining)
        return remaining

    def send(self, message: EmailMessage, recipients: list[str]) -> dict[str, str]:
        server = self.server
        context = ssl.create_default_context()
        if not server.verify:  # the URL's ?verify=no: a server with the office's own certificate
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if server.security == "ssl":
            self.client = smtplib.SMTP_SSL(server.host, server.port, timeout=self.left(), context=context)
        else:
            self.client = smtplib.SMTP(server.host, server.port, timeout=self.left())
        with self.client as client:
            self.left()
            client.ehlo()
            if server.security == "starttls":
                if not client.has_extn("starttls"):
                    raise MailError(f"{server.host}:{server.port} does not offer STARTTLS")
                self.left()
                client.starttls(context=context)
                self.left()
                client.ehlo()
            if server.logs_in:
                if server.security not in ("starttls", "ssl"):  # from_url refuses this already
                    raise MailError("no login without TLS")
                self.left()
                client.login(server.user or "", server.password or "")
            self.left()
            refused = client.send_message(message, from_addr=server.sender[1], to_addrs=recipients)
        return {rcpt: _reply(code, said) for rcpt, (code, said) in refused.items()}


def send_mail(
    server: MailServer,
    message: EmailMessage,
    recipients: list[str],
    timeout_s: float,
    *,
    secrets: tuple[str, ...] = (),
) -> dict[str, str]:
    """Deliver one message (blocking). Returns the recipients the server refused while it took the
    mail for the others; raises MailError with the server's answer when it took it for nobody."""
    where = f"{server.host}:{server.port}"
    try:
        return _Session(server, timeout_s).send(message, recipients)
    except MailError as exc:
        raise MailError(_scrub(str(exc), server.password, *secrets)) from None
    except Exception as exc:  # smtplib, the socket, TLS; or a login smtplib cannot encode (it names it)
        raise MailError(_scrub(f"{where}: {explain(exc)}", server.password, *secrets)[:500]) from None


async def send_mail_async(
    server: MailServer,
    message: EmailMessage,
    recipients: list[str],
    timeout_s: float,
    *,
    secrets: tuple[str, ...] = (),
) -> dict[str, str]:
    """send_mail in a thread, so the event loop (the service's checks) goes on while a slow server
    answers. Each SMTP step is bounded by what is left of `timeout_s`; the outer wait is a guard."""
    sending = asyncio.to_thread(send_mail, server, message, recipients, timeout_s, secrets=secrets)
    try:
        return await asyncio.wait_for(sending, timeout_s + 1)
    except TimeoutError:
        raise MailError(f"no answer in {timeout_s:g} s") from None
