"""Just enough of the DNS wire format for the check's questions: the query after its 2-byte id, and
the answer's rcode, flags and records of the type asked for. Pure: bytes in, values out."""

from __future__ import annotations

import ipaddress
import struct

import dns.name
import dns.rcode

from .model import Answer

_TYPES = {"A": 1, "CNAME": 5, "SOA": 6, "PTR": 12, "AAAA": 28}


def query_wire(name: str, rdtype: str) -> bytes:
    """A query's wire form after the 2-byte id: RD clear (we ask the zone, not a cache), one question."""
    header = struct.pack(">HHHHH", 0, 1, 0, 0, 0)
    return header + dns.name.from_text(name).to_wire() + struct.pack(">HH", _TYPES[rdtype], 1)


def _skip_name(wire: bytes, at: int) -> int:
    while True:
        length = wire[at]
        if length == 0:
            return at + 1
        if length & 0xC0 == 0xC0:  # compression pointer: two bytes end the name here
            return at + 2
        at += 1 + length


class Reply:
    """Just enough of a DNS answer: rcode, AA, TC and the records of the type asked for.

    dnspython's full message parser cost ~0.3 ms per answer (authority and glue included), most of
    the CPU of a large run; the answer section alone is all the check reads.
    """

    def __init__(self, wire: bytes, question: bytes, rdtype: str, *, check: bool = True) -> None:
        if len(wire) < 12:
            raise ValueError("short DNS answer")
        flags, qdcount, self.ancount = struct.unpack(">HHH", wire[2:8])
        end_question = _skip_name(wire, 12) + 4 if qdcount else 12
        if check and (not flags & 0x8000 or wire[12:end_question].lower() != question[10:].lower()):
            raise ValueError("answer does not match the question")
        self.wire, self.flags, self.rdtype, self.offset = wire, flags, rdtype, end_question
        self.truncated = bool(flags & 0x0200)

    def answer(self) -> Answer:
        rcode = dns.rcode.to_text(self.flags & 0x000F)
        if rcode == "NOERROR" and not self.flags & 0x0400:
            # A referral or an answer from a server that does not hold the zone is not the zone's word.
            return Answer("NOTAUTH", detail="jawaban tidak otoritatif")
        wire, at, wanted = self.wire, self.offset, _TYPES[self.rdtype]
        values = set()
        for _ in range(self.ancount):
            at = _skip_name(wire, at)
            rtype, _rclass, _ttl, rdlength = struct.unpack(">HHIH", wire[at : at + 10])
            at += 10
            if rtype == wanted:  # CNAME chains inside the zone end in the records we want
                values.add(self._value(rtype, wire[at : at + rdlength], at))
            at += rdlength
        return Answer(rcode, frozenset(values))

    def _value(self, rtype: int, rdata: bytes, at: int) -> str:
        if rtype in (1, 28):
            return str(ipaddress.ip_address(rdata))
        if rtype == 6:  # SOA: mname, rname, then the serial
            at = _skip_name(self.wire, _skip_name(self.wire, at))
            return str(struct.unpack(">I", self.wire[at : at + 4])[0])
        name, _ = dns.name.from_wire(self.wire, at)
        return name.to_text().rstrip(".").lower()
