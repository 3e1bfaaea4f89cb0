"""A MikroTik RouterOS recording built from MIKROTIK-MIB for snmpsim: system group, a few IF-MIB rows,
mtxrQueueSimpleTable and mtxrQueueTreeTable, the byte counters animated at known rates with snmpsim's
`numeric` variation (value = initial + rate * seconds since the simulator started).

Column numbers are MIKROTIK-MIB's (LAST-UPDATED 202505190000Z): simple .2 name, .3/.4 src addr/mask,
.5/.6 dst addr/mask, .7 iface, .8/.9 BytesIn/Out (Counter64), .10/.11 packets, .12/.13 PCQ queues,
.14/.15 DroppedIn/Out (Counter32); tree .2 name, .3 flow, .4 ParentIndex, .5 Bytes (Counter32),
.6 packets, .7 HCBytes (Counter64), .8 PCQ queues, .9 dropped. Written by hand from the MIB; no
recording was copied.
"""

from __future__ import annotations

from dataclasses import dataclass

SIMPLE = "1.3.6.1.4.1.14988.1.1.2.1.1"
TREE = "1.3.6.1.4.1.14988.1.1.2.2.1"
MBPS = 1_000_000 / 8  # octets per second in one Mbit/s


@dataclass(frozen=True)
class SimpleQueue:
    index: int  # the OID's sub-identifier: unsigned (RouterOS prints those above 2^31 negative)
    name: str
    target: str = "0.0.0.0/0"
    to_target_mbps: float = 0.0  # BytesIn grows at this rate: the OPD's download
    from_target_mbps: float = 0.0  # BytesOut: its upload
    initial_in: int = 10_000_000
    initial_out: int = 5_000_000
    drops_per_s: float = 0.0  # DroppedIn


@dataclass(frozen=True)
class TreeQueue:
    index: int
    name: str
    parent: int  # ParentIndex as RouterOS types it: Integer32, so > 2^31 goes negative
    mark: str = ""
    mbps: float = 0.0
    initial: int = 1_000_000


@dataclass(frozen=True)
class Port:
    index: int
    name: str
    speed_mbps: int = 1000


def _counter(tag: str, rate_octets: float, initial: int) -> str:
    if not rate_octets:
        return f"{tag}|{initial}"
    return f"{tag}:numeric|rate={rate_octets:g},initial={initial}"


def _ip(text: str) -> tuple[str, str]:
    address, _, bits = text.partition("/")
    n = int(bits or 32)
    mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
    return address, ".".join(str((mask >> s) & 0xFF) for s in (24, 16, 8, 0))


def signed32(value: int) -> int:
    """How RouterOS types an index in a value (ObjectIndex is Integer32): 4294967290 is -6."""
    return value - 2**32 if value >= 2**31 else value


