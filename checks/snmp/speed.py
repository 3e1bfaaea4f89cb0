"""Which speed bounds an interface's rate, and what is said of it. Pure.

The device's ifSpeed/ifHighSpeed, unless it proved a placeholder: a Sangfor reports 10 Mbps on all 32
ports, net-snmp 10 Mbps where the driver gives none. A rate above it from consistent counters (rates.py)
marks the speed a placeholder, remembered while the device keeps reporting it; then the contract bounds
the rate. The speed the operator gives the link (targets.links[].speed_mbps) beats both.
"""

from __future__ import annotations

from typing import Any

from ..finding import Finding, quantity
from .model import Contract, Interface
from .rates import Rate

# Where the port's speed is unknown or a placeholder, the contract bounds the rate: providers shape to
# what was bought, so twice the contract is a counter artefact (an ifIndex that moved, a cleared
# 32-bit counter read as a wrap), not traffic.
CONTRACT_CEILING = 2.0


def ceiling_bps(contract: Contract | None) -> float | None:
    return max(contract.down_mbps, contract.up_mbps) * 1e6 * CONTRACT_CEILING if contract else None


def known_placeholder(
    iface: Interface, prev: dict[str, Any], configured: float | None
) -> dict[str, Any] | None:
    """The device's speed as last found a placeholder ({speed_mbps, seen_mbps}), while it still reports
    it; nothing when the operator configured the speed, or the device now reports another one."""
    known = prev.get("speed_suspect")
    if configured or not known or iface.speed_mbps not in (None, known["speed_mbps"]):
        return None
    return known


def track_placeholder(placeholder: dict[str, Any] | None, r: Rate, iface: Interface) -> dict[str, Any] | None:
    """After this interval's rate: found a placeholder now, or the highest traffic seen above one."""
    top = max(r.in_bps or 0, r.out_bps or 0)
    if r.above_speed and iface.speed_mbps:
        return {"speed_mbps": iface.speed_mbps, "seen_mbps": round(top / 1e6, 2)}
    if placeholder and r.in_bps is not None:
        return {**placeholder, "seen_mbps": max(placeholder["seen_mbps"], round(top / 1e6, 2))}
    return placeholder


def speed_findings(
    iface: Interface, speed: float | None, placeholder: dict[str, Any] | None, contract: Contract | None
) -> list[Finding]:
    """`speed`: the one that counts (the operator's, else the device's unless a placeholder)."""
    out = []
    if placeholder:
        out.append(
            Finding(
                "speed_suspect",
                "warn",
                {"speed": placeholder["speed_mbps"], "seen": placeholder["seen_mbps"], "name": iface.name},
                # the traffic measured above the speed the device reports: that speed is no limit
                observed=quantity(placeholder["seen_mbps"], "Mbps"),
                limit=quantity(placeholder["speed_mbps"], "Mbps"),
            )
        )
    needed = max(contract.down_mbps, contract.up_mbps) if contract else 0
    if speed and speed < needed:
        out.append(
            Finding(
                "speed_below_contract",
                "warn",
                {"speed": speed, "contract": needed},
                observed=quantity(speed, "Mbps"),
                limit=quantity(needed, "Mbps"),
            )
        )
    return out
