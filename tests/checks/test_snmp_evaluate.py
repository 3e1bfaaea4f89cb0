"""The SNMP check's parse and evaluate steps on canned walks (the edge faked, the logic real):
table joins, counter choice, windows for over-use and under-delivery, interface state, reboots."""

from __future__ import annotations

from helpers.snmpdata import MB, link, port, run, steady, table

from checks.snmp import Contract, Device, SnmpSettings, Watch, device_memory
from checks.snmp.engine import AUTH, PRIV
from checks.snmp.evaluate import evaluate_device, plan
from checks.snmp.model import AUTH_PROTOCOLS, PRIV_PROTOCOLS, DevicePoll
from checks.snmp.parse import interfaces, pair_foreign_rows
from sop_registry.ledger.series import percentile


def test_protocol_names_match_the_pysnmp_mapping():
    assert set(AUTH) == set(AUTH_PROTOCOLS)
    assert set(PRIV) == set(PRIV_PROTOCOLS)


def test_ifxtable_on_another_index_space_is_joined_by_name():
    t = table(
        {1: {"descr": "ether1", "oper": 1, "admin": 1, "in32": 5, "out32": 6, "speed": 10**8}},
        {1001: {"name": "ether1", "in64": 500, "out64": 600, "high_speed": 1000, "alias": "ke Dinkes"}},
    )
    (iface,) = interfaces(t, pair_foreign_rows(t))
    assert (iface.index, iface.name, iface.alias) == (1, "ether1", "ke Dinkes")
    assert (iface.bits, iface.in_octets, iface.speed_mbps) == (64, 500, 1000.0)


def test_counter_choice_per_row():
    t = table(
        {
            1: {"descr": "Fa0/1", "in32": 10, "out32": 20, "speed": 10**8},  # no HC on this row
            2: {"descr": "Gi0/1", "in32": 1, "out32": 2, "speed": 2**32 - 1},
            3: {"descr": "lsi", "speed": 0},
        },
        {
            2: {"name": "Gi0/1", "in64": 2**64 - 1, "out64": 7, "high_speed": 10000},  # bogus HC value
            3: {"name": "lsi", "high_speed": 0},
        },
    )
    by_name = {i.name: i for i in interfaces(t, pair_foreign_rows(t))}
    assert (by_name["Fa0/1"].bits, by_name["Fa0/1"].in_octets) == (32, 10)
    assert by_name["Gi0/1"].bits == 32  # 2^64-1 is no value: the 32-bit counter is used
    assert by_name["Gi0/1"].speed_mbps == 10000.0  # ifSpeed is stuck at 2^32-1 above 4.29 Gbps
    assert (by_name["lsi"].bits, by_name["lsi"].speed_mbps) == (0, None)  # speed 0 is "unknown"


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def test_rate_and_utilisation_against_the_contract_not_the_port():
    results = run(link(), steady(8 * MB, 2 * MB, 2))
    (iface,) = results[-1].interfaces
    assert iface.in_bps == 8_000_000 and iface.out_bps == 2_000_000
    assert (iface.down_util_pct, iface.up_util_pct) == (40.0, 20.0)  # of 20/10 Mbps, not of 100 Mbps
    assert iface.target == "dinkes" and iface.status == "ok"
    assert results[0].interfaces[0].no_rate_reason == "first_sample"


def test_download_on_the_out_counter_for_a_datacentre_port():
    device = Device(
        "sw", "127.0.0.1", watches=(Watch(Contract("dinkes", 20, 10, download="out"), if_index=5),)
    )
    (iface,) = run(device, steady(2 * MB, 8 * MB, 2))[-1].interfaces
    assert (iface.down_util_pct, iface.up_util_pct) == (40.0, 20.0)


def test_over_use_needs_the_whole_window():
    # 18 Mbps of a 20 Mbps contract is 90% > 80%: warned only once 15 minutes of rates say so.
    results = run(link(), steady(18 * MB, 1 * MB, 5))
    assert [("bw_over_use" in codes(r.interfaces[0])) for r in results] == [False, False, False, True, True]
    finding = next(f for f in results[-1].interfaces[0].findings if f.code == "bw_over_use")
    assert finding.status == "warn" and finding.observed["direction"] == "down"


def test_over_use_interrupted_by_a_quiet_sample_is_not_sustained():
    polls = steady(18 * MB, 1 * MB, 5)
    at, uptime, _ = polls[2]
    # A quiet interval: the counters moved only 1 Mbps worth between poll 1 and poll 2.
    polls[2] = (at, uptime, table({5: port(int(300 * 18 * MB + 300 * MB), int(600 * MB))}))
    results = run(link(), polls)
    assert all("bw_over_use" not in codes(r.interfaces[0]) for r in results[:4])


def test_under_delivery_is_a_flat_top_below_the_contract():
    # 14 Mbps of 20, flat for 20 minutes: the provider holds the link at 70%.
    results = run(link(), steady(14 * MB, 1 * MB, 5))
    finding = next(f for f in results[-1].interfaces[0].findings if f.code == "bw_under_delivery")
    assert finding.status == "crit" and finding.observed == {
        "value": 14.0,
        "unit": "Mbps",
        "direction": "down",
    }
    assert results[-1].interfaces[0].status == "crit"


