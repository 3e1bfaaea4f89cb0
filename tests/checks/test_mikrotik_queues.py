"""MikroTik queues, parse and evaluate on canned polls (no simulator, no network): max-limit forms,
direction, tree parents, the queue findings, the wrap/reset/reboot discipline, the API protocol's
word codec, and the config keys. The live test bed is test_mikrotik_testbed.py."""

from __future__ import annotations

import asyncio

import pytest
from helpers.snmpqueues import queue_table, run_polls

from checks.finding import Finding
from checks.snmp import Contract, Device, SnmpSettings, Watch
from checks.snmp.messages import TEMPLATES
from checks.snmp.model import RouterOsLimits
from checks.snmp.parse import _speed_mbps
from checks.snmp.queues import parse_limit_pair, parse_mbps, queue_rows, tree_direction
from checks.snmp.routeros_api import attributes, encode_length, encode_sentence, read_sentence

MB = 1_000_000 / 8  # octets per second in one Mbit/s
STEP = 300  # seconds between polls, as the service's every 5 minutes


def api(simple=(), tree=()) -> RouterOsLimits:
    return RouterOsLimits("rest", simple=list(simple), tree=list(tree))


def simple(name: str, limit: str, *, disabled: bool = False, index: int = 1) -> dict[str, str]:
    return {
        ".id": f"*{index:X}",
        "name": name,
        "max-limit": limit,
        "limit-at": "0/0",
        "disabled": str(disabled).lower(),
    }


def device(*watches: Watch, download: str = "in") -> Device:
    return Device("rb", "127.0.0.1", watches=watches, queues=True, queue_download=download)  # type: ignore[arg-type]


def queue_link(
    name: str, down: float = 10, up: float = 5, download: str = "in", link: str = "dinkes"
) -> Watch:
    return Watch(Contract(link, down, up, download), queue=name)  # type: ignore[arg-type]


def steady(
    name: str, down_mbps: float, up_mbps: float, count: int, limits=None, index: int = 1
) -> list[tuple]:
    """Polls of one simple queue growing at (down, up) Mbps towards / from its target."""
    return [
        (
            1000 + k * STEP,
            100 + k * STEP * 100,
            queue_table({index: (name, int(k * STEP * down_mbps * MB), int(k * STEP * up_mbps * MB))}),
            limits,
        )
        for k in range(count)
    ]


def codes(q) -> list[str]:
    return [f.code for f in q.findings]


def the(results, name: str):
    return next(q for q in results[-1].queues if q.name == name)


# --- max-limit forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "up", "down"),
    [
        ("10M/20M", 10.0, 20.0),  # RouterOS writes "upload/download"
        ("512k/1M", 0.512, 1.0),
        ("0/0", 0.0, 0.0),  # unlimited
        ("30000000/30000000", 30.0, 30.0),  # REST reads "30M/30M" back in bits per second
        ("1G/1.5G", 1000.0, 1500.0),
        ("8M", 8.0, 8.0),  # one value: both
        ("0/20M", 0.0, 20.0),
        ("", None, None),
        ("lots/20M", None, 20.0),
        (None, None, None),
    ],
)
def test_max_limit_forms_in_mbps(text, up, down) -> None:
    assert parse_limit_pair(text) == (up, down)


def test_a_single_rate() -> None:
    assert (parse_mbps("8M"), parse_mbps("2000000"), parse_mbps("0"), parse_mbps("-1")) == (
        8.0,
        2.0,
        0.0,
        None,
    )


# --- the walked rows ---------------------------------------------------------------------------


