"""Per-OPD bandwidth from MikroTik queues, end to end on loopback: snmpsim serving a RouterOS recording
built from MIKROTIK-MIB (byte counters animated at known rates), a fake RouterOS REST API over HTTPS
with certificates made here, and a fake RouterOS 6 API-protocol server -- then `sigap check snmp
--queues` and polman-13 step 9 through the runner, its cases and samples in the ledger.

The scenario (helpers/snmpqueues.py): opd-dinkes within its limit, opd-bappeda held at its own 4 Mbps
on a 10 Mbps contract, opd-dishub flat at 70 % of 20 Mbps under a 20 Mbps limit (the provider),
opd-kominfo unlimited at index 4294967290, opd-pariwisata disabled, tree queues under `global` (by a
ParentIndex of -6) and under the WAN port.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.cli import sigap
from helpers.routeros import PASSWORD, USER, Certificates, FakeApi, FakeRest, RouterState
from helpers.snmpqueues import BIG, SIMPLE_QUEUES, bed_recording, bed_rest
from helpers.snmpservers import Snmpsim, gpl_recording
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import load_config
from agents.kinds.snmp import devices as config_devices
from agents.runner import run_step
from checks.snmp import (
    Contract,
    Credentials,
    Device,
    RouterOsApi,
    SnmpSettings,
    Watch,
    check_snmp,
    device_memory,
    sample_twice,
)
from sop_registry.ledger import Case, CheckState, Finding, connect, upgrade
from sop_registry.ledger.series import summarise
from sop_registry.loader import load_registry

FAST = SnmpSettings(timeout_s=1.0, retries=0, routeros_timeout_s=3.0)


@pytest.fixture(scope="module")
def sim():
    server = Snmpsim({"mikrotik": bed_recording(), "mikrotik-later": bed_recording(recreated=True)})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def certs():
    return Certificates()


@pytest.fixture
def router(certs):
    state = RouterState(*bed_rest())
    server = FakeRest(state, certs)
    yield server
    server.stop()


UPLINK = Watch(Contract("uplink-isp", 100, 100, "in"), if_name="ether1-wan")


def bound(name: str, down: float, up: float, link: str | None = None) -> Watch:
    return Watch(Contract(link or name.removeprefix("opd-"), down, up, "in"), queue=name)


def rb(sim: Snmpsim, api: RouterOsApi | None, *watches: Watch, community: str = "mikrotik") -> Device:
    return Device(
        "rb-pusat",
        "127.0.0.1",
        sim.port,
        Credentials(community=community),
        watches,
        queues=True,
        routeros=api,
    )


def by_name(result) -> dict:
    return {q.name: q for q in result.queues}


def test_rates_limits_and_direction_end_to_end(sim: Snmpsim, router: FakeRest, certs: Certificates) -> None:
    api = RouterOsApi(router.url, USER, PASSWORD, certs.ca_file)
    watches = (UPLINK, bound("opd-dinkes", 10, 5), bound("tree-dl-dinsos", 8, 2, "dinsos"))
    (result,) = asyncio.run(sample_twice([rb(sim, api, *watches)], FAST, 2.0))
    assert [f.code for f in result.findings] == ["device_ok"]
    queues = by_name(result)
    assert len(queues) == len(SIMPLE_QUEUES) + 3
    for name, (index, _target, down, up, _limit) in SIMPLE_QUEUES.items():
        q = queues[name]
        assert (q.type, q.index) == ("simple", index)
        if name == "opd-pariwisata":
            continue
        # Direction: BytesIn (the traffic towards the target) is the download.
        assert q.download_bps == pytest.approx(down * 1e6, rel=0.1), name
        assert q.upload_bps == pytest.approx(up * 1e6, rel=0.1), name
    # Limits exactly as the API gives them, "upload/download" turned the OPD's way.
    assert (queues["opd-dinkes"].max_limit_down_mbps, queues["opd-dinkes"].max_limit_up_mbps) == (10.0, 5.0)
    assert (queues["opd-bappeda"].max_limit_down_mbps, queues["opd-bappeda"].max_limit_up_mbps) == (4.0, 2.0)
    assert (queues["opd-kominfo"].max_limit_down_mbps, queues["opd-kominfo"].index) == (0.0, BIG)
    dinkes = queues["opd-dinkes"]
    assert (dinkes.target, dinkes.down_util_pct, dinkes.status) == (
        "dinkes",
        pytest.approx(40.0, rel=0.1),
        "ok",
    )
    off = queues["opd-pariwisata"]
    assert (off.disabled, off.download_bps, off.no_rate_reason) == (True, None, "disabled")
    # Tree queues: one rate, in the direction the parent implies.
    dl, ul, root = queues["tree-dl-dinsos"], queues["tree-ul-dinsos"], queues["tree-root-dl"]
    assert (dl.direction, dl.direction_from, dl.parent) == ("down", "assumed", "global")  # via ParentIndex -6
    assert dl.download_bps == pytest.approx(6e6, rel=0.1) and dl.upload_bps is None
    assert (dl.max_limit_down_mbps, dl.max_limit_up_mbps, dl.target) == (8.0, None, "dinsos")
    assert (ul.direction, ul.direction_from, ul.parent) == ("up", "parent_link", "ether1-wan")
    assert ul.upload_bps == pytest.approx(1e6, rel=0.1) and ul.max_limit_up_mbps == 2.0
    assert root.index == BIG and root.max_limit_down_mbps == 0.0
    assert {r.split("?")[0] for r in router.state.requests} == {"/rest/queue/simple", "/rest/queue/tree"}


@pytest.mark.parametrize("trust", ["ca", "pinned", "insecure"])
def test_the_office_ca_a_pinned_certificate_or_no_verification(sim, router, certs, trust) -> None:
    ca = {"ca": certs.ca_file, "pinned": certs.pinned_file, "insecure": None}[trust]
    api = RouterOsApi(router.url, USER, PASSWORD, ca, verify=trust != "insecure")
    (result,) = asyncio.run(check_snmp([rb(sim, api)], {}, FAST))
    assert [f.code for f in result.findings] == ["device_ok"]
    assert by_name(result)["opd-dinkes"].max_limit_down_mbps == 10.0


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong-ca", "TLS: certificate verify failed"),
        ("system-store", "TLS: "),  # verify on, no ca_file: a test certificate is not in the system's store
        ("password", "HTTP 401: login refused"),
        ("server-error", "HTTP 500: Internal Server Error"),
        ("closed-port", ""),
    ],
)
def test_an_api_that_cannot_be_read_leaves_limits_null_and_says_why(sim, router, certs, case, reason) -> None:
    url = router.url
    ca, password = certs.ca_file, PASSWORD
    if case == "wrong-ca":
        ca = certs.wrong_ca_file
    elif case == "system-store":
        ca = None
    elif case == "password":
        password = "bukan-sandinya"
    elif case == "server-error":
        router.state.fail_status = 500
    else:
        from helpers.netservers import free_port

        url = f"https://127.0.0.1:{free_port()}"
    api = RouterOsApi(url, USER, password, ca)
    watch = bound("opd-dinkes", 10, 5)
    first = asyncio.run(check_snmp([rb(sim, api, watch)], {}, FAST))[0]
    time.sleep(2.0)
    (result,) = asyncio.run(check_snmp([rb(sim, api, watch)], {"rb-pusat": device_memory(first)}, FAST))
    (failed,) = result.findings
    assert (failed.code, failed.status) == ("routeros_api_failed", "unknown")
    assert failed.params["error"].startswith(reason) and PASSWORD not in failed.params["error"]
    assert failed.params["url"] == url
    q = by_name(result)["opd-dinkes"]
    assert (q.max_limit_down_mbps, q.max_limit_up_mbps) == (None, None)
    assert q.download_bps == pytest.approx(4e6, rel=0.1)  # SNMP's part stands
    assert "queue_limit_unread" in [f.code for f in q.findings]


@pytest.mark.parametrize("variant", ["api", "api-challenge", "api-ssl"])
def test_routeros6_api_protocol_gives_the_same_limits(sim, certs, variant) -> None:
    state = RouterState(*bed_rest())
    tls = certs.server_context() if variant == "api-ssl" else None
    server = FakeApi(state, tls=tls, challenge=variant == "api-challenge")
    try:
        scheme = "api-ssl" if variant == "api-ssl" else "api"
        api = RouterOsApi(
            f"{scheme}://127.0.0.1:{server.port}", USER, PASSWORD, certs.ca_file if tls else None
        )
        (result,) = asyncio.run(check_snmp([rb(sim, api)], {}, FAST))
        wrong = RouterOsApi(api.url, USER, "salah", api.ca_file)
        (refused,) = asyncio.run(check_snmp([rb(sim, wrong)], {}, FAST))
    finally:
        server.stop()
    assert [f.code for f in result.findings] == ["device_ok"]
    queues = by_name(result)
    assert (queues["opd-bappeda"].max_limit_down_mbps, queues["opd-bappeda"].max_limit_up_mbps) == (4.0, 2.0)
    assert (queues["tree-dl-dinsos"].max_limit_down_mbps, queues["opd-pariwisata"].disabled) == (8.0, True)
    assert "/queue/simple/print" in state.requests and "/queue/tree/print" in state.requests
    (failed,) = refused.findings
    assert failed.code == "routeros_api_failed" and "invalid user name or password" in failed.params["error"]


def test_a_recreated_queue_resets_and_a_removed_one_is_missing(sim, router, certs) -> None:
    """Between two polls opd-dinkes is removed and made again (new index, counters from 0), opd-dishub's
    counters reset, opd-bappeda removed: null rates and a reset finding, never a spike; then rates."""
    api = RouterOsApi(router.url, USER, PASSWORD, certs.ca_file)
    watches = (bound("opd-dinkes", 10, 5), bound("opd-dishub", 20, 20), bound("opd-bappeda", 10, 5))
    (first,) = asyncio.run(check_snmp([rb(sim, api, *watches)], {}, FAST))
    time.sleep(2.0)
    router.state.menus["queue/simple"], router.state.menus["queue/tree"] = bed_rest(recreated=True)
    later = rb(sim, api, *watches, community="mikrotik-later")
    (second,) = asyncio.run(check_snmp([later], {"rb-pusat": device_memory(first)}, FAST))
    queues = by_name(second)
    dinkes, dishub, bappeda = queues["opd-dinkes"], queues["opd-dishub"], queues["opd-bappeda"]
    assert (dinkes.index, dinkes.download_bps, dinkes.upload_bps, dinkes.no_rate_reason) == (
        6,
        None,
        None,
        "queue_recreated",
    )
    assert (dishub.download_bps, dishub.no_rate_reason) == (None, "counter_reset")
    for q in (dinkes, dishub):
        assert "queue_reset" in [f.code for f in q.findings]
    assert (bappeda.target, [f.code for f in bappeda.findings]) == ("bappeda", ["queue_missing"])
    assert bappeda.findings[0].params["where"] == "snmp+api"
    time.sleep(2.0)
    (third,) = asyncio.run(check_snmp([later], {"rb-pusat": device_memory(second)}, FAST))
    again = by_name(third)
    assert again["opd-dinkes"].download_bps == pytest.approx(4e6, rel=0.1)
    assert again["opd-dishub"].download_bps == pytest.approx(14e6, rel=0.1)


def test_direction_on_a_real_routeros_7_recording() -> None:
    """LibreNMS's RouterOS 7.18.2 recording (GPL, read in place, not copied): simple queue `guest`
    targets 198.19.3.64/26, the subnet of Vlan2 (ifIndex 12). Its BytesIn -- what Sigap calls the
    download -- matches what Vlan2 sent towards that subnet (ifHCOutOctets), its BytesOut what Vlan2
    received from it; the other reading cannot fit (808 MB against 50 MB)."""
    text = gpl_recording("routeros_rb433gl")
    assert "1.3.6.1.4.1.14988.1.1.2.1.1.3.21|64|198.19.3.64" in text  # guest's target, as recorded
    assert "1.3.6.1.2.1.4.20.1.2.198.19.3.65|2|12" in text  # the router's address there is on ifIndex 12
    server = Snmpsim({"rb433gl": text})
    try:
        device = Device("rb433gl", "127.0.0.1", server.port, Credentials(community="rb433gl"), queues=True)
        (result,) = asyncio.run(check_snmp([device], {}, FAST))
    finally:
        server.stop()
    guest = by_name(result)["guest"]
    vlan = next(i for i in result.interfaces if i.if_index == 12)
    q, port = guest.memory["sample"], vlan.memory["sample"]
    assert 0.95 < q["in"] / port["out"] <= 1.0  # towards the target: the OPD's download
    assert 0.95 < q["out"] / port["in"] <= 1.0  # from the target: its upload
    assert q["in"] / port["in"] > 10  # the reverse reading is an order of magnitude off


# --- `sigap check snmp --queues` ---------------------------------------------------------------


def test_check_snmp_queues_json_contract(sim, router, certs) -> None:
    result = sigap(
        "check", "snmp", f"127.0.0.1:{sim.port}", "--community", "mikrotik", "--interval", "2",
        "--queues", "--routeros-url", router.url, "--routeros-user", USER,
        "--routeros-password-env", "SIGAP_TEST_ROUTEROS_PW", "--routeros-ca-file", certs.ca_file, "--json",
        env={"SIGAP_TEST_ROUTEROS_PW": PASSWORD},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert PASSWORD not in result.stdout
    queues = {d["name"]: d for d in lines if d.get("kind") == "queue"}
    assert {d["kind"] for d in lines} == {"interface", "queue"}  # device_ok: no device line
    contract = {"kind", "name", "type", "download_bps", "upload_bps", "max_limit_down_mbps"}
    contract |= {"max_limit_up_mbps", "status", "findings"}
    for line in queues.values():
        assert contract <= set(line)
    dinkes = queues["opd-dinkes"]
    assert (dinkes["type"], dinkes["max_limit_down_mbps"], dinkes["max_limit_up_mbps"]) == (
        "simple",
        10.0,
        5.0,
    )
    assert dinkes["download_bps"] == pytest.approx(4e6, rel=0.1)
    assert dinkes["upload_bps"] == pytest.approx(1e6, rel=0.1)
    assert queues["opd-kominfo"]["max_limit_down_mbps"] == 0  # unlimited
    tree = queues["tree-dl-dinsos"]
    assert (tree["type"], tree["direction"], tree["upload_bps"], tree["max_limit_down_mbps"]) == (
        "tree",
        "down",
        None,
        8.0,
    )
    off = queues["opd-pariwisata"]
    assert (off["download_bps"], off["disabled"]) == (None, True)
    assert "queue_disabled" in [f["code"] for f in off["findings"]]
    table = sigap(
        "check", "snmp", f"127.0.0.1:{sim.port}", "--community", "mikrotik", "--interval", "1", "--queues",
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "queue:opd-dinkes (simple)" in table.stdout and "queue:tree-dl-dinsos (tree)" in table.stdout


def test_check_snmp_queue_options_refused_with_their_names(certs) -> None:
    base = ["check", "snmp", "127.0.0.1", "--community", "c"]
    login = ["--queues", "--routeros-url", "https://127.0.0.1", "--routeros-user", "u"]
    cases = [
        (["--routeros-url", "https://127.0.0.1"], "add --queues"),
        (["--queues", "--routeros-url", "https://127.0.0.1"], "--routeros-user"),
        ([*login, "--routeros-password-env", "NOPE_UNSET"], "NOPE_UNSET"),
        ([*login[:2], "http://127.0.0.1", *login[3:], "--routeros-password-env", "PW"], "https only"),
        ([*login, "--routeros-password-env", "PW", "--routeros-ca-file", certs.ca_file,
          "--routeros-insecure"], "--routeros-insecure"),
        ([*login, "--routeros-password-env", "PW", "--routeros-ca-file", "/nonexistent/ca.pem"],
         "--routeros-ca-file"),
    ]  # fmt: skip
    for args, needle in cases:
        result = sigap(*base, *args, env={"PW": "x"})
        assert result.returncode == 2 and needle in result.stderr, (args, result.stderr)


# --- the service's run: polman-13 step 9 -----------------------------------------------------


def test_queue_links_through_the_runner_open_polman_13_cases(sim, router, certs, db_url, tmp_path) -> None:
    """Six runs 2 s apart, a 9-second window: opd-dishub flat at 70 % of its contract under a limit that
    equals it opens the under-delivery case, as an interface link would; opd-bappeda held at its own
    4 Mbps on a 10 Mbps contract opens the case with our queue named as the cause; opd-dinkes is fine;
    a link bound to a queue that is not there says queue_missing."""
    config_path = tmp_path / "sigap.yaml"
    config_path.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: {db_url}\nstate_dir: {tmp_path / 'state'}\n"
        "snmp:\n  timeout_s: 1\n  retries: 0\n"
        # 9 s: the last two of six runs (at >= 10 s) have the window covered whatever the machine's load
        "agents:\n  polman-13:\n    thresholds: {window_minutes: 0.15, plateau_band_pct: 10}\n"
        "targets:\n  snmp_devices:\n"
        f"    - id: rb-pusat\n      host: 127.0.0.1\n      port: {sim.port}\n      community: mikrotik\n"
        f"      routeros: {{url: '{router.url}', username: {USER}, password: {{env: SIGAP_TEST_RB_PW}}, "
        f"ca_file: '{certs.ca_file}'}}\n"
        "  links:\n"
        "    - {id: uplink-isp, opd: Pusat Data, device: rb-pusat, if_name: ether1-wan, "
        "contracted_down_mbps: 100, contracted_up_mbps: 100}\n"
        "    - {id: dinkes, opd: Dinas Kesehatan, device: rb-pusat, queue: opd-dinkes, "
        "contracted_down_mbps: 10, contracted_up_mbps: 5, provider: Telkom}\n"
        "    - {id: dishub, opd: Dinas Perhubungan, device: rb-pusat, queue: opd-dishub, "
        "contracted_down_mbps: 20, contracted_up_mbps: 20, provider: Telkom}\n"
        "    - {id: bappeda, opd: Bappeda, device: rb-pusat, queue: opd-bappeda, "
        "contracted_down_mbps: 10, contracted_up_mbps: 5}\n"
        "    - {id: dukcapil, opd: Disdukcapil, device: rb-pusat, queue: opd-dukcapil, "
        "contracted_down_mbps: 10, contracted_up_mbps: 5}\n"
    )
    import os

    os.environ["SIGAP_TEST_RB_PW"] = PASSWORD
    try:
        config = load_config(config_path)
    finally:
        del os.environ["SIGAP_TEST_RB_PW"]
    (device,) = config_devices(config)
    assert device.queues and device.routeros is not None and device.routeros.ca_file == certs.ca_file
    registry = load_registry(())
    sop = registry.sops["polman-13"]
    engine = connect(db_url)
    upgrade(engine)
    t0 = datetime.now(UTC)
    try:
        for k in range(6):
            at = t0 + timedelta(seconds=2 * k)
            asyncio.run(run_step(config, engine, sop, 9, clock=lambda at=at: at, registry=registry))
            time.sleep(2)
        with Session(engine) as s:
            cases = {(c.sop_id, c.step_no, c.target): c for c in s.scalars(select(Case))}
            assert set(cases) == {("polman-13", 9, "dishub"), ("polman-13", 9, "bappeda")}
            assert "di bawah kontrak" in cases[("polman-13", 9, "dishub")].title
            capped = cases[("polman-13", 9, "bappeda")].title
            assert "dibatasi antrean opd-bappeda" in capped and "bukan oleh penyedia" in capped
            codes = {(f.target, f.code) for f in s.scalars(select(Finding))}
            assert {
                ("dishub", "bw_under_delivery"),
                ("bappeda", "queue_saturated"),
                ("bappeda", "queue_limit_mismatch"),
                ("dukcapil", "queue_missing"),
                ("dinkes", "queue_contract"),
            } <= codes
            assert ("bappeda", "bw_under_delivery") not in codes  # our cap, not the provider
            assert not {c for c in codes if c[0] == "dinkes" and c[1] not in ("queue_contract",)}
            state = s.get(CheckState, ("snmp_bandwidth", "rb-pusat")).data
            assert state["queue:simple:opd-dishub"]["index"] == 3
            week = summarise(s, "bw:dishub:down_bps", t0 - timedelta(days=1), t0 + timedelta(days=7))
            assert week.count == 5 and week.p95 == pytest.approx(14e6, rel=0.1)
    finally:
        engine.dispose()


# --- config ---------------------------------------------------------------------------------------


MINIMAL = (
    "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\ndatabase:\n  url: sqlite:///sigap.db\n"
    "targets:\n  snmp_devices:\n    - id: rb\n      host: 127.0.0.1\n      community: c\n"
)


def _config(tmp_path: Path, device_extra: str = "", link: str = "queue: opd-dinkes") -> Path:
    path = tmp_path / "sigap.yaml"
    path.write_text(
        MINIMAL + device_extra + "  links:\n    - {id: dinkes, opd: Dinas Kesehatan, device: rb, "
        f"contracted_down_mbps: 10, contracted_up_mbps: 5, {link}}}\n"
    )
    return path


def test_config_binds_a_link_to_a_queue_and_a_device_to_its_api(tmp_path, certs) -> None:
    extra = (
        f"      download: out\n      routeros:\n        url: api-ssl://127.0.0.1\n        username: ro\n"
        f"        password: p\n        ca_file: {certs.ca_file}\n"
    )
    (device,) = config_devices(load_config(_config(tmp_path, extra)))
    (watch,) = device.watches
    assert (watch.queue, watch.if_index, watch.contract.download, device.queue_download) == (
        "opd-dinkes",
        None,
        "out",
        "out",
    )
    assert device.queues and (device.routeros.url, device.routeros.verify) == ("api-ssl://127.0.0.1", True)
    (device,) = config_devices(load_config(_config(tmp_path, link="queue: q, download: in")))
    assert device.watches[0].contract.download == "in" and device.routeros is None
    (device,) = config_devices(load_config(_config(tmp_path, link="if_name: ether1")))
    assert not device.queues and device.watches[0].contract.download == "in"


@pytest.mark.parametrize(
    ("extra", "link", "needle"),
    [
        ("", "queue: q, if_name: ether1", "not both"),
        ("", "queue: q, speed_mbps: 100", "speed_mbps"),
        ("", "queue: ''", "queue"),
        ("      routeros: {url: 'http://127.0.0.1', username: u, password: p}\n", "queue: q", "https only"),
        ("      routeros: {url: 'ftp://127.0.0.1', username: u, password: p}\n", "queue: q", "want https://"),
        (
            "      routeros: {url: 'https://u:p@127.0.0.1', username: u, password: p}\n",
            "queue: q",
            "not in the URL",
        ),
        (
            "      routeros: {url: 'https://127.0.0.1', username: u, password: p, ca_file: /no/ca.pem}\n",
            "queue: q",
            "no such file",
        ),
        (
            "      routeros: {url: 'https://127.0.0.1', username: u, password: p, ca_file: ca.pem}\n",
            "queue: q",
            "absolute",
        ),
        (
            "      routeros: {url: 'https://127.0.0.1', username: u, password: p, verfy: false}\n",
            "queue: q",
            "verfy",
        ),
        ("      routeros: {url: 'https://127.0.0.1', username: u}\n", "queue: q", "password"),
        ("      download: both\n", "queue: q", "download"),
    ],
)
def test_config_refuses_what_it_does_not_understand(tmp_path, extra, link, needle) -> None:
    from sop_registry.errors import InputError

    with pytest.raises(InputError, match=needle):
        load_config(_config(tmp_path, extra, link))


def test_config_refuses_ca_file_with_verify_false(tmp_path, certs) -> None:
    from sop_registry.errors import InputError

    extra = (
        "      routeros: {url: 'https://127.0.0.1', username: u, password: p, "
        f"ca_file: {certs.ca_file}, verify: false}}\n"
    )
    with pytest.raises(InputError, match="choose one"):
        load_config(_config(tmp_path, extra))
