"""MikroTik queues as the SNMP walk and the RouterOS API give them, parsed. Pure: no I/O, no clock.

MIKROTIK-MIB (enterprise 14988) has the traffic, never the limits: mtxrQueueSimpleTable (name, BytesIn/
BytesOut as Counter64, DroppedIn/Out) and mtxrQueueTreeTable (name, packet mark, parent, one byte
counter). max-limit and limit-at come from the RouterOS API (routeros.py).

Direction (shared/knowledge/mikrotik-queues.md, measured on LibreNMS's RouterOS 7.18 recording
`routeros_rb433gl`): a simple queue's BytesIn follows the traffic sent *to* its target (the OPD's
download: 274.1 MB against 278.5 MB out of the VLAN carrying that subnet) and BytesOut the traffic
from it (10.3 MB against 10.7 MB in). RouterOS's own notation writes pairs the other way round,
"upload/download": `max-limit=10M/20M` is 10 up, 20 down. A device whose queues target the upstream
side instead has `download: out`, which swaps both the counters and the pair.

Indexes are 0..4294967294 typed Integer32: a device may print them, and a tree queue's ParentIndex
value, negative; they are read unsigned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from .model import RouterOsLimits

_SIMPLE = "1.3.6.1.4.1.14988.1.1.2.1.1"
_TREE = "1.3.6.1.4.1.14988.1.1.2.2.1"
QUEUE_COLUMNS = {
    "q_name": f"{_SIMPLE}.2",
    "q_in": f"{_SIMPLE}.8",  # mtxrQueueSimpleBytesIn, Counter64: towards the target
    "q_out": f"{_SIMPLE}.9",  # mtxrQueueSimpleBytesOut: from the target
    "q_drop_in": f"{_SIMPLE}.14",
    "q_drop_out": f"{_SIMPLE}.15",
    "t_name": f"{_TREE}.2",
    "t_flow": f"{_TREE}.3",  # the packet mark it shapes
    "t_parent": f"{_TREE}.4",  # a tree queue's index, or an ifIndex
    "t_bytes": f"{_TREE}.5",  # Counter32
    "t_hc": f"{_TREE}.7",  # Counter64, where the device has it
    "t_drop": f"{_TREE}.9",
}
# Columns whose row read time (`_at`) and ASN.1 width (`_bits`) the walk records (fetch.walk_columns).
QUEUE_TIMED = ("q_in", "t_hc", "t_bytes")
QUEUE_TYPED = ("q_in", "q_out", "t_hc", "t_bytes")

_UNITS = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "g": 1e9, "G": 1e9}
_RATE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgG]?)\s*$")
_MAX_PARENT_DEPTH = 32  # a tree deeper than this, or a loop in a broken table, is "unknown"


def parse_mbps(text: str | None) -> float | None:
    """One RouterOS rate ("20M", "512k", "1.5G", "30000000", "0") in Mbps; 0 means unlimited; None:
    not a rate RouterOS writes. REST reads back plain bits per second ("30M" comes back 30000000)."""
    if text is None:
        return None
    match = _RATE.match(str(text))
    if not match:
        return None
    return round(float(match.group(1)) * _UNITS[match.group(2)] / 1e6, 6)


def parse_limit_pair(text: str | None) -> tuple[float | None, float | None]:
    """A simple queue's "upload/download" pair ("10M/20M", "512k/1M", "0/0") as (up, down) in Mbps.
    A bare value (no slash) is both."""
    if text is None:
        return None, None
    up, sep, down = str(text).partition("/")
    return (parse_mbps(up), parse_mbps(down)) if sep else (parse_mbps(up), parse_mbps(up))


def unsigned(index: int) -> int:
    return index & 0xFFFFFFFF


@dataclass
class QueueRow:
    """One row of a queue table, as SNMP walked it."""

    type: Literal["simple", "tree"]
    index: int
    name: str
    in_octets: int | None = None  # simple: BytesIn; tree: its one counter
    out_octets: int | None = None  # simple: BytesOut; tree: the same counter
    bits: int = 0
    read_at: float | None = None
    dropped_in: int | None = None
    dropped_out: int | None = None
    parent_index: int | None = None  # tree only
    flow: str = ""  # tree only: the packet mark


def queue_rows(table: dict[str, dict[int, Any]] | None) -> list[QueueRow]:
    """The simple queues, then the tree queues, each in index order."""
    table = table or {}

    def col(name: str) -> dict[int, Any]:
        return table.get(name, {})

    out = []
    for index in sorted(col("q_name")):
        q_in, q_out = col("q_in").get(index), col("q_out").get(index)
        widths = (col("q_in_bits").get(index, 64), col("q_out_bits").get(index, 64))
        out.append(
            QueueRow(
                "simple",
                index,
                str(col("q_name")[index]),
                q_in,
                q_out,
                (32 if 32 in widths else 64) if q_in is not None and q_out is not None else 0,
                col("q_in_at").get(index),
                col("q_drop_in").get(index),
                col("q_drop_out").get(index),
            )
        )
    for index in sorted(col("t_name")):
        hc, low = col("t_hc").get(index), col("t_bytes").get(index)
        if hc is not None:
            value, bits, at = hc, col("t_hc_bits").get(index, 64), col("t_hc_at").get(index)
        elif low is not None:
            value, bits, at = low, 32, col("t_bytes_at").get(index)
        else:
            value, bits, at = None, 0, None
        parent = col("t_parent").get(index)
        out.append(
            QueueRow(
                "tree",
                index,
                str(col("t_name")[index]),
                value,
                value,
                bits,
                at,
                col("t_drop").get(index),
                col("t_drop").get(index),
                unsigned(parent) if isinstance(parent, int) else None,
                str(col("t_flow").get(index) or ""),
            )
        )
    return out


@dataclass
class QueueConfig:
    """One queue as the RouterOS API lists it, its limits in Mbps as the target sees them."""

    type: Literal["simple", "tree"]
    name: str
    id: str | None
    max_limit_up: float | None
    max_limit_down: float | None
    limit_at_up: float | None
    limit_at_down: float | None
    disabled: bool
    parent: str | None = None  # tree: an interface, a queue name or "global"
    target: str | None = None  # simple: the addresses or interface it shapes
    single: float | None = None  # tree: its one max-limit
    single_at: float | None = None


def _truth(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "yes")


def queue_configs(limits: RouterOsLimits | None) -> dict[tuple[str, str], QueueConfig]:
    """(type, name) -> the API's word on that queue; nothing when the API was not read."""
    if limits is None or limits.error:
        return {}
    out: dict[tuple[str, str], QueueConfig] = {}
    for obj in limits.simple:
        up, down = parse_limit_pair(obj.get("max-limit"))
        at_up, at_down = parse_limit_pair(obj.get("limit-at"))
        name = str(obj.get("name", ""))
        out[("simple", name)] = QueueConfig(
            "simple", name, obj.get(".id"), up, down, at_up, at_down, _truth(obj.get("disabled")),
            target=obj.get("target"),
        )  # fmt: skip
    for obj in limits.tree:
        limit, at = parse_mbps(obj.get("max-limit") or "0"), parse_mbps(obj.get("limit-at") or "0")
        name = str(obj.get("name", ""))
        out[("tree", name)] = QueueConfig(
            "tree", name, obj.get(".id"), None, None, None, None, _truth(obj.get("disabled")),
            parent=obj.get("parent"), single=limit, single_at=at,
        )  # fmt: skip
    return out