def test_rows_read_negative_indexes_unsigned_and_the_counter_width() -> None:
    table = queue_table(
        {4294967290: ("opd-besar", 100, 50)}, {16777216: ("dl", -6, 900), 4294967290: ("root", 16777204, 0)}
    )
    table["q_in_bits"][4294967290] = 32  # typed Counter32 by the device: wraps at 2^32
    table["t_bytes"] = {7: 123}  # a tree queue without HCBytes: the 32-bit column
    table["t_name"][7] = "old"
    rows = {r.name: r for r in queue_rows(table)}
    assert rows["opd-besar"].index == 4294967290 and rows["opd-besar"].bits == 32
    assert rows["dl"].parent_index == 4294967290  # ParentIndex came as the INTEGER -6
    assert (rows["old"].bits, rows["old"].in_octets) == (32, 123)


def test_tree_direction_from_the_parent_port_or_assumed_download() -> None:
    rows = queue_rows(
        queue_table(tree={1: ("wan-up", 10, 0), 2: ("child", 1, 0), 3: ("lan", 20, 0), 4: ("g", 16777204, 0)})
    )
    trees = {r.index: r for r in rows}
    names = {10: "ether1-wan", 20: "ether2-opd"}
    ports = {"ether1-wan": "in", "ether2-opd": "out"}  # an uplink, and a port facing the OPD
    assert tree_direction("wan-up", trees, names, ports, {}) == ("up", "parent_link", "ether1-wan")
    assert tree_direction("child", trees, names, ports, {}) == ("up", "parent_link", "ether1-wan")
    assert tree_direction("lan", trees, names, ports, {}) == ("down", "parent_link", "ether2-opd")
    assert tree_direction("g", trees, names, ports, {"g": "global"}) == ("down", "assumed", "global")
    loop = {r.index: r for r in queue_rows(queue_table(tree={1: ("a", 2, 0), 2: ("b", 1, 0)}))}
    assert tree_direction("a", loop, {}, {}, {})[1] == "assumed"  # a broken table does not hang


# --- direction and limits on a simple queue ----------------------------------------------------


def test_bytes_in_is_the_download_and_the_pair_is_read_upload_first() -> None:
    results = run_polls(
        device(queue_link("opd-dinkes")), steady("opd-dinkes", 7, 2, 2, api([simple("opd-dinkes", "5M/10M")]))
    )
    q = the(results, "opd-dinkes")
    assert (q.download_bps, q.upload_bps) == (7_000_000, 2_000_000)
    assert (q.max_limit_down_mbps, q.max_limit_up_mbps) == (10.0, 5.0)
    assert (q.down_util_pct, q.up_util_pct, q.target, q.status) == (70.0, 40.0, "dinkes", "ok")
    assert "queue_limit_mismatch" not in codes(q) and "queue_contract" in codes(q)


def test_download_out_swaps_the_counters_and_the_limits_together() -> None:
    polls = steady("ke-isp", 7, 2, 2, api([simple("ke-isp", "10M/5M")]))  # its target is the upstream side
    q = the(run_polls(device(download="out"), polls), "ke-isp")
    assert (q.download_bps, q.upload_bps) == (2_000_000, 7_000_000)
    assert (q.max_limit_down_mbps, q.max_limit_up_mbps) == (10.0, 5.0)
    mine = the(run_polls(device(queue_link("ke-isp", download="in"), download="out"), polls), "ke-isp")
    assert mine.download_bps == 7_000_000  # the link's own `download` beats the device's


def test_limits_null_when_not_read_zero_when_unlimited() -> None:
    (q,) = run_polls(device(), steady("a", 1, 1, 2))[-1].queues
    assert (q.max_limit_down_mbps, q.max_limit_up_mbps) == (None, None)
    assert [(f.code, f.params["reason"]) for f in q.findings if f.code == "queue_limit_unread"] == [
        ("queue_limit_unread", "no_api")
    ]
    (q,) = run_polls(device(), steady("a", 1, 1, 2, api([simple("a", "0/0")])))[-1].queues
    assert (q.max_limit_down_mbps, q.max_limit_up_mbps) == (0.0, 0.0)
    failed = RouterOsLimits("rest", error="HTTP 401: login refused (user name or password)")
    result = run_polls(device(), steady("a", 1, 1, 2, failed))[-1]
    assert [(f.code, f.status) for f in result.findings] == [("routeros_api_failed", "unknown")]
    assert result.queues[0].download_bps == 1_000_000  # SNMP's part stands
    assert result.queues[0].findings[0].params["reason"] == "api_failed"


