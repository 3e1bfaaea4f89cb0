"""Indonesian mobile numbers in the one form the gateways use: 628... (08..., +62 8..., 62-8... ->
628...). WhatsApp ids ("6281234567890@c.us", "...@s.whatsapp.net") give their number."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"[^0-9]")


def normalise(raw: str | None) -> str | None:
    """'0812-3456-7890', '+62 812 3456 7890', '6281234567890' -> '6281234567890'; None if not a
    mobile number of Indonesia's plan (8 and 7 to 12 digits after the country code)."""
    if not raw:
        return None
    text = raw.strip().split("@", 1)[0].split(":", 1)[0]
    digits = _NOT_DIGIT.sub("", text)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not re.fullmatch(r"628[0-9]{7,12}", digits):
        return None
    return digits