def test_varying_traffic_is_not_under_delivery():
    polls, total = [], 0
    for k, mbps in enumerate([14, 11, 16, 12, 15]):
        total += int(300 * mbps * MB) if k else 0
        polls.append((1000 + k * 300, 100 + k * 30000, table({5: port(total, k * 300 * int(MB))})))
    assert all("bw_under_delivery" not in codes(r.interfaces[0]) for r in run(link(), polls))


def test_watched_port_down_is_crit_spare_port_down_is_warn():
    t = table({5: port(0, 0, oper=2), 6: port(0, 0, oper=7, name="ether2")})
    (result,) = run(link(), [(1000, 100, t)])
    by_index = {i.if_index: i for i in result.interfaces}
    assert by_index[5].status == "crit" and "if_down" in codes(by_index[5])
    assert by_index[6].status == "warn" and by_index[6].oper_status == "lowerLayerDown"


def test_negative_routeros_index_and_name_binding():
    big = 2**32 - 5  # RouterOS prints this ifIndex as -5
    t = table({big: port(0, 0, name="sfp1")})
    (result,) = run(Device("r", "h", watches=(Watch(Contract("a", 10, 10), if_index=-5),)), [(1000, 1, t)])
    assert result.interfaces[0].link_id == "a"
    (result,) = run(Device("r", "h", watches=(Watch(Contract("b", 10, 10), if_name="sfp1"),)), [(1000, 1, t)])
    assert result.interfaces[0].link_id == "b"
    (result,) = run(Device("r", "h", watches=(Watch(Contract("c", 10, 10), if_name="sfp9"),)), [(1000, 1, t)])
    missing = [i for i in result.interfaces if i.link_id == "c"]
    assert missing[0].status == "unknown" and codes(missing[0]) == ["interface_missing"]


def test_speed_change_and_a_port_slower_than_the_contract():
    slower = (1300, 30100, table({5: port(int(300 * MB), int(300 * MB), speed=10)}))
    polls = [*steady(1 * MB, 1 * MB, 1), slower]
    results = run(link(down=20), polls)
    found = codes(results[-1].interfaces[0])
    assert "speed_changed" in found and "speed_below_contract" in found


def test_reboot_gives_no_rate_and_never_a_spike():
    polls = steady(8 * MB, 2 * MB, 2)
    # Rebooted: uptime back to 5 s, counters restarted near zero.
    polls.append((1600, 500, table({5: port(1000, 1000)})))
    polls.append((1900, 30500, table({5: port(1000 + int(300 * 8 * MB), 1000 + int(300 * 2 * MB))})))
    results = run(link(), polls)
    assert "device_rebooted" in codes(results[2])
    assert results[2].interfaces[0].in_bps is None and results[2].interfaces[0].no_rate_reason == "reboot"
    assert results[3].interfaces[0].in_bps == 8_000_000


def test_unreachable_device_keeps_the_links_unknown_and_the_memory():
    device = link()
    first = evaluate_device(
        device, DevicePoll(at=1000, uptime_ticks=1, table=table({5: port(0, 0)})), {}, SnmpSettings()
    )
    memory = device_memory(first)
    failed = evaluate_device(device, DevicePoll(at=1300, error="timeout"), memory, SnmpSettings())
    assert failed.status == "unknown" and failed.memory is None
    assert [(i.target, i.status) for i in failed.interfaces] == [("dinkes", "unknown")]
    after = evaluate_device(
        device,
        DevicePoll(at=1600, uptime_ticks=60001, table=table({5: port(int(600 * MB), 0)})),
        memory,
        SnmpSettings(),
    )
    assert after.interfaces[0].in_bps == 1_000_000  # the rate spans the outage, averaged over it


def test_percentile_nearest_rank():
    assert percentile([], 95) is None
    values = list(range(1, 101))
    assert percentile(values, 95) == 95
    assert percentile([5.0], 95) == 5.0
    assert percentile([1, 2, 3, 4, 100], 95) == 100  # one sample in five is above the 80th


def test_routine_polls_walk_only_the_changing_columns_and_keep_the_names():
    device = link()
    settings = SnmpSettings(rediscover_minutes=60)
    first = evaluate_device(
        device, DevicePoll(at=1000, uptime_ticks=100, table=table({5: port(0, 0)})), {}, settings
    )
    memory = device_memory(first)
    columns = plan(memory, 1300, settings)
    assert columns == ["admin", "oper", "in64", "out64", "high_speed"]
    routine = {c: v for c, v in table({5: port(int(300 * MB), 0)}).items() if c in columns}
    second = evaluate_device(
        device, DevicePoll(at=1300, uptime_ticks=30100, table=routine, full=False), memory, settings
    )
    (iface,) = second.interfaces
    assert (iface.if_name, iface.in_bps, iface.speed_mbps) == ("ether1", 1_000_000, 100.0)
    assert plan(device_memory(second), 1000 + 3600, settings) is None  # an hour on: walk everything again
    # A reboot between routine polls: the next one walks everything (indexes may have moved).
    third = evaluate_device(
        device, DevicePoll(at=1600, uptime_ticks=50, table=routine, full=False), memory, settings
    )
    assert plan(device_memory(third), 1900, settings) is None