def mikrotik(
    ports: list[Port], simple: list[SimpleQueue], tree: list[TreeQueue], *, uptime_ticks: int = 360_000
) -> str:
    """The .snmprec text, lines in OID order (snmpsim walks the file in its order)."""
    lines: list[tuple[tuple[int, ...], str]] = []

    def put(oid: str, value: str) -> None:
        lines.append((tuple(int(x) for x in oid.split(".")), f"{oid}|{value}"))

    put("1.3.6.1.2.1.1.1.0", "4|RouterOS CCR2004-16G-2S+")
    put("1.3.6.1.2.1.1.2.0", "6|1.3.6.1.4.1.14988.1")
    put("1.3.6.1.2.1.1.3.0", f"67:numeric|rate=100,initial={uptime_ticks}")
    put("1.3.6.1.2.1.1.5.0", "4|rb-pusat")
    for p in ports:
        put(f"1.3.6.1.2.1.2.2.1.2.{p.index}", f"4|{p.name}")
        put(f"1.3.6.1.2.1.2.2.1.3.{p.index}", "2|6")
        put(f"1.3.6.1.2.1.2.2.1.5.{p.index}", f"66|{min(p.speed_mbps * 10**6, 2**32 - 1)}")
        put(f"1.3.6.1.2.1.2.2.1.7.{p.index}", "2|1")
        put(f"1.3.6.1.2.1.2.2.1.8.{p.index}", "2|1")
        put(f"1.3.6.1.2.1.31.1.1.1.1.{p.index}", f"4|{p.name}")
        put(f"1.3.6.1.2.1.31.1.1.1.6.{p.index}", "70|1000")
        put(f"1.3.6.1.2.1.31.1.1.1.10.{p.index}", "70|2000")
        put(f"1.3.6.1.2.1.31.1.1.1.15.{p.index}", f"66|{p.speed_mbps}")
        put(f"1.3.6.1.2.1.31.1.1.1.18.{p.index}", "4|")
    for q in simple:
        i = q.index
        src, src_mask = _ip(q.target)
        put(f"{SIMPLE}.2.{i}", f"4|{q.name}")
        put(f"{SIMPLE}.3.{i}", f"64|{src}")
        put(f"{SIMPLE}.4.{i}", f"64|{src_mask}")
        put(f"{SIMPLE}.5.{i}", "64|0.0.0.0")
        put(f"{SIMPLE}.6.{i}", "64|0.0.0.0")
        put(f"{SIMPLE}.7.{i}", "2|0")
        put(f"{SIMPLE}.8.{i}", _counter("70", q.to_target_mbps * MBPS, q.initial_in))
        put(f"{SIMPLE}.9.{i}", _counter("70", q.from_target_mbps * MBPS, q.initial_out))
        for column in (10, 11, 12, 13, 15):
            put(f"{SIMPLE}.{column}.{i}", "65|0")
        put(f"{SIMPLE}.14.{i}", _counter("65", q.drops_per_s, 0))
    for t in tree:
        i = t.index
        put(f"{TREE}.2.{i}", f"4|{t.name}")
        put(f"{TREE}.3.{i}", f"4|{t.mark}")
        put(f"{TREE}.4.{i}", f"2|{signed32(t.parent)}")
        low = f"65:numeric|rate={t.mbps * MBPS:g},initial={t.initial % 2**32},wrap=1" if t.mbps else "65|0"
        put(f"{TREE}.5.{i}", low)
        put(f"{TREE}.6.{i}", "65|0")
        put(f"{TREE}.7.{i}", _counter("70", t.mbps * MBPS, t.initial))
        put(f"{TREE}.8.{i}", "65|0")
        put(f"{TREE}.9.{i}", "65|0")
    return "\n".join(line for _oid, line in sorted(lines)) + "\n"


# --- the test bed: one central MikroTik shaping the OPDs of a kabupaten ----------------------------

GLOBAL = 16777204  # what a RouterOS 7 recording (LibreNMS rb2011il) gives a tree queue under `global`
BIG = 4294967290  # an index RouterOS prints as -6
PORTS = [Port(1, "ether1-wan"), Port(2, "bridge-lan")]
# name -> (index, target, down Mbps, up Mbps); the REST max-limit beside it ("upload/download", bps)
SIMPLE_QUEUES = {
    "opd-dinkes": (1, "10.10.1.0/24", 4.0, 1.0, "5000000/10000000"),  # well within limit and contract
    "opd-bappeda": (2, "10.10.2.0/24", 3.9, 0.5, "2000000/4000000"),  # held at its own 4 Mbps
    "opd-dishub": (3, "10.10.3.0/24", 14.0, 1.0, "20000000/20000000"),  # flat at 70 % of 20 Mbps
    "opd-kominfo": (BIG, "10.10.4.0/24", 1.0, 1.0, "0/0"),  # unlimited
    "opd-pariwisata": (5, "10.10.5.0/24", 0.0, 0.0, "1000000/1000000"),  # disabled
}
DISABLED = {"opd-pariwisata"}
TREE_QUEUES = [
    # (index, name, parent index, packet mark, Mbps, REST parent, REST max-limit)
    (BIG, "tree-root-dl", GLOBAL, "", 0.0, "global", "0"),
    (16777216, "tree-dl-dinsos", BIG, "dinsos-dl", 6.0, "tree-root-dl", "8M"),  # ParentIndex -6
    (16777217, "tree-ul-dinsos", 1, "dinsos-ul", 1.0, "ether1-wan", "2000000"),
]


