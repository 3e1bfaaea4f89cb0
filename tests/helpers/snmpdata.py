"""Canned SNMP walks for the parse and evaluate tests: IF-MIB tables, ports, polls over time."""

from __future__ import annotations

from checks.snmp import Contract, Device, SnmpSettings, Watch, device_memory
from checks.snmp.evaluate import evaluate_device
from checks.snmp.model import DevicePoll

MB = 1_000_000 / 8  # octets per second in one Mbps


def table(rows: dict[int, dict], x_rows: dict[int, dict] | None = None) -> dict[str, dict[int, object]]:
    """ifTable columns from `rows`, ifXTable columns from `x_rows` (default: the same indexes)."""
    out: dict[str, dict[int, object]] = {}
    for index, row in rows.items():
        for column in ("descr", "speed", "admin", "oper", "in32", "out32"):
            if column in row:
                out.setdefault(column, {})[index] = row[column]
    for index, row in (rows if x_rows is None else x_rows).items():
        # in64_bits/out64_bits: the width the device typed its ifHC counters with (fetch records it)
        for column in ("name", "in64", "out64", "high_speed", "alias", "in64_bits", "out64_bits"):
            if column in row:
                out.setdefault(column, {})[index] = row[column]
    return out


def port(in64: int, out64: int, *, oper: int = 1, speed: int = 100, name: str = "ether1") -> dict:
    return {
        "descr": name,
        "name": name,
        "admin": 1,
        "oper": oper,
        "speed": speed * 1_000_000,
        "high_speed": speed,
        "in64": in64,
        "out64": out64,
        "in32": in64 % 2**32,
        "out32": out64 % 2**32,
    }


def run(device: Device, polls: list[tuple[float, int, dict]], settings: SnmpSettings | None = None):
    """Feed (time, sysUpTime, table) polls through evaluate, carrying the memory like the agent."""
    settings = settings or SnmpSettings()
    memory: dict = {}
    results = []
    for at, uptime, t in polls:
        result = evaluate_device(device, DevicePoll(at=at, uptime_ticks=uptime, table=t), memory, settings)
        memory = device_memory(result)
        results.append(result)
    return results


def steady(rate_in: float, rate_out: float, count: int, step: float = 300, **port_kw) -> list[tuple]:
    return [
        (
            1000 + k * step,
            100 + int(k * step * 100),
            table({5: port(int(k * step * rate_in), int(k * step * rate_out), **port_kw)}),
        )
        for k in range(count)
    ]


def link(down: float = 20, up: float = 10, **kw) -> Device:
    watch = Watch(Contract("dinkes", down, up), **({"if_index": 5} | kw))
    return Device("rtr", "127.0.0.1", watches=(watch,))
