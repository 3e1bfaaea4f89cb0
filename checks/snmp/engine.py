"""The pysnmp side of the poll: SNMPv3 (USM authentication and privacy) over the process's SnmpEngine,
and SNMPv2c where a caller asks for pysnmp itself (the wire codec's reference in the tests).

One engine per process, not per device: a new engine per device was ~17x slower and, without
close_dispatcher(), leaked sockets (shared/knowledge/monitoring-lessons.md).
"""

from __future__ import annotations

from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    usm3DESEDEPrivProtocol,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
    usmNoAuthProtocol,
    usmNoPrivProtocol,
)
from pysnmp.proto import rfc1902

from .model import Credentials
from .wire import SnmpFailure, Varbind

AUTH = {
    "MD5": usmHMACMD5AuthProtocol,
    "SHA": usmHMACSHAAuthProtocol,
    "SHA224": usmHMAC128SHA224AuthProtocol,
    "SHA256": usmHMAC192SHA256AuthProtocol,
    "SHA384": usmHMAC256SHA384AuthProtocol,
    "SHA512": usmHMAC384SHA512AuthProtocol,
}
PRIV = {
    "DES": usmDESPrivProtocol,
    "3DES": usm3DESEDEPrivProtocol,
    "AES": usmAesCfb128Protocol,
    "AES192": usmAesCfb192Protocol,
    "AES256": usmAesCfb256Protocol,
}
__all__ = ["AUTH", "PRIV", "PysnmpBulk", "SnmpFailure", "auth_data", "value_of"]
_INTEGERS = (
    rfc1902.Integer,
    rfc1902.Integer32,
    rfc1902.Counter32,
    rfc1902.Counter64,
    rfc1902.Gauge32,
    rfc1902.TimeTicks,
    rfc1902.Unsigned32,
)


def auth_data(credentials: Credentials) -> CommunityData | UsmUserData:
    if credentials.user:
        return UsmUserData(
            credentials.user,
            authKey=credentials.auth_key,
            privKey=credentials.priv_key,
            authProtocol=AUTH[credentials.auth_protocol] if credentials.auth_key else usmNoAuthProtocol,
            privProtocol=PRIV[credentials.priv_protocol] if credentials.priv_key else usmNoPrivProtocol,
        )
    return CommunityData(credentials.community or "public", mpModel=1)  # mpModel 1: SNMPv2c


def value_of(value: Any) -> Any:
    """A varbind's value as Python: text, an int, or None for noSuchObject/endOfMibView."""
    if isinstance(value, rfc1902.OctetString):
        # NUL padding and CR/LF appear in real ifDescr values (Huawei); they are not part of the name.
        return bytes(value).decode("utf-8", "replace").replace("\x00", "").strip()
    if isinstance(value, _INTEGERS):
        return int(value)
    return None


class PysnmpBulk:
    """GETBULK through pysnmp, answering as wire.decode_response does: (error status name or None,
    varbinds as (OID tuple, value, typed Counter64))."""

    def __init__(self, engine: SnmpEngine, credentials: Credentials) -> None:
        self.engine = engine
        self.auth = auth_data(credentials)
        self.target: UdpTransportTarget | None = None

    async def open(self, host: str, port: int, timeout: float, retries: int) -> None:
        self.target = await UdpTransportTarget.create((host, port), timeout=timeout, retries=retries)

    async def __call__(
        self, non_repeaters: int, max_repetitions: int, oids: list[tuple[int, ...]]
    ) -> tuple[str | None, list[Varbind]]:
        error, status, _index, varbinds = await bulk_cmd(
            self.engine,
            self.auth,
            self.target,
            ContextData(),
            non_repeaters,
            max_repetitions,
            *[ObjectType(ObjectIdentity(oid)) for oid in oids],
            lookupMib=False,
        )
        if error:
            raise SnmpFailure(str(error))
        if status and int(status):
            return status.prettyPrint(), []
        return None, [(tuple(oid), value_of(v), isinstance(v, rfc1902.Counter64)) for oid, v in varbinds]
