"""Utilisation against the contract over a window, shared by interfaces and MikroTik queues: sustained
over-use and under-delivery per direction. Pure."""

from __future__ import annotations

from ..finding import Finding, quantity
from .model import Contract, SnmpSettings

_COVERED = 0.9  # share of the window the valid samples must cover before "sustained" is said
# Which way the traffic goes, in the words of each language's template.
WORDS = {
    "down": {"arah": "unduh", "way": "Download"},
    "up": {"arah": "unggah", "way": "Upload"},
}


def mbps(bps: float | None) -> float | None:
    return None if bps is None else round(bps / 1e6, 2)


def pct(part: float, whole: float) -> float:
    return round(100 * part / whole, 1)


def window(history: list[list[float]], now: float, minutes: float) -> tuple[list[list[float]], bool]:
    """The rates inside the last `minutes`, and whether they cover it (a missing sample is a gap)."""
    cutoff = now - minutes * 60
    inside = [e for e in history if e[1] > cutoff]
    covered = sum(min(e[1], now) - max(e[0], cutoff) for e in inside)
    return inside, covered >= _COVERED * minutes * 60


def contract_findings(
    contract: Contract, history: list[list[float]], now: float, settings: SnmpSettings
) -> list[Finding]:
    """Sustained over-use (warn: the OPD needs more than it has) and under-delivery (crit: the
    provider holds the link flat below what was bought) for each direction."""
    inside, full = window(history, now, settings.window_minutes)
    if not full or not inside:
        return []
    out = []
    for column, direction, rate_mbps in ((2, "down", contract.down_mbps), (3, "up", contract.up_mbps)):
        values = [e[column] for e in inside]
        if any(v is None for v in values):
            continue  # a direction this measurement does not have (a tree queue's other one)
        contract_bps = rate_mbps * 1e6
        low, high = min(values), max(values)
        if low > contract_bps * settings.over_use_pct / 100:
            out.append(
                Finding(
                    "bw_over_use",
                    "warn",
                    {
                        **WORDS[direction],
                        "pct": pct(low, contract_bps),
                        "minutes": settings.window_minutes,
                        "limit": settings.over_use_pct,
                        "contract": rate_mbps,
                    },
                    observed=quantity(pct(low, contract_bps), "pct", direction=direction),
                    limit=quantity(settings.over_use_pct, "pct", minutes=settings.window_minutes),
                )
            )
        elif (
            len(values) >= 3
            and contract_bps * settings.under_floor_pct / 100 <= high
            and high <= contract_bps * settings.under_below_pct / 100
            and low >= high * (1 - settings.plateau_band_pct / 100)
        ):
            out.append(
                Finding(
                    "bw_under_delivery",
                    "crit",
                    {
                        **WORDS[direction],
                        "level": mbps(high),
                        "pct": pct(high, contract_bps),
                        "minutes": settings.window_minutes,
                        "contract": rate_mbps,
                    },
                    observed=quantity(mbps(high), "Mbps", direction=direction),  # the plateau
                    limit=quantity(rate_mbps, "Mbps"),  # the contract
                )
            )
    return out