def bed_recording(*, recreated: bool = False) -> str:
    """The router now, or (`recreated`) later: opd-dinkes removed and made again (a new index, counters
    from 0), opd-dishub's counters reset, opd-bappeda removed."""
    simple = []
    for name, (index, target, down, up, _limit) in SIMPLE_QUEUES.items():
        initial = 50_000_000_000
        if recreated and name == "opd-bappeda":
            continue
        if recreated and name == "opd-dinkes":
            index, initial = 6, 0
        if recreated and name == "opd-dishub":
            initial = 1_000
        simple.append(SimpleQueue(index, name, target, down, up, initial, initial // 2))
    tree = [TreeQueue(i, n, p, m, mbps) for i, n, p, m, mbps, _rp, _rl in TREE_QUEUES]
    return mikrotik(PORTS, simple, tree)


def bed_rest(*, recreated: bool = False) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The same router's /rest/queue/simple and /rest/queue/tree, as RouterOS 7 reads them back."""
    simple = []
    for name, (index, target, _down, _up, limit) in SIMPLE_QUEUES.items():
        if recreated and name == "opd-bappeda":
            continue
        index = 6 if recreated and name == "opd-dinkes" else index
        simple.append(
            {
                ".id": f"*{index:X}",
                "name": name,
                "target": target,
                "max-limit": limit,
                "limit-at": "0/0",
                "disabled": "true" if name in DISABLED else "false",
                "bytes": "0/0",
            }
        )
    tree = [
        {
            ".id": f"*{i:X}",
            "name": n,
            "parent": rp,
            "packet-mark": m,
            "max-limit": rl,
            "limit-at": "0",
            "disabled": "false",
        }
        for i, n, _p, m, _mbps, rp, rl in TREE_QUEUES
    ]
    return simple, tree


# --- canned polls for the parse and evaluate tests (no simulator) ---------------------------------


def queue_table(
    simple: dict[int, tuple[str, int, int]] | None = None,
    tree: dict[int, tuple[str, int | None, int]] | None = None,
    *,
    at: float | None = None,
) -> dict[str, dict[int, object]]:
    """The walked queue columns: simple index -> (name, BytesIn, BytesOut), tree index -> (name,
    ParentIndex as RouterOS types it, HCBytes)."""
    out: dict[str, dict[int, object]] = {}
    for index, (name, q_in, q_out) in (simple or {}).items():
        for column, value in (("q_name", name), ("q_in", q_in), ("q_out", q_out), ("q_in_bits", 64)):
            out.setdefault(column, {})[index] = value
        if at is not None:
            out.setdefault("q_in_at", {})[index] = at
    for index, (name, parent, hc) in (tree or {}).items():
        for column, value in (("t_name", name), ("t_parent", parent), ("t_hc", hc), ("t_hc_bits", 64)):
            if value is not None:
                out.setdefault(column, {})[index] = value
    return out


def ports_table() -> dict[str, dict[int, object]]:
    from .snmpdata import port, table

    return table({1: port(0, 0, name="ether1-wan", speed=1000), 2: port(0, 0, name="bridge-lan", speed=1000)})


def run_polls(device, polls, settings=None):
    """Feed (time, sysUpTime, queue table, RouterOsLimits | None) through evaluate, carrying the memory."""
    from checks.snmp import SnmpSettings, device_memory
    from checks.snmp.evaluate import evaluate_device
    from checks.snmp.model import DevicePoll

    settings = settings or SnmpSettings()
    memory: dict = {}
    results = []
    for at, uptime, qtable, limits in polls:
        poll = DevicePoll(at=at, uptime_ticks=uptime, table=ports_table(), queue_table=qtable, limits=limits)
        result = evaluate_device(device, poll, memory, settings)
        memory = device_memory(result)
        results.append(result)
    return results
