"""Fake WhatsApp gateways on loopback: Fonnte, Wablas and WAHA as their documentation describes
their send endpoints, recording what arrives and answering each one's success shape:

- Fonnte: POST /send, header Authorization: TOKEN, form target/message -> {"status": true, "id": [...]}
- Wablas: POST /api/send-message, header Authorization: TOKEN[.SECRET], form phone/message ->
  {"status": true, "data": {"messages": [{"id": ..., "phone": ..., "status": "pending"}]}}
- WAHA: POST /api/sendText, JSON {chatId, text, session}, header X-Api-Key -> 201 the message

Also the calls the gateways make to Sigap: `waha_event` (HMAC-SHA512 signed the way WAHA signs),
`fonnte_event` and `wablas_event` (their webhook bodies).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


class FakeGateway:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []  # {"path", "headers", "form" | "json"}
        self.down = False
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply = gateway._handle(self.path, dict(self.headers), body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if self.down:
            return 503, {"status": False, "reason": "down"}
        record: dict[str, Any] = {"path": path, "headers": {k.lower(): v for k, v in headers.items()}}
        if "json" in record["headers"].get("content-type", ""):
            record["json"] = json.loads(body)
        else:
            record["form"] = dict(parse_qsl(body.decode()))
        self.received.append(record)
        n = len(self.received)
        if path == "/send":
            return 200, {
                "detail": "success! message in queue",
                "id": [str(80000 + n)],
                "process": "pending",
                "status": True,
                "target": [record["form"].get("target")],
            }
        if path == "/api/send-message":
            phone = record["form"].get("phone")
            return 200, {
                "status": True,
                "message": "Message is pending and waiting to be processed",
                "data": {
                    "device_id": "UJI",
                    "quota": 100,
                    "messages": [{"id": f"wbl-{n}", "phone": phone, "message": "x", "status": "pending"}],
                },
            }
        if path == "/api/sendText":
            chat_id = record["json"].get("chatId")
            return 201, {
                "id": {
                    "fromMe": True,
                    "remote": chat_id,
                    "id": f"WAHA{n}",
                    "_serialized": f"true_{chat_id}_WAHA{n}",
                },
                "body": record["json"].get("text"),
                "fromMe": True,
                "to": chat_id,
            }
        return 404, {"status": False, "reason": "unknown endpoint"}


def waha_event(phone: str, text: str, message_id: str, key: str) -> tuple[bytes, dict[str, str]]:
    """A WAHA `message` webhook and its headers, signed as WAHA signs (HMAC-SHA512 of the body)."""
    body = json.dumps(
        {
            "event": "message",
            "session": "default",
            "payload": {
                "id": message_id,
                "from": f"{phone}@c.us",
                "fromMe": False,
                "body": text,
                "hasMedia": False,
            },
        }
    ).encode()
    mac = hmac.new(key.encode(), body, hashlib.sha512).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Hmac": mac,
        "X-Webhook-Hmac-Algorithm": "sha512",
    }
    return body, headers


def fonnte_event(phone: str, text: str, inbox_id: str) -> dict[str, Any]:
    return {
        "device": "6281100000000",
        "sender": phone,
        "message": text,
        "member": "",
        "name": "Budi",
        "location": "",
        "inboxid": inbox_id,
    }


def wablas_event(phone: str, text: str, message_id: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "phone": phone,
        "message": text,
        "pushName": "Budi",
        "isGroup": False,
        "isFromMe": False,
        "messageType": "text",
        "sender": "6281100000000",
    }
