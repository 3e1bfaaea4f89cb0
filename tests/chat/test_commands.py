"""The reply parser, phone numbers and the buttons' callback_data: pure, no I/O."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from agents.chat import phones
from agents.chat.commands import UNKNOWN, Command, parse
from agents.chat.telegram_api import callback_data, read_callback
from agents.config.sections import TelegramSettings


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("ACK 12", Command("ack", 12)),
        ("/ack 12", Command("ack", 12)),
        ("/ack@SigapBot 12", Command("ack", 12)),
        ("ack #12", Command("ack", 12)),
        ("TUNDA 12 Telkom TKT-123", Command("hold", 12, provider="Telkom", ticket="TKT-123")),
        ("tunda 12 Icon Plus", Command("hold", 12, provider="Icon Plus")),
        ("TUNDA 12", Command("hold", 12)),
        ("SELESAI 12 kabel putus", Command("resolve", 12, note="kabel putus")),
        ("/selesai 12 kabel\nputus   disambung", Command("resolve", 12, note="kabel putus disambung")),
        ("/selesai 12", Command("resolve", 12)),
        ("KASUS", Command("cases")),
        ("/kasus", Command("cases")),
        ("/status", Command("status")),
        ("/bantuan", Command("help")),
        ("/ack", Command("ack")),
        ("halo pak", UNKNOWN),
        ("", UNKNOWN),
        ("ACK " + "9" * 12, Command("ack")),
    ],
)
def test_replies_parse(text, command):
    assert parse(text) == command


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("081234567890", "6281234567890"),
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("6281234567890@c.us", "6281234567890"),
        ("6281234567890@s.whatsapp.net", "6281234567890"),
        ("021 1234567", None),  # a Jakarta landline is no WhatsApp number here
        ("", None),
        (None, None),
    ],
)
def test_phone_numbers_take_one_form(raw, number):
    assert phones.normalise(raw) == number


def test_callback_data_fits_and_is_bound_to_case_action_and_chat():
    settings = TelegramSettings(token=SecretStr("123:abc"))
    data = callback_data(settings, "resolve", 999_999_999, "-1001234567890")
    assert len(data.encode()) <= 64
    assert read_callback(settings, data, "-1001234567890") == ("resolve", 999_999_999)
    assert read_callback(settings, data, "-1009999999999") is None  # another chat
    code, case, sig = data.split(":")
    assert read_callback(settings, f"{code}:1:{sig}", "-1001234567890") is None  # another case
    assert read_callback(settings, f"a:{case}:{sig}", "-1001234567890") is None  # another action
    other = TelegramSettings(token=SecretStr("456:def"))
    assert read_callback(other, data, "-1001234567890") is None  # another bot's key
    assert read_callback(settings, "garbage", "1") is None
