"""The typed contract between what agents write into the ledger and what reports and the console read.

Kind ids (the SOP binding's `check:` and `step_runs.agent`), the names of the sample series, and the
shapes of `step_runs.details` and `findings.details` that a reader relies on. A writer builds these
types and stores `.as_json()`; a reader parses with `from_json()`: a field a writer never writes
cannot be read, and the round-trip tests run the real writer into the real reader.
"""

from __future__ import annotations

# --- kind ids ------------------------------------------------------------------------------------

WEB_FRESHNESS = "web_freshness"
DNS_IP = "dns_ip"
TLS_CERT = "tls_cert"
LINK = "link"
SNMP_BANDWIDTH = "snmp_bandwidth"

# --- sample series -------------------------------------------------------------------------------


def link_up(link_id: str) -> str:
    return f"link:{link_id}:up"


def link_rtt_ms(link_id: str) -> str:
    return f"link:{link_id}:rtt_ms"


def link_loss_pct(link_id: str) -> str:
    return f"link:{link_id}:loss_pct"


def bw_down_bps(link_id: str) -> str:
    return f"bw:{link_id}:down_bps"


def bw_up_bps(link_id: str) -> str:
    return f"bw:{link_id}:up_bps"
