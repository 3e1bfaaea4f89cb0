"""The case state machine as a table: which event may move a case from which state to which.

Pure: no session, no clock. The case engine (cases.py) looks the move up here, appends the event
and applies it with a revision guard; anything the table does not list is refused with a sentence
an officer can read.
"""

from __future__ import annotations

OPEN_STATES = ("open", "acknowledged", "escalated", "waiting_provider")
STATES = (*OPEN_STATES, "resolved", "closed")


def _same(states: tuple[str, ...]) -> dict[str, str]:
    return {s: s for s in states}


# event -> {from state -> to state}. `None` is "no case yet".
TRANSITIONS: dict[str, dict[str | None, str]] = {
    "opened": {None: "open"},
    "failed_again": _same(OPEN_STATES),  # a new failure on the open case: recorded, no move
    "recovering": _same(OPEN_STATES),  # a good check, not yet enough to resolve
    "acknowledged": {"open": "acknowledged", "escalated": "acknowledged"},
    # A step done means someone is working on it: an unacknowledged case is acknowledged by it,
    # and the provider's own step done ends the wait.
    "step_done": {
        "open": "acknowledged",
        "acknowledged": "acknowledged",
        "escalated": "acknowledged",
        "waiting_provider": "acknowledged",
    },
    "breached": _same(OPEN_STATES),  # a deadline passed: recorded once, no move
    "escalated": {"open": "escalated", "acknowledged": "escalated", "escalated": "escalated"},
    "provider_engaged": {
        "open": "waiting_provider",
        "acknowledged": "waiting_provider",
        "escalated": "waiting_provider",
    },
    "provider_returned": {"waiting_provider": "acknowledged"},
    "resolved": {s: "resolved" for s in OPEN_STATES},
    "reopened": {"resolved": "open"},
    "closed": {**{s: "closed" for s in OPEN_STATES}, "resolved": "closed"},
    "noted": _same(STATES),
}

EVENTS = tuple(TRANSITIONS)

_STATE_WORDS = {
    "open": "terbuka",
    "acknowledged": "sudah ditanggapi",
    "escalated": "dieskalasi",
    "waiting_provider": "menunggu penyedia layanan",
    "resolved": "selesai",
    "closed": "ditutup",
}


class InvalidTransition(ValueError):
    """The event does not apply to a case in this state (e.g. acknowledging a closed case)."""


def next_state(state: str | None, event: str) -> str:
    if event not in TRANSITIONS:
        raise InvalidTransition(f"unknown case event {event!r}")
    moves = TRANSITIONS[event]
    if state not in moves:
        where = f"kasus {_STATE_WORDS.get(state or '', state)}" if state else "kasus yang belum ada"
        raise InvalidTransition(f"'{event}' tidak berlaku untuk {where} (state {state})")
    return moves[state]


def state_word(state: str, lang: str = "id") -> str:
    return _STATE_WORDS.get(state, state) if lang == "id" else state.replace("_", " ")