def test_queue_limit_mismatch_against_the_contract() -> None:
    def mismatch(limit: str, down: float = 10, up: float = 5) -> Finding | None:
        polls = steady("q", 1, 1, 2, api([simple("q", limit)]))
        q = the(run_polls(device(queue_link("q", down, up)), polls), "q")
        return next((f for f in q.findings if f.code == "queue_limit_mismatch"), None)

    assert mismatch("5M/10M") is None and mismatch("5050000/10050000") is None  # within 1 %
    low = mismatch("2M/4M")
    assert low is not None and low.status == "warn"
    assert (low.observed, low.limit) == (
        {"value": {"down": 4.0, "up": 2.0}, "unit": "Mbps", "differ": ["down", "up"]},
        {"value": {"down": 10, "up": 5}, "unit": "Mbps"},
    )
    unlimited = mismatch("0/0")
    assert unlimited is not None and unlimited.observed["value"] == {"down": 0.0, "up": 0.0}
    assert "0 = tanpa batas" in TEMPLATES["queue_limit_mismatch"]["id"]


# --- saturation against under-delivery ---------------------------------------------------------


def test_traffic_at_the_queues_own_limit_is_saturation_not_under_delivery() -> None:
    """Flat at 3.9 of a 4 Mbps max-limit on a 10 Mbps contract: our queue holds the OPD, not the ISP."""
    polls = steady("opd-bappeda", 3.9 * 1.5, 0.5, 5, api([simple("opd-bappeda", "2M/6M")]))
    q = the(run_polls(device(queue_link("opd-bappeda", 10, 5)), polls), "opd-bappeda")
    assert "queue_saturated" in codes(q) and "bw_under_delivery" not in codes(q)
    sat = next(f for f in q.findings if f.code == "queue_saturated")
    assert (sat.status, sat.observed["direction"], sat.limit["value"]) == ("warn", "down", 6.0)
    assert "bukan oleh penyedia" in TEMPLATES["queue_saturated"]["id"]


def test_flat_below_the_queues_limit_stays_under_delivery() -> None:
    polls = steady("opd-dishub", 14, 1, 5, api([simple("opd-dishub", "20M/20M")]))
    q = the(run_polls(device(queue_link("opd-dishub", 20, 20)), polls), "opd-dishub")
    assert "bw_under_delivery" in codes(q) and "queue_saturated" not in codes(q)
    under = next(f for f in q.findings if f.code == "bw_under_delivery")
    assert (under.status, under.observed["direction"]) == ("crit", "down")


def test_over_use_against_the_contract_as_on_an_interface() -> None:
    polls = steady("q", 9, 1, 5, api([simple("q", "20M/20M")]))
    q = the(run_polls(device(queue_link("q", 10, 10)), polls), "q")
    assert "bw_over_use" in codes(q) and "queue_saturated" not in codes(q)


def test_saturation_needs_the_whole_window() -> None:
    polls = steady("q", 3.9, 0.5, 2, api([simple("q", "2M/4M")]))  # one rate: 5 of 15 minutes
    assert "queue_saturated" not in codes(the(run_polls(device(queue_link("q")), polls), "q"))


# --- missing, disabled, reset, re-created, reboot ----------------------------------------------


def test_a_bound_queue_gone_is_queue_missing() -> None:
    w = queue_link("opd-dukcapil")
    (q,) = run_polls(device(w), steady("lain", 1, 1, 1))[-1].queues[1:]
    assert (q.target, q.status, codes(q)) == ("dinkes", "unknown", ["queue_missing"])
    assert q.findings[0].params["where"] == "snmp" and q.download_bps is None
    (q,) = run_polls(device(w), steady("lain", 1, 1, 1, api([simple("lain", "1M/1M")])))[-1].queues[1:]
    assert q.findings[0].params["where"] == "snmp+api"


