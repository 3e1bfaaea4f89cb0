"""Link monitoring: ICMP/TCP/HTTP probes with loss and RTT, DOWN after N failed checks, UP after M good
ones, flapping as one state, UNREACHABLE behind a failed parent."""

from __future__ import annotations

from typing import Any

from ..finding import as_dicts
from .evaluate import evaluate, evaluate_once
from .messages import TEMPLATES
from .model import LinkResult, LinkSettings, LinkState, LinkTarget, ProbeResult

__all__ = [
    "LinkResult",
    "LinkSettings",
    "LinkState",
    "LinkTarget",
    "ProbeResult",
    "evaluate",
    "evaluate_once",
    "probe_all",
    "result_as_dict",
]


def result_as_dict(result: LinkResult, lang: str = "id") -> dict[str, Any]:
    """The `sigap check link --json` contract."""
    return {
        "target": result.target,
        "status": result.status,
        "state": result.state,
        "host": result.host,
        "method": result.method,
        "loss_pct": result.loss_pct,
        "rtt_ms": result.rtt_ms,
        "flapping": result.flapping,
        "parent": result.parent,
        "findings": as_dicts(TEMPLATES, result.findings, lang),
    }

# The operator's `link:` section of the config file: agents/config picks it up from here.
OPERATOR_SECTION = ("link", LinkSettings)


def __getattr__(name: str) -> Any:
    # The probes (httpx, raw sockets) load when a check runs: the config reads only the settings
    # model above, and every `sigap` command reads the config.
    if name == "probe_all":
        from .probe import probe_all

        return probe_all
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
