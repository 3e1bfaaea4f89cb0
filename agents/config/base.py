"""What every part of the config shares: strict models, secrets, identifiers, host:port parsing."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
)

from checks.dns.model import Nameserver

DEFAULT_CONFIG_PATH = Path("/etc/sigap/sigap.yaml")
DEFAULT_STATE_DIR = Path("/var/lib/sigap")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


def _read_secret(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if set(value) == {"env"}:
        name = str(value["env"])
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]
    if set(value) == {"file"}:
        path = Path(str(value["file"])).expanduser()
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"cannot read secret file {path}: {exc.strerror or exc}") from None
    raise ValueError("a secret is a string, {env: NAME} or {file: PATH}")


Secret = Annotated[SecretStr, BeforeValidator(_read_secret)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=128)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)



def _unique(values: list[str], section: str, key: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            raise ValueError(f"{section}[{i}].{key}: duplicate {value!r}")
        seen.add(value)



def parse_host_port(text: str, default_port: int) -> tuple[str, int]:
    """HOST, HOST:PORT, [V6]:PORT or a bare IPv6 address -> (host, port); ValueError names the problem."""
    text = text.strip()
    host, port = text, default_port
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: expected [ADDRESS]:PORT")
        port_text = rest[1:]
        if port_text:
            port = _port(text, port_text)
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(text, port_text)
    if not host:
        raise ValueError(f"{text!r}: no host")
    return host, port


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"{text!r}: port must be 1-65535")
    return int(port_text)


def nameserver(text: str) -> Nameserver:
    host, port = parse_host_port(text, 53)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        # Resolving the server's own name would ask the machine's resolver, which the check avoids.
        raise ValueError(f"{text!r}: give the server's IP address, not a name") from None
    return Nameserver(host, port)

