"""Findings shared by the network checks: what was seen, in words, with the observed value and limit.

Each check kind keeps its own message templates (Indonesian and English) beside its code; this module
only holds the finding itself and the rules every kind shares (status order, rendering, JSON shape).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("ok", "warn", "crit", "unknown")
# Worst first: a target's status is its worst finding's. UNKNOWN (could not measure) ranks below
# CRIT (measured and bad) but above WARN, as in the ledger.
_RANK = {"ok": 0, "warn": 1, "unknown": 2, "crit": 3}


@dataclass
class Finding:
    code: str
    status: str  # ok | warn | crit | unknown
    params: dict[str, Any] = field(default_factory=dict)  # fill the message template
    observed: Any = None
    limit: Any = None


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default="ok")


def render(templates: Mapping[str, Mapping[str, str]], finding: Finding, lang: str = "id") -> str:
    template = templates[finding.code][lang if lang in ("id", "en") else "id"]
    params = defaultdict(lambda: "-", {k: _text(v) for k, v in finding.params.items() if v is not None})
    return template.format_map(params)


def _text(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value) or "-"
    return value


def as_dicts(
    templates: Mapping[str, Mapping[str, str]], findings: Iterable[Finding], lang: str = "id"
) -> list[dict[str, Any]]:
    """The `findings` list of every `sigap check ... --json` line."""
    return [
        {
            "code": f.code,
            "status": f.status,
            "message": render(templates, f, lang),
            "observed": f.observed,
            "limit": f.limit,
        }
        for f in findings
    ]
