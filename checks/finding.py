"""The one Finding and Status every check kind uses: what was seen, in words, with the observed value
and limit, and the one ranking of statuses (the ledger, the reports and the runner import it).

Each check kind keeps its own message templates (Indonesian and English) beside its code; this module
only holds the finding itself and the rules every kind shares (status order, rendering, JSON shape,
and the `internal_error` finding a target gets when its check fails with a bug).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

Status = Literal["ok", "warn", "crit", "unknown"]
STATUSES: tuple[Status, ...] = get_args(Status)
# Worst is highest: a target's status is its worst finding's. UNKNOWN (could not measure) ranks below
# CRIT (measured and bad) but above WARN.
RANK: Mapping[str, int] = MappingProxyType({"ok": 0, "warn": 1, "unknown": 2, "crit": 3})

INTERNAL_ERROR = "internal_error"
# The same words for every kind: a bug in Sigap, not something the target did. Spread into each
# kind's TEMPLATES so `render` finds it there.
INTERNAL_ERROR_TEMPLATES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        INTERNAL_ERROR: {
            "id": "Galat internal saat memeriksa: {error}: {detail}",
            "en": "Internal error while checking: {error}: {detail}",
        }
    }
)
_DETAIL_CHARS = 200  # an exception's text can quote what a monitored host sent: bounded


@dataclass
class Finding:
    code: str
    status: Status
    params: dict[str, Any] = field(default_factory=dict)  # fill the message template
    # {"value": ..., "unit": ...} (see `quantity`), for every code of every kind; None when nothing
    # was measured (tests/checks/test_finding.py checks each code).
    observed: Any = None
    limit: Any = None
    url: str | None = None  # the evidence: the page or item a person can open

    def __post_init__(self) -> None:
        if self.status not in RANK:
            raise ValueError(f"finding status {self.status!r} not in {STATUSES}")


def quantity(value: Any, unit: str, **context: Any) -> dict[str, Any]:
    """An observed value or a limit: `{"value": ..., "unit": ...}`, plus what else the check saw
    (a direction, the rest of the measurement) for the ledger."""
    return {"value": value, "unit": unit, **context}


def severity(status: str) -> int:
    """How bad a status is: higher is worse (ok 0, warn 1, unknown 2, crit 3)."""
    return RANK[status]


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=severity, default="ok")


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


def _leaf(exc: BaseException) -> BaseException:
    # anyio's happy-eyeballs connect wraps one OverflowError in an ExceptionGroup: name the cause.
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def internal_error(exc: BaseException, log: logging.Logger, target: str) -> Finding:
    """The UNKNOWN finding of a target whose check raised: the exception's class and a short message.

    The traceback goes to `log` here, once per target; the run goes on for every other target."""
    log.exception("internal error while checking %s", target, exc_info=exc)
    cause = _leaf(exc)
    detail = " ".join(str(cause).split()) or "-"
    if len(detail) > _DETAIL_CHARS:
        detail = detail[: _DETAIL_CHARS - 1] + "…"
    return Finding(INTERNAL_ERROR, "unknown", {"error": type(cause).__name__, "detail": detail})
