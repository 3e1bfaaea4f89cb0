"""What a MikroTik queue's measurement says against the contract and against its own limits. Pure.

- queue_limit_mismatch (warn): the queue's max-limit is not the contracted rate (0, unlimited, is not);
- queue_saturated (warn): every rate of the window at the queue's own max-limit -- the OPD is capped by
  our shaper, not by the provider, so no bw_under_delivery is said in that direction;
- bw_over_use / bw_under_delivery against the contract, as for an interface (contract.py).
"""

from __future__ import annotations

from typing import Any

from ..finding import Finding, quantity
from .contract import WORDS, contract_findings, mbps, pct, window
from .model import Contract, QueueResult, SnmpSettings

# A max-limit within this share of the contracted rate is "the same" (RouterOS rounds nothing, but an
# operator may write 10M for a 10.24 Mbps contract figure).
LIMIT_TOLERANCE = 0.01


def limit_findings(
    name: str, limits: tuple[float | None, float | None], contract: Contract, direction: str | None
) -> list[Finding]:
    """queue_limit_mismatch: the queue's max-limit is not what the OPD was contracted (0 = unlimited)."""
    wanted = {"down": contract.down_mbps, "up": contract.up_mbps}
    have = dict(zip(("down", "up"), limits, strict=True))
    sides = [d for d in ("down", "up") if (direction is None or d == direction) and have[d] is not None]
    differ = [d for d in sides if abs(have[d] - wanted[d]) > LIMIT_TOLERANCE * wanted[d]]  # type: ignore[operator]
    if not differ:
        return []
    return [
        Finding(
            "queue_limit_mismatch",
            "warn",
            {
                "name": name,
                "limit_down": have["down"],
                "limit_up": have["up"],
                "contract_down": contract.down_mbps if "down" in sides else None,
                "contract_up": contract.up_mbps if "up" in sides else None,
            },
            observed=quantity({d: have[d] for d in sides}, "Mbps", differ=differ),
            limit=quantity({d: wanted[d] for d in sides}, "Mbps"),
        )
    ]


def saturation(
    result: QueueResult, history: list[list[Any]], now: float, settings: SnmpSettings
) -> list[Finding]:
    """Traffic at the queue's own max-limit for the whole window, per direction."""
    inside, full = window(history, now, settings.window_minutes)
    if not full or not inside:
        return []
    out = []
    for column, direction, limit in (
        (2, "down", result.max_limit_down_mbps),
        (3, "up", result.max_limit_up_mbps),
    ):
        values = [e[column] for e in inside]
        if not limit or any(v is None for v in values):
            continue  # unlimited, not read, or not this tree queue's direction
        low = min(values)
        if low >= limit * 1e6 * settings.queue_saturated_pct / 100:
            out.append(
                Finding(
                    "queue_saturated",
                    "warn",
                    {
                        **WORDS[direction],
                        "name": result.name,
                        "limit": limit,
                        "pct": pct(low, limit * 1e6),
                        "minutes": settings.window_minutes,
                    },
                    observed=quantity(pct(low, limit * 1e6), "pct", direction=direction),
                    limit=quantity(limit, "Mbps", minutes=settings.window_minutes),
                )
            )
    return out


def traffic_findings(
    result: QueueResult,
    contract: Contract | None,
    history: list[list[Any]],
    now: float,
    settings: SnmpSettings,
) -> list[Finding]:
    down, up = result.download_bps, result.upload_bps
    measured = {"down": mbps(down), "up": mbps(up)}
    saturated = saturation(result, history, now, settings)
    if contract is None:
        return [
            *saturated,
            Finding("queue_measured", "ok", {"name": result.name, **measured}, quantity(measured, "Mbps")),
        ]
    result.down_util_pct = None if down is None else pct(down, contract.down_mbps * 1e6)
    result.up_util_pct = None if up is None else pct(up, contract.up_mbps * 1e6)
    capped = {f.observed["direction"] for f in saturated}
    # Flat at our own limit is our shaper, not the provider: no bw_under_delivery in that direction.
    found = [
        f
        for f in contract_findings(contract, history, now, settings)
        if not (f.code == "bw_under_delivery" and f.observed["direction"] in capped)
    ]
    shares = {"down_pct": result.down_util_pct, "up_pct": result.up_util_pct}
    contract_text = f"{contract.down_mbps:g}/{contract.up_mbps:g}"
    return [
        *found,
        *saturated,
        Finding(
            "queue_contract",
            "ok",
            {"name": result.name, **measured, **shares, "contract": contract_text},
            observed=quantity(measured, "Mbps"),
            limit=quantity({"down": contract.down_mbps, "up": contract.up_mbps}, "Mbps"),
        ),
    ]
