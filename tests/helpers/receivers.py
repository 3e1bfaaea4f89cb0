"""Loopback receivers for what Sigap sends: an SMTP mailbox (aiosmtpd) and a JSON webhook gateway."""

from __future__ import annotations

import json
import threading
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=email_policy))
        )
        return "250 OK"


class Webhook:
    """A local WhatsApp/Telegram gateway stand-in: JSON POSTs, down (503) until told to recover."""

    def __init__(self) -> None:
        self.up = False
        self.refused = 0
        self.received: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not hook.up:
                    hook.refused += 1
                    self.send_response(503)
                    self.end_headers()
                    return
                hook.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
