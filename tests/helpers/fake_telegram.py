"""A fake Telegram Bot API on loopback: the edge the bot talks to, never the bot's own logic.

POST /bot<TOKEN>/<method> with a JSON body, answered as the Bot API answers ({"ok": true, "result":
...} or {"ok": false, "error_code", "description"}): getMe, getUpdates (long polling: held up to
`timeout` seconds, capped at `max_hold_s`, until an update with update_id >= offset is there; older
ones are confirmed and dropped, as Telegram does), sendMessage, editMessageText, answerCallbackQuery,
setWebhook. `down = True` answers 502 to everything (Telegram unreachable behind a failed uplink).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "123456:UJI-token-bot-sigap"


class FakeTelegram:
    def __init__(self, token: str = TOKEN, *, max_hold_s: float = 1.0, replay: bool = False) -> None:
        self.token = token
        self.max_hold_s = max_hold_s
        self.replay = replay  # answer getUpdates from the start, whatever the offset (a hostile resend)
        self.down = False
        self.lock = threading.Condition()
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.offsets: list[int | None] = []
        self.sent: list[dict[str, Any]] = []  # sendMessage, with the message_id given
        self.edits: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.refused = 0
        self._next_update = 1000
        self._next_message = 1
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, reply = fake._handle(self.path, body)
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the bot stopped polling
                    self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a test does as the people in Telegram ---------------------------------------------

    def _push(self, update: dict[str, Any]) -> int:
        with self.lock:
            self._next_update += 1
            update = {"update_id": self._next_update, **update}
            self.updates.append(update)
            self.lock.notify_all()
            return self._next_update

    def press(self, user_id: int, message: dict[str, Any], data: str, name: str = "Budi") -> int:
        """A user presses a button under a message the bot sent."""
        query = {
            "id": f"cb{self._next_update + 1}",
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "message": {
                "message_id": message["message_id"],
                "chat": message["chat"],
                "text": message["text"],
            },
            "chat_instance": "42",
            "data": data,
        }
        return self._push({"callback_query": query})

    def say(
        self, user_id: int, text: str, *, chat_id: int | None = None, reply_to: int | None = None, name="Budi"
    ) -> int:
        chat = {"id": chat_id or user_id, "type": "private" if chat_id in (None, user_id) else "group"}
        message: dict[str, Any] = {
            "message_id": 50000 + self._next_update,
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if reply_to is not None:
            message["reply_to_message"] = {"message_id": reply_to, "chat": chat}
        return self._push({"message": message})

    def wait_for(self, what, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = what()
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError("fake Telegram: not seen in time")

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self.lock:
            return [params for name, params in self.calls if name == method]

    # --- the Bot API ------------------------------------------------------------------------------

    def _handle(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if self.down:
            with self.lock:
                self.refused += 1
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :]
        params = json.loads(body or b"{}")
        with self.lock:
            self.calls.append((method, params))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        return handler(params)

    def _m_getMe(self, params):
        return 200, {"ok": True, "result": {"id": 123456, "is_bot": True, "username": "SigapUjiBot"}}

    def _m_setWebhook(self, params):
        return 200, {"ok": True, "result": True}

    def _m_getUpdates(self, params):
        offset = params.get("offset")
        hold = min(float(params.get("timeout", 0)), self.max_hold_s)
        deadline = time.monotonic() + hold
        with self.lock:
            self.offsets.append(offset)
            while True:
                if offset is not None and not self.replay:  # confirmed: Telegram forgets them
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = (
                    list(self.updates)
                    if self.replay
                    else [u for u in self.updates if offset is None or u["update_id"] >= offset]
                )
                left = deadline - time.monotonic()
                if ready or left <= 0:
                    return 200, {"ok": True, "result": ready[:100]}
                self.lock.wait(left)

    def _m_sendMessage(self, params):
        with self.lock:
            self._next_message += 1
            message = {
                "message_id": self._next_message,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "date": int(time.time()),
                "text": params["text"],
                "reply_markup": params.get("reply_markup"),
            }
            self.sent.append(message)
        return 200, {"ok": True, "result": message}

    def _m_editMessageText(self, params):
        with self.lock:
            self.edits.append(params)
            for message in self.sent:
                if message["message_id"] == params["message_id"]:
                    message["text"] = params["text"]
                    message["reply_markup"] = params.get("reply_markup")
        return 200, {"ok": True, "result": {"message_id": params["message_id"], "text": params["text"]}}

    def _m_answerCallbackQuery(self, params):
        with self.lock:
            self.answers.append(params)
        return 200, {"ok": True, "result": True}
