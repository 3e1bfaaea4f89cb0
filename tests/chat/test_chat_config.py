"""The `chat:` section refuses what it cannot work with, at start-up, with the key's path."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agents.config import Config

BASE = {
    "office": {"name": "Diskominfo Uji", "timezone": "Asia/Makassar"},
    "database": {"url": "sqlite:///x.db"},
}


def _config(chat: dict) -> Config:
    return Config.model_validate({**BASE, "chat": chat})


def test_defaults_and_secrets():
    config = _config({"telegram": {"token": "123:abc"}})
    telegram = config.chat.telegram
    assert (telegram.api_base, telegram.mode, telegram.poll_timeout_s) == (
        "https://api.telegram.org",
        "polling",
        30,
    )
    assert str(telegram.token) == "**********"
    assert Config.model_validate(BASE).chat.telegram is None


@pytest.mark.parametrize(
    ("chat", "words"),
    [
        ({"telegram": {"token": "1:a", "mode": "webhook"}}, "webhook_secret"),
        ({"telegram": {"token": "1:a", "tokn": "x"}}, "tokn"),
        ({"telegram": {"token": "1:a", "groups": [{"chat_id": "grup-tim", "roles": ["*"]}]}}, "chat_id"),
        ({"whatsapp": {"gateway": "wablas", "token": "t", "webhook_secret": "x" * 20}}, "api_base"),
        ({"whatsapp": {"gateway": "fonnte", "webhook_secret": "x" * 20}}, "token"),
        ({"whatsapp": {"gateway": "fonnte", "token": "t", "webhook_secret": "pendek"}}, "16 characters"),
        ({"whatsapp": {"gateway": "twilio", "token": "t", "webhook_secret": "x" * 20}}, "gateway"),
    ],
)
def test_refused(chat, words):
    with pytest.raises(ValidationError) as caught:
        _config(chat)
    assert words in str(caught.value)
