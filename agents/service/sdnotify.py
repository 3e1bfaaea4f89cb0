"""systemd's readiness and watchdog protocol (sd_notify(3)): one datagram to $NOTIFY_SOCKET.

The protocol is a single sendto() of "KEY=VALUE" lines; libsystemd's binding needs a compiler and
headers on the server, so the few lines are here. Without $NOTIFY_SOCKET (run by hand) nothing is sent.
"""

from __future__ import annotations

import os
import socket


def notify(state: str) -> bool:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(address)
            sock.sendall(state.encode())
        except OSError:
            return False
    return True


def watchdog_interval_s() -> float | None:
    """Half of WatchdogSec= (systemd's advice), or None when no watchdog is asked for this process."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2e6
    except ValueError:
        return None
