"""Counter arithmetic with time passed in: wraps, resets, reboots, bogus values, never a spike."""

import pytest

from checks.snmp.rates import MAX64, WRAP32, CounterSample, rate, uptime_steady

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
        # 8 Gbit/s on a 100 Mbit/s port while sysUpTime stood still (a frozen agent): not traffic
        (s(0, 100, 0, 0), s(10, 100, 10**10, 0), "above_line_rate"),
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


# --- a speed that is the device's placeholder (issue 22: Sangfor, net-snmp's 10 Mbps) -------------


def test_above_a_placeholder_speed_the_rate_is_kept_when_the_counters_are_consistent() -> None:
    # 50 Mbit/s through a port the device calls 10 Mbit/s, sysUpTime running with the clock
    prev, cur = s(0, 100, 0, 0, speed=10 * MBPS), s(60, 6100, 375_000_000, 0, speed=10 * MBPS)
    r = rate(prev, cur)
    assert (r.in_bps, r.out_bps, r.reason, r.above_speed) == (50 * MBPS, 0, None, True)
    assert not rate(s(0, 100, 0, 0), s(60, 6100, 1_000, 0)).above_speed  # under the speed: nothing to say


@pytest.mark.parametrize(
    ("kwargs", "in_bps", "reason"),
    [
        ({"line_bps": 1000 * MBPS}, 50 * MBPS, None),  # the operator's speed: 50 is under it
        ({"line_bps": 20 * MBPS}, None, "above_line_rate"),  # ...and a hard ceiling
        ({"ceiling_bps": 40 * MBPS}, None, "above_contract_ceiling"),  # twice a 20 Mbps contract
        ({"ceiling_bps": 200 * MBPS}, 50 * MBPS, None),
        ({"speed_suspect": True}, 50 * MBPS, None),  # known placeholder: no ceiling from it
    ],
)
def test_the_ceiling_over_a_placeholder(kwargs, in_bps, reason) -> None:
    prev, cur = s(0, 100, 0, 0, speed=10 * MBPS), s(60, 6100, 375_000_000, 0, speed=10 * MBPS)
    r = rate(prev, cur, **kwargs)
    assert (r.in_bps, r.reason) == (in_bps, reason)


def test_without_any_usable_speed_a_rate_beyond_any_port_is_no_traffic() -> None:
    # speed unknown (0 on a logical interface), no contract: 10^15 octets in a minute is an ifIndex
    # that moved to another port, not 133 Tbit/s
    r = rate(s(0, 100, 0, 0, speed=None), s(60, 6100, 10**15, 0, speed=None))
    assert (r.in_bps, r.reason) == (None, "implausible_rate")


@pytest.mark.parametrize(
    ("up0", "up1", "steady"),
    [(100, 6100, True), (100, 6600, True), (100, 100, False), (100, 12100, False), (None, 6100, False)],
)
def test_uptime_steady_means_sysuptime_ran_with_the_clock(up0, up1, steady) -> None:
    assert uptime_steady(s(0, up0, 0, 0), s(60, up1, 0, 0)) is steady
