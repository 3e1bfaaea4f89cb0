"""The walked IF-MIB columns as interfaces: ifTable and ifXTable joined, 64-bit counters preferred.

Real devices differ (shared/fixtures-real/snmp/SOURCES.md): a Cisco 3750 has HC counters on only some
rows, an old IOS on one row, a Ubiquiti radio has no ifXTable at all, some devices number ifXTable
rows differently from ifTable, and logical interfaces report speed 0.
"""

from __future__ import annotations

from typing import Any

from .model import OPER_STATUS, Interface
from .rates import MAX64, WRAP32

_NO_SPEED = (WRAP32 - 1, WRAP32 - 2)  # ifSpeed's "above 4.29 Gbps" (RFC 2863) and Brocade's variant
_IFTABLE = ("descr", "speed", "admin", "oper", "in32", "out32", "in32_at")
_IFXTABLE = ("name", "in64", "out64", "high_speed", "alias", "in64_at", "in64_bits", "out64_bits")


def pair_foreign_rows(table: dict[str, dict[int, Any]]) -> dict[int, int]:
    """ifXTable row -> ifTable row where the two tables use different indexes: matched by name."""
    if_rows = {i for col in _IFTABLE for i in table.get(col, {})}
    x_rows = {i for col in _IFXTABLE for i in table.get(col, {})}
    lonely_if = {table.get("descr", {}).get(i): i for i in if_rows - x_rows}
    pairs = {}
    for x in sorted(x_rows - if_rows):
        name = table.get("name", {}).get(x)
        if name and name in lonely_if:
            pairs[x] = lonely_if.pop(name)
    return pairs


def _speed_mbps(if_speed: int | None, high_speed: int | None) -> tuple[float | None, str | None]:
    """The speed and the column it came from. ifHighSpeed (Mbps) is the only truth above 4.29 Gbps,
    where ifSpeed sticks at 2^32-1; either may be 0, which means "unknown", not "no capacity" -- and
    where ifHighSpeed is 0, ifSpeed may still know (Palo Alto and Huawei sub-interfaces, a ProCurve's
    oobm0, a Brocade's eth0). A Brocade DS-5100B answers 4294967294 (2^32-2) on its 8 Gbps ports, one
    below RFC 2863's "too fast" value: neither is a speed."""
    if high_speed:
        return float(high_speed), "high_speed"
    if if_speed and if_speed not in _NO_SPEED:
        return if_speed / 1e6, "speed"
    return None, None


def interfaces(
    table: dict[str, dict[int, Any]], pairs: dict[int, int], known: dict[str, list[str]] | None = None
) -> list[Interface]:
    """`pairs`: ifXTable row -> ifTable row (pair_foreign_rows, or the inventory's). `known`: names by
    row from the last full walk -- a routine poll walks only the columns that change."""
    known = known or {}
    merged: dict[int, dict[str, Any]] = {}
    for column, rows in table.items():
        for index, value in rows.items():
            row = pairs.get(index, index) if column in _IFXTABLE else index
            merged.setdefault(row, {})[column] = value
    out = []
    for index in sorted(merged):
        row = merged[index]
        for column, value in zip(("name", "descr", "alias"), known.get(str(index), ()), strict=False):
            row.setdefault(column, value)
        in64, out64 = row.get("in64"), row.get("out64")
        in32, out32 = row.get("in32"), row.get("out32")
        # The HC columns' own ASN.1 type decides their width (a row without it is from an older memory
        # or a canned walk: Counter64, as the MIB says). Either direction typed Counter32 makes the pair
        # 32-bit: a delta across a 32-bit wrap must wrap, never read as a reset.
        hc_bits = 32 if 32 in (row.get("in64_bits"), row.get("out64_bits")) else 64
        if in64 is not None and out64 is not None and (hc_bits == 32 or MAX64 not in (in64, out64)):
            bits, counters, in_octets, out_octets, read_at = hc_bits, "hc", in64, out64, row.get("in64_at")
        elif in32 is not None and out32 is not None:
            # No ifXTable (WISP radios) or no HC counter on this row.
            bits, counters, in_octets, out_octets, read_at = 32, "if", in32, out32, row.get("in32_at")
        else:
            bits, counters, in_octets, out_octets, read_at = 0, "", None, None, None
        speed, speed_from = _speed_mbps(row.get("speed"), row.get("high_speed"))
        descr = row.get("descr") or ""
        out.append(
            Interface(
                index=index,
                name=row.get("name") or descr or f"ifIndex {index}",
                descr=descr,
                alias=row.get("alias") or "",
                admin=OPER_STATUS.get(row["admin"]) if "admin" in row else None,
                oper=OPER_STATUS.get(row["oper"]) if "oper" in row else None,
                speed_mbps=speed,
                in_octets=in_octets,
                out_octets=out_octets,
                bits=bits,
                read_at=read_at,
                counters=counters,
                speed_from=speed_from,
            )
        )
    return out


def normalise_index(index: int) -> int:
    """RouterOS shows ifIndex as a negative Integer32; on the wire it is the same unsigned number."""
    return index & 0xFFFFFFFF


def inventory_of(
    table: dict[str, dict[int, Any]], pairs: dict[int, int], found: list[Interface], at: float
) -> dict[str, Any]:
    """What a full walk learnt that does not change between polls: names, the ifXTable pairing, and
    which counter and speed columns the device has -- the plan for the routine polls."""
    used = {i.speed_from for i in found if i.speed_from}
    return {
        "at": at,
        "pairs": {str(x): i for x, i in pairs.items()},
        "rows": {str(i.index): [i.name, i.descr, i.alias] for i in found},
        "bits": sorted({i.bits for i in found if i.bits}),
        "counters": sorted({i.counters for i in found if i.counters}),
        # Every column some row's speed came from: ifHighSpeed, and ifSpeed too where a row has
        # ifHighSpeed 0 (or no ifXTable row) but ifSpeed set -- walked only for ifHighSpeed, a Palo Alto
        # sub-interface lost its 1 Gbps for the 55 minutes between full walks.
        "speeds": [c for c in ("high_speed", "speed") if c in used]
        or ["high_speed" if table.get("high_speed") else "speed"],
    }


def routine_columns(inventory: dict[str, Any]) -> list[str]:
    """The columns a routine poll walks: state, the counter columns the device's rows use, its speed."""
    columns = ["admin", "oper"]
    # "counters" names the columns; an inventory from before it was kept has only the widths.
    counters = inventory.get("counters") or [{64: "hc", 32: "if"}[b] for b in inventory["bits"]]
    if "hc" in counters:
        columns += ["in64", "out64"]
    if "if" in counters:
        columns += ["in32", "out32"]
    return columns + inventory["speeds"]
