"""Bits per second from two counter samples. Pure: no I/O, no clock.

The rules real devices force on us (see shared/knowledge/monitoring-lessons.md):
- a Counter32 that went down wrapped at 2^32 (a 100 Mbps link wraps in under 6 minutes);
- a Counter64 that went down was reset, never wrapped;
- sysUpTime that went back means a reboot: the counters started again, the sample has no rate;
- a device answering 2^64-1 (or 2^32-1 on a 32-bit counter) has no real value;
- a switch between 64- and 32-bit counters is a discontinuity;
- a rate above line speed is a discontinuity, not traffic: no rate, never a spike.
"""

from __future__ import annotations

from dataclasses import dataclass

WRAP32 = 2**32
MAX64 = 2**64 - 1
_LINE_RATE_SLACK = 1.05  # counters tick in bursts; allow 5% over line rate before calling it bogus


@dataclass(frozen=True)
class CounterSample:
    at: float  # seconds (epoch), when the poll answered
    uptime_ticks: int | None  # sysUpTime, hundredths of a second
    in_octets: int | None
    out_octets: int | None
    bits: int  # 64 or 32: which counters these are
    speed_bps: float | None = None  # the interface's speed at this sample

    def to_json(self) -> dict:
        return {
            "at": self.at,
            "uptime": self.uptime_ticks,
            "in": self.in_octets,
            "out": self.out_octets,
            "bits": self.bits,
            "speed_bps": self.speed_bps,
        }

    @classmethod
    def from_json(cls, d: dict) -> CounterSample:
        return cls(d["at"], d.get("uptime"), d.get("in"), d.get("out"), int(d["bits"]), d.get("speed_bps"))


@dataclass(frozen=True)
class Rate:
    in_bps: float | None
    out_bps: float | None
    reason: str | None = None  # why there is no rate: first_sample, reboot, counter_reset, ...


def _delta(prev: int | None, cur: int | None, bits: int) -> tuple[int | None, str | None]:
    if prev is None or cur is None:
        return None, "no_counter"
    if (bits == 64 and MAX64 in (prev, cur)) or (bits == 32 and WRAP32 - 1 in (prev, cur) and prev == cur):
        return None, "bogus_counter"
    if cur >= prev:
        return cur - prev, None
    if bits == 32:
        return cur + WRAP32 - prev, None  # one wrap; the line-rate test below catches two
    return None, "counter_reset"


def rate(prev: CounterSample | None, cur: CounterSample) -> Rate:
    if prev is None:
        return Rate(None, None, "first_sample")
    dt = cur.at - prev.at
    if dt <= 0:
        return Rate(None, None, "clock_went_back")
    if prev.bits != cur.bits:
        return Rate(None, None, "counter_width_changed")
    if (
        prev.uptime_ticks is not None
        and cur.uptime_ticks is not None
        and cur.uptime_ticks < prev.uptime_ticks
    ):
        return Rate(None, None, "reboot")
    speed = cur.speed_bps or prev.speed_bps
    if cur.bits == 32 and speed and dt * speed / 8 >= WRAP32:
        # Long enough at line rate for the counter to wrap more than once: the delta is ambiguous.
        return Rate(None, None, "poll_gap_exceeds_wrap")
    rates: list[float | None] = []
    for p, c in ((prev.in_octets, cur.in_octets), (prev.out_octets, cur.out_octets)):
        delta, why = _delta(p, c, cur.bits)
        if delta is None:
            return Rate(None, None, why)
        bps = delta * 8 / dt
        if speed and bps > speed * _LINE_RATE_SLACK:
            return Rate(None, None, "above_line_rate")
        rates.append(bps)
    return Rate(rates[0], rates[1])
