"""SNMPv2c GETBULK on the wire: the request encoded and the response decoded by hand, in BER.

Why not pyasn1: the poll was CPU-bound in it. Profiled on the bench (40 devices x 48 interfaces),
pyasn1's decoder built ~440,000 ASN.1 objects for 1,920 interfaces -- 9 of the poll's 13 CPU-seconds
went to decoding, most of it in object construction and constraint checks. Here a varbind is read into
(OID tuple, Python value, width flag) with slicing and int.from_bytes, nothing else. SNMPv3 (USM
authentication and privacy) stays with pysnmp (engine.py).

Values come out as fetch.value_of gives pysnmp's: text (OCTET STRING, IpAddress, Opaque; NULs and
surrounding blanks removed), int (INTEGER, Counter32, Gauge32, TimeTicks, Counter64), or None
(noSuchObject, noSuchInstance, endOfMibView, NULL, an OID, anything unknown).
"""

from __future__ import annotations

from typing import Any

ERROR_NAMES = (
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
)
_TEXT = (0x04, 0x40, 0x44)  # OCTET STRING, IpAddress, Opaque
_UNSIGNED = {0x41: 1 << 32, 0x42: 1 << 32, 0x43: 1 << 32, 0x46: 1 << 64}  # Counter32 Gauge32 TimeTicks C64
COUNTER64 = 0x46
_GET_BULK, _RESPONSE = 0xA5, 0xA2

Varbind = tuple[tuple[int, ...], Any, bool]  # OID, value, typed Counter64


class SnmpFailure(Exception):
    """The device did not answer, or answered with an error: the poll has no data."""


class Malformed(ValueError):
    """Not a BER SNMP message we can read: dropped, as pysnmp drops it (the request then times out)."""


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def _integer(n: int) -> bytes:
    return _tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True))


def encode_oid(oid: tuple[int, ...]) -> bytes:
    out = bytearray((oid[0] * 40 + oid[1],))
    for arc in oid[2:]:
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = []
        while arc:
            chunk.append(arc & 0x7F)
            arc >>= 7
        out += bytes(b | 0x80 for b in reversed(chunk[1:])) + bytes((chunk[0],))
    return _tlv(0x06, bytes(out))


def encode_getbulk(
    request_id: int, community: bytes, non_repeaters: int, max_repetitions: int, oids: list[tuple[int, ...]]
) -> bytes:
    varbinds = b"".join(_tlv(0x30, encode_oid(oid) + b"\x05\x00") for oid in oids)
    pdu = _integer(request_id) + _integer(non_repeaters) + _integer(max_repetitions) + _tlv(0x30, varbinds)
    return _tlv(0x30, _integer(1) + _tlv(0x04, community) + _tlv(_GET_BULK, pdu))


def _header(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, start of the value, end of the value) of the TLV at `at`."""
    try:
        tag, first = data[at], data[at + 1]
    except IndexError:
        raise Malformed("truncated") from None
    at += 2
    if first & 0x80:
        size = first & 0x7F
        if not 0 < size <= 4 or at + size > len(data):
            raise Malformed("bad length")
        first = int.from_bytes(data[at : at + size], "big")
        at += size
    end = at + first
    if end > len(data):
        raise Malformed("truncated")
    return tag, at, end


def decode_oid(raw: bytes) -> tuple[int, ...]:
    if not raw:
        raise Malformed("empty OID")
    first = raw[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    if raw.isascii():  # every sub-identifier in one byte: the usual IF-MIB OID
        return head + tuple(raw[1:])
    if first >= 0x80:
        raise Malformed("long first sub-identifier")
    arcs = list(head)
    value = 0
    for b in raw[1:]:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    return tuple(arcs)


def _value(tag: int, raw: bytes) -> Any:
    if tag in _TEXT:
        # NUL padding and CR/LF appear in real ifDescr values (Huawei); they are not part of the name.
        return raw.decode("utf-8", "replace").replace("\x00", "").strip()
    if tag == 0x02 or tag in _UNSIGNED:
        n = int.from_bytes(raw, "big", signed=True) if raw else 0
        # An unsigned type sent without its leading zero byte (seen on embedded agents) reads negative.
        return n + _UNSIGNED[tag] if n < 0 and tag in _UNSIGNED else n
    return None


def decode_response(data: bytes) -> tuple[int, int, int, list[Varbind]]:
    """(request id, error status, error index, varbinds) of an SNMPv2c Response-PDU."""
    tag, at, end = _header(data, 0)
    if tag != 0x30:
        raise Malformed("not a message")
    tag, v0, v1 = _header(data, at)  # version
    if tag != 0x02 or data[v0:v1] != b"\x01":
        raise Malformed("not SNMPv2c")
    tag, _c0, at = _header(data, v1)  # community
    tag, at, end = _header(data, at)
    if tag != _RESPONSE:
        raise Malformed("not a Response-PDU")
    numbers = []
    for _ in range(3):
        tag, v0, at = _header(data, at)
        if tag != 0x02:
            raise Malformed("bad PDU header")
        numbers.append(int.from_bytes(data[v0:at], "big", signed=True))
    tag, at, end = _header(data, at)
    if tag != 0x30:
        raise Malformed("no varbind list")
    out: list[Varbind] = []
    append = out.append
    while at < end:
        tag, at, stop = _header(data, at)
        tag, o0, o1 = _header(data, at)
        if tag != 0x06:
            raise Malformed("varbind without an OID")
        vtag, v0, v1 = _header(data, o1)
        if v1 != stop:
            raise Malformed("bad varbind")
        append((decode_oid(data[o0:o1]), _value(vtag, data[v0:v1]), vtag == COUNTER64))
        at = stop
    return numbers[0], numbers[1], numbers[2], out


def error_name(status: int) -> str:
    return ERROR_NAMES[status] if 0 <= status < len(ERROR_NAMES) else str(status)
