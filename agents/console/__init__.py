"""The web console and its API: people read the ledger and act on cases from a browser or a phone.

`accounts` (users, passwords, sessions, tokens, the login throttle) and `permissions` (the one role
table) import no web framework, so `sigap user` stays light; `app.build_console` assembles the
Starlette application that `sigap serve` runs beside /healthz and /metrics.
"""