def test_a_disabled_queue_has_no_rate() -> None:
    for index in (1, 9):  # listed by SNMP, or by the API only
        polls = steady("opd-off", 1, 1, 3, api([simple("opd-off", "1M/1M", disabled=True)]), index=1)
        if index == 9:
            polls = [(at, up, queue_table({}), lim) for at, up, _t, lim in polls]
        q = the(run_polls(device(queue_link("opd-off")), polls), "opd-off")
        assert (q.download_bps, q.upload_bps, q.disabled, q.no_rate_reason) == (None, None, True, "disabled")
        assert "queue_disabled" in codes(q) and q.status == "warn"
    spare = the(run_polls(device(), polls), "opd-off")
    assert [f.status for f in spare.findings if f.code == "queue_disabled"] == ["ok"]  # not a bound link


def test_counters_that_went_back_are_a_reset_never_a_spike_then_rates_again() -> None:
    limits = api([simple("q", "20M/20M")])
    polls = steady("q", 8, 2, 2, limits)
    back = (polls[-1][0] + STEP, polls[-1][1] + STEP * 100, queue_table({1: ("q", 5_000, 1_000)}), limits)
    later = (
        back[0] + STEP,
        back[1] + STEP * 100,
        queue_table({1: ("q", 5_000 + int(STEP * MB), 1_000)}),
        limits,
    )
    results = run_polls(device(queue_link("q", 20, 20)), [*polls, back, later])
    reset = next(q for q in results[-2].queues if q.name == "q")
    assert (reset.download_bps, reset.upload_bps, reset.no_rate_reason) == (None, None, "counter_reset")
    assert [f.params["reason"] for f in reset.findings if f.code == "queue_reset"] == ["counter_reset"]
    again = the(results, "q")
    assert again.download_bps == pytest.approx(1_000_000) and again.upload_bps == 0


def test_a_queue_made_again_under_its_name_is_a_reset() -> None:
    """Removed and re-created: a new index, counters from near 0 -- or larger than before (a busy new
    queue): either way the old counter is not this one's."""
    polls = steady("q", 8, 2, 2)
    made = (polls[-1][0] + STEP, polls[-1][1] + STEP * 100, queue_table({7: ("q", 10**12, 10**11)}), None)
    q = next(q for q in run_polls(device(queue_link("q")), [*polls, made])[-1].queues if q.name == "q")
    assert (q.download_bps, q.no_rate_reason, q.index) == (None, "queue_recreated", 7)
    assert "queue_reset" in codes(q)


def test_a_reboot_gives_no_rate_and_is_said_once_on_the_device() -> None:
    polls = steady("q", 8, 2, 2)
    rebooted = (polls[-1][0] + STEP, 500, queue_table({1: ("q", 1_000, 1_000)}), None)
    result = run_polls(device(queue_link("q")), [*polls, rebooted])[-1]
    assert "device_rebooted" in [f.code for f in result.findings]
    q = the([result], "q")
    assert (q.download_bps, q.no_rate_reason) == (None, "reboot") and "queue_reset" not in codes(q)


def test_a_tree_queue_has_one_direction_and_wraps_as_counter32() -> None:
    start = 2**32 - int(STEP * MB)  # wraps within the next interval at 2 Mbps
    limits = api(tree=[{"name": "tree-ul", "parent": "ether1-wan", "max-limit": "2M", "disabled": "false"}])

    def table(k: int) -> dict:  # no HCBytes: the Counter32 column, across its wrap
        grown = (start + int(k * STEP * 2 * MB)) % 2**32
        return {"t_name": {5: "tree-ul"}, "t_parent": {5: 1}, "t_bytes": {5: grown}}

    polls = [(1000 + k * STEP, 100 + k * STEP * 100, table(k), limits) for k in range(2)]
    uplink = Watch(Contract("uplink", 100, 100, "in"), if_name="ether1-wan")
    q = the(run_polls(device(uplink, queue_link("tree-ul", 8, 2)), polls), "tree-ul")
    assert (q.type, q.direction, q.direction_from, q.parent) == ("tree", "up", "parent_link", "ether1-wan")
    assert (q.download_bps, q.upload_bps) == (None, pytest.approx(2_000_000))
    assert (q.max_limit_down_mbps, q.max_limit_up_mbps, q.up_util_pct) == (None, 2.0, 100.0)


