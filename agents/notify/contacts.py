"""Who a case is about, from the config: the target's OPD and the target's own contacts.

A case knows its target as the check named it (a site's URL, a link's id, a TLS endpoint's id); the
config knows which OPD that is and who runs it (`targets.websites[].admin`). Read from the config
at the time of the message, so an admin who changed is the one told; the case's own data (what the
check wrote when it opened) is the fallback for the OPD of a target no longer configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sop_registry.ledger.models import Case

from ..config import Config
from ..config.targets import Contact

# What a target's own contact hears: its case opening, coming back, reminders, a passed deadline
# and the recovery. Not an escalation: that goes up the office's own chain, not to the OPD.
CONTACT_KINDS = frozenset({"opened", "reopened", "reminder", "breached", "resolved"})


@dataclass(frozen=True)
class Party:
    opd: str | None
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Directory:
    by_target: dict[str, Party] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Config) -> Directory:
        targets = config.targets
        book: dict[str, Party] = {}
        for server in targets.servers:
            book.setdefault(server.name.rstrip("."), Party(server.opd))
        for endpoint in targets.tls_endpoints:
            book[endpoint.id] = Party(endpoint.opd)
        for link in targets.links:
            book[link.id] = Party(link.opd)
        for site in targets.websites:  # its URL is the crawl's and the certificate check's target
            party = Party(site.opd, (site.admin,) if site.admin and site.admin.email else ())
            book[site.url] = book[site.id] = party
        return cls(book)

    def _party(self, case: Case) -> Party | None:
        details = case.details or {}
        data = details.get("last") or details.get("first") or {}
        site_id = data.get("site_id") if isinstance(data, dict) else None
        return self.by_target.get(case.target) or (self.by_target.get(site_id) if site_id else None)

    def opd(self, case: Case) -> str | None:
        party = self._party(case)
        if party and party.opd:
            return party.opd
        details = case.details or {}
        for key in ("last", "first"):
            data = details.get(key)
            if isinstance(data, dict) and isinstance(data.get("opd"), str) and data["opd"]:
                return data["opd"]
        return None

    def contacts(self, case: Case) -> tuple[Contact, ...]:
        party = self._party(case)
        return party.contacts if party else ()
