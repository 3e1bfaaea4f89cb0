"""A zone transfer's answer read leniently, one message at a time. Pure: the messages come in as wire
bytes (fetch reads them off the TCP stream).

dnspython's own transfer parses each message whole, so one record it cannot parse ends the transfer:
a TLSA whose hash length does not fit its matching type (RFC 6698: SHA-256 is 32 octets, SHA-512 64)
made the AXFR of the whole zone fail, and with it the search for records nobody allocated. Here such a
record is skipped and counted; every other record of the zone is still read.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

_DETAILS_KEPT = 3  # the reasons of the first few skipped records, for the finding


class TransferRefused(Exception):
    """The server answered the AXFR with REFUSED or NOTAUTH: it does not allow this client."""


class TransferFailed(Exception):
    """The transfer began but its answer cannot be read to the end."""


@dataclass
class Transfer:
    records: dict[str, set[str]] = field(default_factory=dict)  # owner (no dot, lower case) -> addresses
    aliases: dict[str, str] = field(default_factory=dict)  # CNAME owner -> target
    skipped: int = 0  # records that could not be parsed
    skipped_detail: list[str] = field(default_factory=list)


def _text(name: dns.name.Name) -> str:
    return name.to_text().rstrip(".").lower()


class AxfrReader:
    """Feeds the answer's messages in order; `feed` says when the closing SOA has come."""

    def __init__(self, query: dns.message.Message, zone: dns.name.Name) -> None:
        self.query, self.zone = query, zone
        self.result = Transfer()
        self.messages = 0  # read so far
        self._soas = 0
        self._first = True

    def feed(self, wire: bytes) -> bool:
        try:
            # continue_on_error: a record whose rdata does not parse is left out and noted in `errors`.
            message = dns.message.from_wire(wire, xfr=True, multi=True, continue_on_error=True)
        except dns.exception.DNSException as exc:
            raise TransferFailed(f"{type(exc).__name__}: {exc}"[:200]) from None
        self.messages += 1
        if not self.query.is_response(message, xfr_continuation=not self._first):
            raise TransferFailed("answer does not match the question")
        rcode = message.rcode()
        if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH):
            raise TransferRefused(dns.rcode.to_text(rcode))
        if rcode != dns.rcode.NOERROR:
            raise TransferFailed(dns.rcode.to_text(rcode))
        for error in getattr(message, "errors", []):
            self.result.skipped += 1
            if len(self.result.skipped_detail) < _DETAILS_KEPT:
                exc = error.exception
                self.result.skipped_detail.append(f"{type(exc).__name__}: {exc}"[:200])
        for rrset in message.answer:
            if self._soas == 0 and rrset.rdtype != dns.rdatatype.SOA:
                raise TransferFailed("the answer does not begin with the zone's SOA")
            if rrset.rdtype == dns.rdatatype.SOA:
                self._soas += 1
                if self._soas > 1:  # the closing SOA: the zone is complete
                    return True
                continue
            if not rrset.name.is_subdomain(self.zone):
                continue
            owner = _text(rrset.name)
            if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                # canonical text, as the answers to the A/AAAA questions are compared in
                self.result.records.setdefault(owner, set()).update(
                    str(ipaddress.ip_address(rd.address)) for rd in rrset
                )
            elif rrset.rdtype == dns.rdatatype.CNAME:
                self.result.aliases[owner] = _text(rrset[0].target)
        self._first = False
        return False
