"""From probe results and remembered states to link results and findings. Pure: `now` passed in."""

from __future__ import annotations

from datetime import datetime

from ..finding import Finding, worst
from .model import LinkResult, LinkSettings, LinkState, LinkTarget, ProbeResult
from .state import advance, unreachable_behind_parents

_STATUS = {"UP": "ok", "PENDING": "ok", "DOWN": "crit", "UNREACHABLE": "unknown"}


def _measurement(target: LinkTarget, probe: ProbeResult, settings: LinkSettings) -> list[Finding]:
    """What this one check measured: no reply at all, or loss and latency against the limits."""
    loss, rtt = round(probe.loss_pct, 1), probe.rtt_ms
    observed = {"loss_pct": loss, "rtt_ms": rtt, "sent": probe.sent, "received": probe.received}
    if probe.received == 0:
        detail = f": {probe.error}" if probe.error else ""
        return [
            Finding(
                "link_no_reply",
                "crit",
                {"host": target.host, "sent": probe.sent, "method": probe.method, "detail": detail},
                observed=observed,
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
                observed=observed,
                limit={"loss_warn_pct": settings.loss_warn_pct, "loss_crit_pct": settings.loss_crit_pct},
            )
        )
    if settings.rtt_warn_ms and rtt is not None and rtt > settings.rtt_warn_ms:
        findings.append(
            Finding(
                "link_rtt_high",
                "warn",
                {"rtt_ms": rtt, "limit": settings.rtt_warn_ms},
                observed=observed,
                limit={"rtt_warn_ms": settings.rtt_warn_ms},
            )
        )
    if not findings:
        findings.append(
            Finding(
                "link_up", "ok", {"loss_pct": loss, "rtt_ms": rtt, "method": probe.method}, observed=observed
            )
        )
    return findings


def evaluate_once(target: LinkTarget, probe: ProbeResult, settings: LinkSettings) -> LinkResult:
    """One check with no history (`sigap check link`): the measurement decides alone."""
    findings = _measurement(target, probe, settings)
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


def evaluate(
    targets: list[LinkTarget],
    probes: list[ProbeResult],
    previous: dict[str, LinkState],
    now: datetime,
    settings: LinkSettings,
) -> list[LinkResult]:
    """Every link's new state from its history, then UNREACHABLE for those behind a failed parent."""
    states = {
        t.id: advance(previous.get(t.id, LinkState()), p.received > 0, now, settings)
        for t, p in zip(targets, probes, strict=True)
    }
    failing_now = {t.id: p.received == 0 for t, p in zip(targets, probes, strict=True)}
    unreachable_behind_parents(states, {t.id: t.parent for t in targets}, failing_now)
    results = []
    for target, probe in zip(targets, probes, strict=True):
        state = states[target.id]
        findings = _measurement(target, probe, settings)
        status = _STATUS[state.state]
        if state.state == "DOWN":
            findings.insert(
                0,
                Finding(
                    "link_down",
                    "crit",
                    {"fails": state.fails, "limit": settings.down_after, "since": state.changed_at},
                    observed={"fails": state.fails},
                    limit={"down_after": settings.down_after},
                ),
            )
        elif state.state == "UNREACHABLE":
            findings = [
                Finding(
                    "link_unreachable",
                    "unknown",
                    {"parent": target.parent},
                    observed={"parent": target.parent},
                )
            ]
        elif probe.received == 0:
            # A soft failure: measured and bad, but not yet DOWN; say so without crying wolf.
            findings = [
                Finding(
                    "link_failing",
                    "warn",
                    {"fails": state.fails, "limit": settings.down_after},
                    observed={"fails": state.fails},
                    limit={"down_after": settings.down_after},
                ),
                *[Finding(f.code, "warn", f.params, f.observed, f.limit) for f in findings],
            ]
        if state.flapping:
            findings.append(
                Finding(
                    "link_flapping",
                    "warn",
                    {"flap_pct": state.flap_pct, "n": len(state.history), "limit": settings.flap_high_pct},
                    observed={"flap_pct": state.flap_pct},
                    limit={"flap_high_pct": settings.flap_high_pct, "flap_low_pct": settings.flap_low_pct},
                )
            )
        if state.state in ("UP", "PENDING"):
            status = worst(f.status for f in findings)
        results.append(
            LinkResult(
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
        )
    return results