def test_an_unreachable_device_leaves_each_bound_queue_unmeasured() -> None:
    from checks.snmp.evaluate import evaluate_device
    from checks.snmp.model import DevicePoll

    result = evaluate_device(device(queue_link("q")), DevicePoll(at=1.0, error="timeout"), {}, SnmpSettings())
    (q,) = result.queues
    assert (q.target, q.status, codes(q), q.type) == ("dinkes", "unknown", ["device_unreachable"], None)


def test_every_queue_finding_has_both_languages_and_value_unit_shapes() -> None:
    limits = api([simple("a", "2M/4M"), simple("b", "1M/1M", disabled=True, index=2)])
    results = run_polls(
        device(queue_link("a"), queue_link("gone", link="x")), steady("a", 3.9, 0.5, 5, limits)
    )
    reset = run_polls(device(), [*steady("a", 1, 1, 2), (2000, 300_000, queue_table({1: ("a", 1, 1)}), None)])
    failed = run_polls(device(), steady("a", 1, 1, 1, RouterOsLimits("api", error="timeout")))
    found = [
        f for r in results + reset + failed for f in r.findings + [g for q in r.queues for g in q.findings]
    ]
    seen = {f.code for f in found}
    assert {
        "queue_contract", "queue_measured", "queue_limit_mismatch", "queue_saturated", "queue_missing",
        "queue_disabled", "queue_reset", "queue_limit_unread", "routeros_api_failed",
    } <= seen  # fmt: skip
    for f in found:
        for what in (f.observed, f.limit):
            assert what is None or {"value", "unit"} <= set(what), (f.code, what)
    for code in seen | {"queue_walk_failed"}:
        assert set(TEMPLATES[code]) == {"id", "en"}


# --- Brocade's ifSpeed ---------------------------------------------------------------------------


def test_ifspeed_2_to_the_32_minus_2_is_no_speed_when_ifhighspeed_is_0() -> None:
    """A Brocade DS-5100B answers 4294967294 on its 8 Gbps ports: like 2^32-1, not a speed."""
    assert _speed_mbps(4294967294, 0) == (None, None)
    assert _speed_mbps(4294967294, None) == (None, None)
    assert _speed_mbps(4294967295, 0) == (None, None)
    assert _speed_mbps(4294967294, 8000) == (8000.0, "high_speed")
    assert _speed_mbps(4294967293, 0) == (4294.967293, "speed")  # a real (odd) ifSpeed stays


# --- the API protocol's words ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF, 0x10000000])
def test_api_word_lengths_round_trip(n: int) -> None:
    async def decode(data: bytes) -> int:
        from checks.snmp.routeros_api import _read_length

        reader = asyncio.StreamReader()
        reader.feed_data(data)
        return await _read_length(reader)

    encoded = encode_length(n)
    assert len(encoded) == (
        1 if n < 0x80 else 2 if n < 0x4000 else 3 if n < 0x200000 else 4 if n < 0x10000000 else 5
    )
    assert asyncio.run(decode(encoded)) == n


def test_api_sentence_and_attributes() -> None:
    async def decode(data: bytes) -> list[str]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        return await read_sentence(reader)

    words = ["!re", "=name=opd dinkes", "=max-limit=5M/10M", "=comment=" + "x" * 300]
    assert asyncio.run(decode(encode_sentence(words))) == words
    assert attributes(words[1:3]) == {"name": "opd dinkes", "max-limit": "5M/10M"}
    assert attributes(["=note=a=b"]) == {"note": "a=b"}
