"""DNS/IP reconciliation: the IP-allocation list against what the authoritative servers publish."""

from __future__ import annotations

import asyncio
from typing import Any

from ..finding import as_dicts
from .evaluate import evaluate
from .messages import TEMPLATES
from .model import DnsResult, DnsSettings, InventoryHost, Nameserver, Observation

__all__ = [
    "DnsResult",
    "DnsSettings",
    "InventoryHost",
    "Nameserver",
    "Observation",
    "check_dns",
    "evaluate",
    "observe",
    "result_as_dict",
]


async def check_dns(
    hosts: list[InventoryHost], servers: list[Nameserver], zones: list[str], settings: DnsSettings
) -> tuple[list[DnsResult], Observation]:
    from .fetch import observe  # dnspython: loaded when a check runs, not when the config is read

    obs = await observe(hosts, servers, zones, settings)
    # Thousands of hosts take ~40 ms per 1,000 to compare: in a thread, so the service's loop
    # (other checks, the health endpoint) keeps its turn.
    return await asyncio.to_thread(evaluate, hosts, obs), obs


def result_as_dict(result: DnsResult, lang: str = "id") -> dict[str, Any]:
    """The `sigap check dns --json` contract: one object per host, orphan record or troubled zone."""
    out: dict[str, Any] = {
        "target": result.target,
        "status": result.status,
        "kind": result.kind,
        "zone": result.zone,
    }
    if result.kind == "host":
        out |= {
            "opd": result.opd,
            "purpose": result.purpose,
            "allocated": result.allocated,
            "observed": result.observed,
            "ptr": result.ptr,
            "servers": result.servers,
        }
    elif result.kind == "orphan":
        out["observed"] = result.observed
    out |= result.extra
    out["findings"] = as_dicts(TEMPLATES, result.findings, lang)
    return out


def __getattr__(name: str) -> Any:
    if name == "observe":
        from .fetch import observe

        return observe
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