def oriented(
    pair: tuple[float | None, float | None], download: Literal["in", "out"]
) -> tuple[float | None, float | None]:
    """(down, up) for the OPD from a simple queue's (towards-target, from-target) pair -- the counters
    (BytesIn, BytesOut) or the max-limit's (download, upload) halves: the same for `download: in`,
    swapped for a device whose queues target the upstream side (`download: out`)."""
    first, second = pair
    return (first, second) if download == "in" else (second, first)


def tree_direction(
    name: str,
    trees: dict[int, QueueRow],
    interface_names: dict[int, str],
    port_download: dict[str, str],
    api_parents: dict[str, str],
) -> tuple[Literal["down", "up"], str, str | None]:
    """Which way a tree queue's one counter goes, why, and its root parent's name.

    A tree queue shapes what leaves its root parent interface. When a Sigap link is bound to that
    interface, its `download` says which way that is: "out" (a port facing the OPD) makes the egress
    the OPD's download, "in" (an uplink) its upload -- "parent_link". A parent that is `global`, or a
    port no link describes, says nothing: the queue is taken as a download queue -- "assumed" (the
    common Diskominfo layout: per-OPD download trees under the LAN bridge or global, by packet mark).
    The chain is followed by SNMP's ParentIndex; where an index matches nothing there, by the API's
    `parent` names. `port_download`: interface name -> that link's `download`."""
    by_name = {t.name: t for t in trees.values()}
    root: str | None = None
    current: str | None = name
    for _ in range(_MAX_PARENT_DEPTH):
        row = by_name.get(current or "")
        parent_index = row.parent_index if row else None
        if parent_index is not None and parent_index in trees:
            current = trees[parent_index].name
            continue
        if parent_index is not None and parent_index in interface_names:
            root = interface_names[parent_index]
            break
        parent = api_parents.get(current or "")
        if parent and parent in by_name and parent != current:
            current = parent
            continue
        root = parent
        break
    if root is not None and root in port_download:
        return ("down" if port_download[root] == "out" else "up"), "parent_link", root
    return "down", "assumed", root