# --- right on real devices (issue 22) ------------------------------------------------------------


def test_a_routine_poll_keeps_the_ifspeed_of_a_row_whose_ifhighspeed_is_0():
    # A Palo Alto sub-interface (ethernet1/13.4008): ifHighSpeed 0, ifSpeed 1 Gbps. Walked only for
    # ifHighSpeed between full walks, its speed and the check against a 2 Gbps contract were lost.
    sub = {**port(0, 0, speed=1000, name="ethernet1/13.4008"), "high_speed": 0}
    device = link(down=2000, up=2000)
    settings = SnmpSettings(rediscover_minutes=60)
    first = evaluate_device(
        device, DevicePoll(at=1000, uptime_ticks=100, table=table({5: sub})), {}, settings
    )
    memory = device_memory(first)
    columns = plan(memory, 1300, settings)
    assert columns is not None and "speed" in columns
    routine = {c: v for c, v in table({5: sub}).items() if c in columns}
    second = evaluate_device(
        device, DevicePoll(at=1300, uptime_ticks=30100, table=routine, full=False), memory, settings
    )
    for result in (first, second):
        (iface,) = result.interfaces
        assert iface.speed_mbps == 1000.0 and "speed_below_contract" in codes(iface)


def test_counter32_in_the_hc_columns_wraps_at_2_to_the_32():
    # A Venustech VSOS firewall types ifHCInOctets as Counter32: a value that went down wrapped.
    def hc32(in_octets: int, out_octets: int) -> dict:
        t = table({5: port(in_octets, out_octets)})
        return {**t, "in64_bits": {5: 32}, "out64_bits": {5: 32}}

    half = int(150 * 8 * MB)  # 150 s at 8 Mbps, either side of the wrap
    polls = [(1000, 100, hc32(2**32 - half, 0)), (1300, 30100, hc32(half, 2 * half))]
    results = run(link(), polls)
    (iface,) = results[-1].interfaces
    assert iface.no_rate_reason is None and iface.in_bps == 8_000_000 and iface.out_bps == 8_000_000
    assert iface.memory["sample"]["bits"] == 32
    assert "counter_discontinuity" not in codes(iface)
    columns = plan(device_memory(results[-1]), 1600, SnmpSettings())
    assert columns == ["admin", "oper", "in64", "out64", "high_speed"]  # still the HC columns


def test_a_placeholder_speed_is_flagged_and_the_rate_kept():
    # A Sangfor port that says 10 Mbps carries 50: sysUpTime steady, the same counters -> real traffic.
    polls = steady(50 * MB, 5 * MB, 3, speed=10)
    at, uptime, _ = polls[-1]
    quiet = port(int(600 * 50 * MB + 300 * MB), int(600 * 5 * MB + 300 * MB), speed=10)  # 1 Mbps
    polls.append((at + 300, uptime + 30000, table({5: quiet})))
    results = run(link(down=100, up=100), polls)
    first, second, _third, quiet = (r.interfaces[0] for r in results)
    assert second.in_bps == 50_000_000 and second.down_util_pct == 50.0
    assert "speed_below_contract" in codes(first) and not first.speed_suspect  # not known yet
    assert second.speed_suspect and "speed_below_contract" not in codes(second)
    suspect = next(f for f in second.findings if f.code == "speed_suspect")
    assert (suspect.status, suspect.observed, suspect.limit) == (
        "warn",
        {"value": 50.0, "unit": "Mbps"},
        {"value": 10.0, "unit": "Mbps"},
    )
    # 1 Mbps later: still under the placeholder, still flagged (it was exceeded, it is no limit)
    assert quiet.in_bps == 1_000_000 and "speed_suspect" in codes(quiet)


def test_the_contract_is_the_ceiling_over_a_placeholder_and_the_config_overrides_the_speed():
    polls = steady(50 * MB, 5 * MB, 2, speed=10)
    (small,) = run(link(down=20, up=20), polls)[-1].interfaces  # 50 Mbps on a 20 Mbps contract
    assert small.in_bps is None and small.no_rate_reason == "above_contract_ceiling"
    configured = Device(
        "rtr", "127.0.0.1", watches=(Watch(Contract("dinkes", 100, 100), 5, speed_mbps=1000),)
    )
    (known,) = run(configured, polls)[-1].interfaces
    assert (known.in_bps, known.speed_mbps, known.speed_suspect) == (50_000_000, 1000.0, False)
    assert {"speed_suspect", "speed_below_contract"}.isdisjoint(codes(known))
    slow = Device("rtr", "127.0.0.1", watches=(Watch(Contract("dinkes", 100, 100), 5, speed_mbps=40),))
    (capped,) = run(slow, polls)[-1].interfaces  # the operator's 40 Mbps is a hard ceiling
    assert capped.no_rate_reason == "above_line_rate" and "speed_below_contract" in codes(capped)
