"""Bits per second from two counter samples. Pure: no I/O, no clock.

The rules real devices force on us (see shared/knowledge/monitoring-lessons.md):
- a Counter32 that went down wrapped at 2^32 (a 100 Mbps link wraps in under 6 minutes);
- a Counter64 that went down was reset, never wrapped;
- sysUpTime that went back means a reboot: the counters started again, the sample has no rate;
- a device answering 2^64-1 (or 2^32-1 on a 32-bit counter) has no real value;
- a switch between 64- and 32-bit counters is a discontinuity;
- a rate above line speed is a discontinuity, not traffic: no rate, never a spike -- unless the speed
  is the device's placeholder (a Sangfor says 10 Mbps on all 32 ports, net-snmp says 10 Mbps where the
  driver gives none): when sysUpTime ran with the clock and the width held, the counters are
  consistent, so the rate is kept and the speed is what is wrong. Then the contract (or the speed the
  operator configured) is the ceiling instead.
"""

from __future__ import annotations

from dataclasses import dataclass

WRAP32 = 2**32
MAX64 = 2**64 - 1
_LINE_RATE_SLACK = 1.05  # counters tick in bursts; allow 5% over line rate before calling it bogus
# sysUpTime is read once per walk, the counters later in it: "steady" allows that gap (a few seconds
# on a large device) and a tenth of the interval for agents whose clock ticks unevenly.
_UPTIME_SLACK_S = 5.0
_UPTIME_SLACK_SHARE = 0.1
# Where no speed can be trusted and no contract bounds the link, a delta that would be faster than any
# port an office runs is an ifIndex that moved to another port or an agent's glitch, not traffic.
_CREDIBLE_BPS = 100e9


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
    above_speed: bool = False  # kept above the reported speed: the counters were consistent


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


def uptime_steady(prev: CounterSample, cur: CounterSample) -> bool:
    """sysUpTime advanced with the clock between the samples: no restart of the agent in between."""
    if prev.uptime_ticks is None or cur.uptime_ticks is None:
        return False
    dt = cur.at - prev.at
    ran = (cur.uptime_ticks - prev.uptime_ticks) / 100
    return abs(ran - dt) <= max(_UPTIME_SLACK_S, _UPTIME_SLACK_SHARE * dt)


def rate(
    prev: CounterSample | None,
    cur: CounterSample,
    *,
    line_bps: float | None = None,
    speed_suspect: bool = False,
    ceiling_bps: float | None = None,
) -> Rate:
    """`line_bps`: the speed the operator configured, a hard ceiling over the device's. `speed_suspect`:
    the device's speed is known to be a placeholder (exceeded before), no ceiling at all. `ceiling_bps`:
    the bound where the device's speed is unknown or a placeholder (the contract's)."""
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
    reported = None if speed_suspect else cur.speed_bps or prev.speed_bps
    speed = line_bps or reported or ceiling_bps
    if cur.bits == 32 and speed and dt * speed / 8 >= WRAP32:
        # Long enough at line rate for the counter to wrap more than once: the delta is ambiguous.
        return Rate(None, None, "poll_gap_exceeds_wrap")
    rates: list[float] = []
    for p, c in ((prev.in_octets, cur.in_octets), (prev.out_octets, cur.out_octets)):
        delta, why = _delta(p, c, cur.bits)
        if delta is None:
            return Rate(None, None, why)
        rates.append(delta * 8 / dt)
    top = max(rates)
    if line_bps:
        if top > line_bps * _LINE_RATE_SLACK:
            return Rate(None, None, "above_line_rate")
        return Rate(rates[0], rates[1])
    above = bool(reported and top > reported * _LINE_RATE_SLACK)
    if above and not uptime_steady(prev, cur):
        return Rate(None, None, "above_line_rate")
    if above or not reported:  # the device's speed bounds nothing: the contract does, or sense
        if ceiling_bps and top > ceiling_bps:
            return Rate(None, None, "above_contract_ceiling")
        if top > _CREDIBLE_BPS:
            return Rate(None, None, "implausible_rate")
    return Rate(rates[0], rates[1], above_speed=above)
