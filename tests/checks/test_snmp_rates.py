"""Counter arithmetic with time passed in: wraps, resets, reboots, bogus values, never a spike."""

import pytest

from checks.snmp.rates import MAX64, WRAP32, CounterSample, rate

MBPS = 1_000_000


def s(at, up, i, o, bits=64, speed=100 * MBPS):
    return CounterSample(at, up, i, o, bits, speed)


def test_plain_rate_in_bits_per_second() -> None:
    r = rate(s(0, 100, 1_000, 2_000), s(10, 1100, 1_000 + 12_500_000, 2_000 + 1_250_000))
    assert (r.in_bps, r.out_bps, r.reason) == (10 * MBPS, 1 * MBPS, None)


def test_counter32_wrap_gives_the_true_rate() -> None:
    prev = s(0, 0, WRAP32 - 1_000, 5, bits=32)
    cur = s(60, 6000, 12_499_000, 5 + 750_000, bits=32)  # 12.5 MB crossed the wrap in 60 s
    r = rate(prev, cur)
    assert r.in_bps == pytest.approx(12_500_000 * 8 / 60)
    assert r.out_bps == pytest.approx(100_000)


@pytest.mark.parametrize(
    ("prev", "cur", "reason"),
    [
        (None, s(0, 0, 1, 1), "first_sample"),
        (s(0, 90000, 10**12, 10**12), s(60, 500, 10**5, 10**5), "reboot"),  # sysUpTime went back
        (s(0, 100, 10**12, 10**12), s(60, 6100, 10**5, 10**12), "counter_reset"),  # 64-bit went down
        (s(0, 100, 5, 5), s(60, 6100, MAX64, 9), "bogus_counter"),
        (s(0, 100, 5, 5, bits=32), s(60, 6100, 9, 9, bits=64), "counter_width_changed"),
        (s(0, 100, 0, 0), s(1, 200, 10**9, 0), "above_line_rate"),  # 8 Gbit/s on a 100 Mbit/s port
        (s(0, 100, 0, 0, bits=32), s(3600, 360100, 5, 5, bits=32), "poll_gap_exceeds_wrap"),
        (s(60, 100, 0, 0), s(60, 100, 5, 5), "clock_went_back"),
    ],
)
def test_no_rate_rather_than_a_spike(prev, cur, reason) -> None:
    r = rate(prev, cur)
    assert (r.in_bps, r.out_bps, r.reason) == (None, None, reason)


def test_snmpd_restart_resets_uptime_but_not_counters_and_gives_no_rate() -> None:
    r = rate(s(0, 500_000, 10**9, 10**9), s(60, 200, 10**9 + 750_000, 10**9))
    assert r.reason == "reboot"  # cannot tell it from a reboot: skip one sample, never guess
