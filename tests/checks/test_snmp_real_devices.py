"""Issue 22, "right on real devices": the SNMP check on recordings of the devices that proved it wrong,
served by snmpsim on loopback, with net-snmp's snmpbulkwalk/snmpget on the same agent as the oracle.

Recordings (tests/fixtures/snmp/SOURCES.md): Palo Alto PA-5000, HPE ProCurve 6120XG, Brocade DS-5100B
and a Huawei router (ifHighSpeed 0 where ifSpeed knows the speed); Venustech VSOS and a Metel PoE
switch (ifHCIn/OutOctets typed Counter32); a Sangfor WAC (10 Mbps on all 32 ports); Debian's snmpd
(net-snmp says 10 Mbps for lo).
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers.cli import sigap
from helpers.netservers import need_binary
from helpers.snmpservers import UPTIME, Snmpd, Snmpsim, animate, recording

from agents.config import load_config
from agents.kinds.snmp import devices as config_devices
from checks.snmp import Contract, Credentials, Device, SnmpSettings, Watch, check_snmp, device_memory
from checks.snmp.evaluate import plan
from sop_registry.errors import InputError

SETTINGS = SnmpSettings(timeout_s=2.0, retries=1)
MBPS = 1_000_000 / 8  # octets per second in one Mbit/s
IF_SPEED, IF_HIGH_SPEED = "1.3.6.1.2.1.2.2.1.5", "1.3.6.1.2.1.31.1.1.1.15"
IF_IN_OCTETS, IF_HC_IN = "1.3.6.1.2.1.2.2.1.10", "1.3.6.1.2.1.31.1.1.1.6"
SPEED_DEVICES = ("paloalto-pa-5000", "hpe-procurve-516733-b21", "brocade-ds-5100b", "huawei-unknown-001")
# Rows of those recordings with ifHighSpeed 0 and ifSpeed set (read off the files; net-snmp agrees).
SPEED_FROM_IFSPEED = {
    "paloalto-pa-5000": {f"ethernet1/13.{vlan}" for vlan in (4008, 4060, 4081, 4086, 4089)},
    "hpe-procurve-516733-b21": {"oobm0"},
    "brocade-ds-5100b": {"eth0"},
    "huawei-unknown-001": {"Aux0/0/1", "Virtual-Template0", "Virtual-Template1"},
}
SANGFOR_PORTS = {1: "eth0", 3: "eth2", 4: "eth3", 5: "eth4"}  # animated at 50 Mbps in


def net_snmp(port: int, community: str, oid: str, *, command: str = "snmpbulkwalk") -> dict[str, tuple]:
    """The oracle: net-snmp's answer for `oid`, as {row suffix: (ASN.1 type, value)} ("" for `oid`
    itself, as snmpget answers)."""
    binary = need_binary(command, "snmp")
    args = ["-v2c", "-c", community, "-m", "", "-On", "-Ot", "-r", "1", "-t", "2", f"127.0.0.1:{port}", oid]
    out = subprocess.run([binary, *args], capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        at, _, typed = line.partition(" = ")
        # -Ot prints TimeTicks as a bare number, without the type
        kind, value = typed.split(": ", 1) if ": " in typed else ("Timeticks", typed)
        rows["" if at == "." + oid else at.removeprefix("." + oid + ".")] = (kind, value.strip('"'))
    return rows


def speeds_by_net_snmp(port: int, community: str) -> tuple[dict[int, float | None], set[int]]:
    """Speed per ifIndex as RFC 2863 reads the two columns: ifHighSpeed (Mbps) when not 0, else ifSpeed
    (bit/s) unless 0 or stuck at 2^32-1 (or Brocade's 2^32-2); and the rows whose speed only ifSpeed
    gives."""
    low = {int(k): int(v) for k, (_t, v) in net_snmp(port, community, IF_SPEED).items()}
    high = {int(k): int(v) for k, (_t, v) in net_snmp(port, community, IF_HIGH_SPEED).items()}
    out: dict[int, float | None] = {}
    for index in low.keys() | high.keys():
        if high.get(index):
            out[index] = float(high[index])
        elif low.get(index) and low[index] not in (2**32 - 1, 2**32 - 2):
            out[index] = low[index] / 1e6
        else:
            out[index] = None
    return out, {i for i, speed in out.items() if speed and not high.get(i)}


def brocade_without_high_speed() -> str:
    """The Brocade recording with ifHighSpeed 0 on the ports whose ifSpeed is 4294967294 (8 Gbps FC):
    what a device whose ifXTable knows no speed answers (derived here, not a stored file)."""
    text = recording("brocade-ds-5100b")
    odd = {
        line.split("|")[0].rpartition(".")[2]
        for line in text.splitlines()
        if line.startswith(IF_SPEED + ".") and line.endswith("|4294967294")
    }
    def row(line: str) -> str:
        return line.split("|")[0].rpartition(".")[2]

    lines = [
        f"{line.rpartition('|')[0]}|0" if line.startswith(IF_HIGH_SPEED + ".") and row(line) in odd else line
        for line in text.splitlines()
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def sim():
    files = {name: recording(name) for name in SPEED_DEVICES}
    files["brocade-no-high-speed"] = brocade_without_high_speed()
    files["sangfor-wac"] = animate(recording("sangfor-wac"), {i: 50 * MBPS for i in SANGFOR_PORTS})
    server = Snmpsim(files)
    yield server
    server.stop()


def test_routine_polls_keep_the_speed_where_ifhighspeed_is_0(sim: Snmpsim) -> None:
    """Gap 1: the routine poll walked only ifHighSpeed, so a row whose speed only ifSpeed gives lost it
    (and speed_below_contract) for 55 of every 60 minutes."""
    dishub = Watch(Contract("dishub", 2000, 2000), if_name="ethernet1/13.4008")  # 1 Gbps sub-interface
    devices = [
        Device(n, "127.0.0.1", sim.port, Credentials(community=n), watches=(dishub,) if "palo" in n else ())
        for n in SPEED_DEVICES
    ]
    first = asyncio.run(check_snmp(devices, {}, SETTINGS))
    memory = {r.device: device_memory(r) for r in first}
    assert all(plan(memory[d.id], time.time(), SETTINGS) is not None for d in devices)  # next: routine
    second = asyncio.run(check_snmp(devices, memory, SETTINGS))
    for d, full, routine in zip(devices, first, second, strict=True):
        expected, only_if_speed = speeds_by_net_snmp(sim.port, d.id)
        assert {i.if_name for i in full.interfaces if i.if_index in only_if_speed} == SPEED_FROM_IFSPEED[d.id]
        for result in (full, routine):
            assert {i.if_index: i.speed_mbps for i in result.interfaces} == expected, (d.id, result)
    for result in (first[0], second[0]):
        sub = next(i for i in result.interfaces if i.link_id == "dishub")
        assert sub.speed_mbps == 1000.0 and "speed_below_contract" in [f.code for f in sub.findings]


def test_brocade_ifspeed_2_to_the_32_minus_2_is_no_speed(sim: Snmpsim) -> None:
    """A Brocade DS-5100B answers ifSpeed 4294967294 on its 38 8-Gbps ports; where ifHighSpeed is 0 that
    is no speed (as 2^32-1 is not), never a 4.29 Gbps port that 8 Gbps of traffic would overrun."""
    name = "brocade-no-high-speed"
    low = net_snmp(sim.port, name, IF_SPEED)
    high = net_snmp(sim.port, name, IF_HIGH_SPEED)
    odd = {int(k) for k, (_t, v) in low.items() if v == "4294967294"}
    assert len(odd) == 38 and all(high[str(i)][1] == "0" for i in odd)  # net-snmp sees what we serve
    brocade = Device(name, "127.0.0.1", sim.port, Credentials(community=name))
    (result,) = asyncio.run(check_snmp([brocade], {}, SETTINGS))
    speeds = {i.if_index: i.speed_mbps for i in result.interfaces}
    assert all(speeds[i] is None for i in odd)
    assert speeds == speeds_by_net_snmp(sim.port, name)[0]
    assert next(i for i in result.interfaces if i.if_name == "eth0").speed_mbps == 100.0  # a real ifSpeed


WRAP_AFTER_S = 15  # as test_snmp.py gives the radio: time for snmpsim to start on a busy machine


@pytest.fixture
def hc32_sim():
    """Venustech VSOS eth0 and the Metel switch's G1: ifHCInOctets typed Counter32, animated at 80 Mbps
    to wrap WRAP_AFTER_S seconds after the simulator starts."""
    start = {2: 2**32 - WRAP_AFTER_S * 10 * 10**6}
    files = {
        "venus-vsos": animate(recording("venus-vsos-v0600r0705b20180507"), {2: 10 * 10**6}, start_in=start),
        "metel-poe": animate(
            recording("metel-poe-box"), {3: 10 * 10**6}, start_in={3: 2**32 - WRAP_AFTER_S * 10 * 10**6}
        ),
    }
    server = Snmpsim(files)
    yield server
    server.stop()


def test_counter32_in_the_hc_columns_wraps_instead_of_resetting(hc32_sim: Snmpsim) -> None:
    """Gap 2: taken as 64-bit, every 32-bit wrap of these HC counters was a reset and the sample lost."""
    rows = {"venus-vsos": (2, "eth0"), "metel-poe": (3, "G1")}
    devices = [Device(n, "127.0.0.1", hc32_sim.port, Credentials(community=n)) for n in rows]
    first = {r.device: r for r in asyncio.run(check_snmp(devices, {}, SETTINGS))}
    counters = {}
    for name, (index, if_name) in rows.items():
        types = {k: t for k, (t, _v) in net_snmp(hc32_sim.port, name, IF_HC_IN).items()}
        assert set(types.values()) == {"Counter32"}  # net-snmp sees what the device typed
        iface = next(i for i in first[name].interfaces if i.if_index == index)
        assert iface.if_name == if_name and iface.memory["sample"]["bits"] == 32
        counters[name] = iface.memory["sample"]["in"]
    if min(counters.values()) < 2**31:
        pytest.fail(f"the simulator took too long to start: a counter already wrapped ({counters})")
    time.sleep((2**32 - min(counters.values())) / (10 * 10**6) + 1.5)  # until just past both wraps
    memory = {name: device_memory(r) for name, r in first.items()}
    second = {r.device: r for r in asyncio.run(check_snmp(devices, memory, SETTINGS))}
    for name, (index, _if_name) in rows.items():
        iface = next(i for i in second[name].interfaces if i.if_index == index)
        assert iface.memory["sample"]["in"] < counters[name]  # it did wrap
        assert iface.no_rate_reason is None and iface.in_bps == pytest.approx(80_000_000, rel=0.1)
        wrapped = int(net_snmp(hc32_sim.port, name, f"{IF_HC_IN}.{index}", command="snmpget")[""][1])
        assert wrapped < counters[name]  # net-snmp reads the wrapped value too


def _two_polls(sim: Snmpsim, device: Device, interval_s: float = 2.0):
    """Two polls `interval_s` apart, and net-snmp's own rate of eth2 (ifInOctets.3) over the same time."""

    def eth2() -> tuple[float, int]:
        return time.time(), int(
            net_snmp(sim.port, "sangfor-wac", f"{IF_IN_OCTETS}.3", command="snmpget")[""][1]
        )

    before = eth2()
    (first,) = asyncio.run(check_snmp([device], {}, SETTINGS))
    time.sleep(interval_s)
    (result,) = asyncio.run(check_snmp([device], {"sangfor-wac": device_memory(first)}, SETTINGS))
    after = eth2()
    return {i.if_index: i for i in result.interfaces}, (after[1] - before[1]) * 8 / (after[0] - before[0])


def test_a_placeholder_speed_does_not_cap_the_rate(sim: Snmpsim) -> None:
    """Gap 3: a Sangfor WAC reports 10 Mbps on all 32 ports; 50 Mbps through one was always a
    counter_discontinuity. Consistent counters keep their rate; the contract is the ceiling instead."""
    watches = (
        Watch(Contract("bappeda", 100, 100), if_index=3),  # eth2: kept, the speed flagged
        Watch(Contract("kecamatan", 20, 20), if_index=1),  # eth0: 50 Mbps is past twice 20 Mbps
    )
    device = Device("sangfor-wac", "127.0.0.1", sim.port, Credentials(community="sangfor-wac"), watches)
    by_index, oracle_bps = _two_polls(sim, device)
    speeds = net_snmp(sim.port, "sangfor-wac", IF_SPEED)
    assert len(speeds) == 32 and set(speeds.values()) == {("Gauge32", "10000000")}
    bappeda = by_index[3]
    assert bappeda.in_bps == pytest.approx(oracle_bps, rel=0.1)
    assert bappeda.in_bps == pytest.approx(50_000_000, rel=0.1) and bappeda.down_util_pct is not None
    assert bappeda.speed_suspect and bappeda.speed_mbps == 10.0
    codes = [f.code for f in bappeda.findings]
    assert "speed_suspect" in codes and "speed_below_contract" not in codes and "bw_contract" in codes
    kecamatan = by_index[1]
    assert kecamatan.in_bps is None and kecamatan.no_rate_reason == "above_contract_ceiling"
    spare = by_index[5]  # no link: nothing bounds it but sense; kept and flagged
    assert spare.in_bps == pytest.approx(50_000_000, rel=0.1) and spare.speed_suspect


def test_the_links_speed_overrides_the_placeholder(sim: Snmpsim) -> None:
    """Gap 3, the operator's way: `speed_mbps` on the link (targets.links) is the line rate."""
    watch = Watch(Contract("dinkes", 100, 100), if_index=4, speed_mbps=1000)  # eth3
    device = Device("sangfor-wac", "127.0.0.1", sim.port, Credentials(community="sangfor-wac"), (watch,))
    by_index, _oracle = _two_polls(sim, device)
    dinkes = by_index[4]
    assert dinkes.in_bps == pytest.approx(50_000_000, rel=0.1)
    assert (dinkes.speed_mbps, dinkes.speed_suspect) == (1000.0, False)
    assert [f.code for f in dinkes.findings if f.status != "ok"] == []


def _push_over_loopback(octets: int) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    sender = socket.create_connection(server.getsockname())
    receiver, _ = server.accept()

    def drain() -> None:
        while receiver.recv(1 << 20):
            pass

    reader = threading.Thread(target=drain)
    reader.start()
    sender.sendall(b"\0" * octets)
    sender.close()
    reader.join(10)
    receiver.close()
    server.close()


def test_net_snmp_reports_10_mbps_for_lo_and_the_rate_is_kept() -> None:
    """Gap 3 on a real agent: Debian's snmpd says 10 Mbps for lo (the driver gives no speed)."""
    snmpd = Snmpd()
    try:
        assert net_snmp(snmpd.port, Snmpd.COMMUNITY, f"{IF_SPEED}.1", command="snmpget")[""] == (
            "Gauge32",
            "10000000",
        )
        device = Device("snmpd", "127.0.0.1", snmpd.port, Credentials(community=Snmpd.COMMUNITY))
        (first,) = asyncio.run(check_snmp([device], {}, SETTINGS))
        _push_over_loopback(60_000_000)  # 480 Mbit in a moment
        time.sleep(4.0)  # snmpd caches interface counters for about 3 s
        (second,) = asyncio.run(check_snmp([device], {"snmpd": device_memory(first)}, SETTINGS))
    finally:
        snmpd.stop()
    lo = next(i for i in second.interfaces if i.if_name == "lo")
    assert lo.speed_mbps == 10.0 and lo.no_rate_reason is None
    assert lo.in_bps is not None and lo.in_bps > 20_000_000 and lo.speed_suspect
    assert "speed_suspect" in [f.code for f in lo.findings]


PERIOD_S = 12  # the simulated sysUpTime wraps to 0 this often: a "reboot" between two polls


def test_check_snmp_prints_the_device_line_beside_its_interfaces() -> None:
    """Gap 5: `sigap check snmp` printed device_rebooted only for a device without interface lines."""
    text = recording("linux-netsnmp-slackware")
    lines = [
        f"{UPTIME}|67:numeric|rate=100,initial=0,max={PERIOD_S * 100},wrap=1" if line.startswith(UPTIME + "|")
        else line
        for line in text.splitlines()
    ]  # fmt: skip
    server = Snmpsim({"slackware": "\n".join(lines) + "\n"})
    try:

        def phase_s() -> float:  # where sysUpTime is in its cycle, asked of net-snmp's snmpget
            return int(net_snmp(server.port, "slackware", UPTIME, command="snmpget")[""][1]) / 100

        # Polls PERIOD_S - 1 apart straddle one wrap, and the second reads less than the first, when
        # the first comes at least 1 s into a cycle and before its end (the command starts in ~2 s).
        while not 1 <= phase_s() <= PERIOD_S - 6:
            time.sleep(0.5)
        result = sigap(
            "check", "snmp", f"127.0.0.1:{server.port}", "--community", "slackware",
            "--interval", str(PERIOD_S - 1), "--json",
        )  # fmt: skip
    finally:
        server.stop()
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    device = [d for d in out if "host" in d]
    interfaces = [d for d in out if "if_index" in d]
    assert [i["if_name"] for i in interfaces] == ["lo", "eth0"]
    assert len(device) == 1 and device[0]["status"] == "warn", out
    assert [f["code"] for f in device[0]["findings"]] == ["device_rebooted"]
    assert all(i["no_rate_reason"] == "reboot" for i in interfaces)


def test_a_links_speed_mbps_reaches_the_check(tmp_path) -> None:
    """targets.links[].speed_mbps is the Watch's speed; nought or less is refused with its key path."""

    def config(speed: str) -> Path:
        path = tmp_path / "sigap.yaml"
        path.write_text(
            "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
            "database:\n  url: sqlite:///sigap.db\n"
            "targets:\n  snmp_devices:\n    - {id: ac-sangfor, host: 127.0.0.1, community: c}\n"
            "  links:\n    - {id: dinkes, opd: Dinas Kesehatan, device: ac-sangfor, if_name: eth3, "
            f"contracted_down_mbps: 100, contracted_up_mbps: 100{speed}}}\n"
        )
        return path

    (device,) = config_devices(load_config(config(", speed_mbps: 1000")))
    assert device.watches[0].speed_mbps == 1000
    (device,) = config_devices(load_config(config("")))
    assert device.watches[0].speed_mbps is None
    with pytest.raises(InputError, match="speed_mbps"):
        load_config(config(", speed_mbps: 0"))
