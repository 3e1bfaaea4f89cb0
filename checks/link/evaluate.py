"""From probe results and remembered states to link results and findings. Pure: `now` passed in."""

from __future__ import annotations

import logging
from datetime import datetime

from ..finding import Finding, internal_error, quantity, worst
from .model import LinkResult, LinkSettings, LinkState, LinkTarget, ProbeResult
from .state import advance, unreachable_behind_parents

_STATUS = {"UP": "ok", "PENDING": "ok", "DOWN": "crit", "UNREACHABLE": "unknown"}
log = logging.getLogger("sigap.checks.link")


def _measurement(target: LinkTarget, probe: ProbeResult, settings: LinkSettings) -> list[Finding]:
    """What this one check measured: no reply at all, or loss and latency against the limits."""
    loss, rtt = round(probe.loss_pct, 1), probe.rtt_ms
    # The whole measurement rides along: each finding names the value it judges.
    seen = {"loss_pct": loss, "rtt_ms": rtt, "sent": probe.sent, "received": probe.received}
    lost = quantity(loss, "pct", **seen)
    if probe.received == 0:
        detail = f": {probe.error}" if probe.error else ""
        return [
            Finding(
                "link_no_reply",
                "crit",
                {"host": target.host, "sent": probe.sent, "method": probe.method, "detail": detail},
                observed=lost,
            )
        ]
    findings = []
    if loss >= settings.loss_warn_pct and loss > 0:
        crit = loss >= settings.loss_crit_pct
        findings.append(
            Finding(
                "link_loss",
                "crit" if crit else "warn",
                {"loss_pct": loss, "limit": settings.loss_crit_pct if crit else settings.loss_warn_pct},
                observed=lost,
                limit=quantity(settings.loss_crit_pct if crit else settings.loss_warn_pct, "pct"),
            )
        )
    if settings.rtt_warn_ms and rtt is not None and rtt > settings.rtt_warn_ms:
        findings.append(
            Finding(
                "link_rtt_high",
                "warn",
                {"rtt_ms": rtt, "limit": settings.rtt_warn_ms},
                observed=quantity(rtt, "ms", **seen),
                limit=quantity(settings.rtt_warn_ms, "ms"),
            )
        )
    if not findings:
        findings.append(
            Finding("link_up", "ok", {"loss_pct": loss, "rtt_ms": rtt, "method": probe.method}, observed=lost)
        )
    return findings


def evaluate_once(target: LinkTarget, probe: ProbeResult, settings: LinkSettings) -> LinkResult:
    """One check with no history (`sigap check link`): the measurement decides alone."""
    if probe.failure is not None:
        return _failed(target, probe, probe.failure, None)
    try:
        findings = _measurement(target, probe, settings)
    except Exception as exc:
        return _failed(target, probe, internal_error(exc, log, target.id), None)
    return LinkResult(
        target=target.id,
        status=worst(f.status for f in findings),
        state="UP" if probe.received else "DOWN",
        host=target.host,
        method=probe.method,
        loss_pct=round(probe.loss_pct, 1),
        rtt_ms=probe.rtt_ms,
        parent=target.parent,
        findings=findings,
    )


def _failed(target: LinkTarget, probe: ProbeResult, finding: Finding, kept: LinkState | None) -> LinkResult:
    """A link whose probe or evaluation raised (a bug): UNKNOWN, not measured, so its remembered state
    is kept as it was (`kept`) and neither counts as a failed check nor as a good one."""
    return LinkResult(
        target=target.id,
        status=finding.status,
        state="UNKNOWN",
        host=target.host,
        method=probe.method,
        loss_pct=round(probe.loss_pct, 1),
        rtt_ms=probe.rtt_ms,
        parent=target.parent,
        findings=[finding],
        link_state=kept,
    )


def evaluate(
    targets: list[LinkTarget],
    probes: list[ProbeResult],
    previous: dict[str, LinkState],
    now: datetime,
    settings: LinkSettings,
) -> list[LinkResult]:
    """Every link's new state from its history, then UNREACHABLE for those behind a failed parent.

    A link whose probe or evaluation raised is UNKNOWN on its own (`internal_error`); the others are
    judged as usual, and a parent that could not be measured counts with its remembered state."""
    pairs = list(zip(targets, probes, strict=True))
    failures = {t.id: p.failure for t, p in pairs if p.failure is not None}
    states: dict[str, LinkState] = {}
    for target, probe in pairs:
        kept = previous.get(target.id, LinkState())
        if target.id not in failures:
            try:
                states[target.id] = advance(kept, probe.received > 0, now, settings)
                continue
            except Exception as exc:
                failures[target.id] = internal_error(exc, log, target.id)
        states[target.id] = kept
    failing_now = {t.id: p.received == 0 for t, p in pairs if t.id not in failures}
    unreachable_behind_parents(states, {t.id: t.parent for t in targets}, failing_now)
    results = []
    for target, probe in pairs:
        kept = previous.get(target.id, LinkState())
        if target.id in failures:
            results.append(_failed(target, probe, failures[target.id], kept))
            continue
        try:
            results.append(_judged(target, probe, states[target.id], settings))
        except Exception as exc:
            results.append(_failed(target, probe, internal_error(exc, log, target.id), kept))
    return results


def _judged(target: LinkTarget, probe: ProbeResult, state: LinkState, settings: LinkSettings) -> LinkResult:
    """One link's result from its new state and this check's measurement."""
    findings = _measurement(target, probe, settings)
    status = _STATUS[state.state]
    if state.state == "DOWN":
        findings.insert(
            0,
            Finding(
                "link_down",
                "crit",
                {"fails": state.fails, "limit": settings.down_after, "since": state.changed_at},
                observed=quantity(state.fails, "check"),
                limit=quantity(settings.down_after, "check"),
            ),
        )
    elif state.state == "UNREACHABLE":
        findings = [
            Finding(
                "link_unreachable",
                "unknown",
                {"parent": target.parent},
                observed=quantity(target.parent, "link"),  # the parent link that is down
            )
        ]
    elif probe.received == 0:
        # A soft failure: measured and bad, but not yet DOWN; say so without crying wolf.
        findings = [
            Finding(
                "link_failing",
                "warn",
                {"fails": state.fails, "limit": settings.down_after},
                observed=quantity(state.fails, "check"),
                limit=quantity(settings.down_after, "check"),
            ),
            *[Finding(f.code, "warn", f.params, f.observed, f.limit) for f in findings],
        ]
    if state.flapping:
        findings.append(
            Finding(
                "link_flapping",
                "warn",
                {"flap_pct": state.flap_pct, "n": len(state.history), "limit": settings.flap_high_pct},
                observed=quantity(state.flap_pct, "pct"),
                # flapping ends below the low mark (hysteresis)
                limit=quantity(settings.flap_high_pct, "pct", low=settings.flap_low_pct),
            )
        )
    if state.state in ("UP", "PENDING"):
        status = worst(f.status for f in findings)
    return LinkResult(
        target=target.id,
        status=status,
        state=state.state,
        host=target.host,
        method=probe.method,
        loss_pct=round(probe.loss_pct, 1),
        rtt_ms=probe.rtt_ms,
        flapping=state.flapping,
        parent=target.parent,
        findings=findings,
        link_state=state,
    )
