"""Who may do what: one table for the console and the API.

A role's permissions are the rows below; an admin_opd is also scoped to its OPDs: a site, link,
case or finding of another OPD does not exist for it (404, never 403, so an OPD admin cannot learn
what other OPDs have). The weekly report covers every OPD, so it is outside every OPD's scope.
A read-scope API token allows only "view", whatever its user's role.
"""

from __future__ import annotations

from collections.abc import Iterable

from sop_registry.ledger.models import USER_ROLES

# The case actions, each the case engine's move (agents/console/actions.py).
CASE_ACTIONS = ("ack", "note", "hold", "resume", "step_done", "resolve", "reopen", "close")
# check_site: "Periksa sekarang" on a site (crawls it now, records nothing); maintenance: the windows;
# send_report: a stored weekly report sent again (as `sigap report send`)
ACTIONS = ("view", "users", "approve_report", "send_report", "check_site", "maintenance", *CASE_ACTIONS)

_ALL_CASE = frozenset(CASE_ACTIONS)
PERMISSIONS: dict[str, frozenset[str]] = {
    # everything, the people included
    "admin": frozenset(ACTIONS),
    # everything but the people: approves the weekly report, acknowledges, escalates
    "kepala_bidang": frozenset({"view", "approve_report", "send_report", "check_site", *_ALL_CASE}),
    # everything but the people and the approval; cases are closed for good by the Kepala Bidang
    "teknisi": frozenset({"view", "check_site", *(_ALL_CASE - {"close"})}),
    # its own OPDs' sites, links, cases and findings; acknowledges and notes its own cases, and checks
    # its own sites now
    "admin_opd": frozenset({"view", "ack", "note", "check_site"}),
    "viewer": frozenset({"view"}),
}
SCOPED_ROLES = frozenset({"admin_opd"})
READ_SCOPE = frozenset({"view"})

assert set(PERMISSIONS) == set(USER_ROLES), "every role has its row"


def allowed(role: str, action: str, token_scope: str | None = None) -> bool:
    """May this role do this? `token_scope` "read" narrows an API token to reading."""
    if action not in ACTIONS:
        raise KeyError(action)
    if token_scope == "read" and action not in READ_SCOPE:
        return False
    return action in PERMISSIONS.get(role, frozenset())


def sees_everything(role: str) -> bool:
    return role not in SCOPED_ROLES


def in_scope(role: str, opds: Iterable[str], opd: str | None) -> bool:
    """Is a thing of this OPD visible to the user? Unscoped roles see all; an OPD admin only its
    OPDs' (a thing whose OPD is not known belongs to none of them)."""
    if sees_everything(role):
        return True
    return opd is not None and opd in set(opds)


def sees_reports(role: str) -> bool:
    return sees_everything(role)
