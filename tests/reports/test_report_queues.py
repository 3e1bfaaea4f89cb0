"""Queue-bound links in the weekly report (issue 22 §1), with the REAL writer and the REAL reader: the
SNMP agent (polman-13 step 9 through the runner) polls the MikroTik queue test bed -- snmpsim serving
the RouterOS recording whose byte counters are animated at known rates, the fake RouterOS REST API
over HTTPS with a CA made here -- into a SQLite ledger; the report's link_rows then reads the queue's
limit from the runs' details (records.QueueLinkRow) and the p95 from the samples.

The scenario (helpers/snmpqueues.py): opd-dinkes at 4 Mbps down under a 10/5 Mbps limit on a 10/5
contract; opd-bappeda held at its own 4 Mbps (3.9 Mbps animated) on a 10 Mbps contract: saturated,
and its limit differs from the contract; uplink-isp an interface-bound link beside them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from helpers.routeros import PASSWORD, USER, Certificates, FakeRest, RouterState
from helpers.snmpqueues import SIMPLE_QUEUES, bed_recording, bed_rest
from helpers.snmpservers import Snmpsim
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from agents import weekly_report
from agents.config import load_config
from agents.runner import run_step
from reports import data, exceptions
from reports.data.links import queue_readings
from reports.period import Week
from sop_registry.ledger import Finding, StepRun, connect, records, upgrade
from sop_registry.loader import load_registry

RUNS = 6  # 2 s apart over a 9-second window: the last runs have the window covered
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    """The test bed polled RUNS times by the real agent into a SQLite ledger: (config, engine, t0, t1)."""
    tmp = tmp_path_factory.mktemp("queues")
    sim = Snmpsim({"mikrotik": bed_recording()})
    certs = Certificates()
    router = FakeRest(RouterState(*bed_rest()), certs)
    db_url = f"sqlite:///{tmp / 'ledger.db'}"
    config_path = tmp / "sigap.yaml"
    config_path.write_text(
        "office:\n  name: Diskominfo Uji\n  timezone: Asia/Makassar\n"
        f"database:\n  url: {db_url}\nstate_dir: {tmp / 'state'}\n"
        "snmp:\n  timeout_s: 1\n  retries: 0\n  workers: 1\n"
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
        "    - {id: bappeda, opd: Bappeda, device: rb-pusat, queue: opd-bappeda, "
        "contracted_down_mbps: 10, contracted_up_mbps: 5}\n"
    )
    os.environ["SIGAP_TEST_RB_PW"] = PASSWORD
    try:
        config = load_config(config_path)
    finally:
        del os.environ["SIGAP_TEST_RB_PW"]
    registry = load_registry(())
    sop = registry.sops["polman-13"]
    engine = connect(db_url)
    upgrade(engine)
    t0 = datetime.now(UTC)
    try:
        for k in range(RUNS):
            asyncio.run(run_step(config, engine, sop, 9, clock=lambda: datetime.now(UTC), registry=registry))
            if k + 1 < RUNS:
                time.sleep(2)
    finally:
        sim.stop()
        router.stop()
    yield config, engine, t0, datetime.now(UTC)
    engine.dispose()


def _week(config, when: datetime) -> Week:
    return Week.containing(when.astimezone(config.office.zone).date())


def _rows(config, engine, t0: datetime, t1: datetime) -> dict[str, data.LinkRow]:
    with Session(engine) as s:
        week = _week(config, t0)
        start, end = week.bounds(config.office.zone)
        rows = data.link_rows(s, config, week.days(), start, end, min(end, t1 + timedelta(minutes=1)))
    return {r.link_id: r for r in rows}


def _count(engine, code: str, target: str) -> int:
    with Session(engine) as s:
        return s.scalar(
            select(func.count()).where(Finding.code == code, Finding.target == target, Finding.status != "ok")
        )


def test_the_queue_limit_and_saturation_reach_the_link_row(bed) -> None:
    config, engine, t0, t1 = bed
    rows = _rows(config, engine, t0, t1)
    dinkes, bappeda, uplink = rows["dinkes"], rows["bappeda"], rows["uplink-isp"]
    # The queue's limit as the agent read it from the REST API ("upload/download" turned the OPD's way).
    assert (dinkes.queue, dinkes.queue_limit_down_mbps, dinkes.queue_limit_up_mbps) == (
        "opd-dinkes",
        10.0,
        5.0,
    )
    assert (bappeda.queue, bappeda.queue_limit_down_mbps, bappeda.queue_limit_up_mbps) == (
        "opd-bappeda",
        4.0,
        2.0,
    )
    assert t0 <= bappeda.queue_limit_read_at <= t1
    # p95 against the limit, within 10 % of the animated rate.
    down_dinkes, down_bappeda = SIMPLE_QUEUES["opd-dinkes"][2], SIMPLE_QUEUES["opd-bappeda"][2]
    assert dinkes.bw_samples == RUNS - 1  # the first poll has no rate
    assert dinkes.down_p95_mbps == pytest.approx(down_dinkes, rel=0.1)
    assert dinkes.down_p95_limit_pct == pytest.approx(down_dinkes / 10 * 100, rel=0.1)
    assert dinkes.down_p95_pct == pytest.approx(down_dinkes / 10 * 100, rel=0.1)  # and the contract
    assert bappeda.down_p95_limit_pct == pytest.approx(down_bappeda / 4 * 100, rel=0.1)
    assert bappeda.down_p95_pct == pytest.approx(down_bappeda / 10 * 100, rel=0.1)
    # Saturation counted apart from under-delivery: our queue caps the OPD, not the provider.
    saturated = _count(engine, "queue_saturated", "bappeda")
    assert saturated >= 1 and bappeda.queue_saturated == saturated
    assert bappeda.under_delivery == 0
    assert bappeda.queue_limit_mismatch == _count(engine, "queue_limit_mismatch", "bappeda") >= 1
    assert (dinkes.queue_saturated, dinkes.queue_limit_mismatch, dinkes.under_delivery) == (0, 0, 0)
    # The interface-bound link keeps the queue fields empty.
    assert (uplink.queue, uplink.queue_limit_down_mbps, uplink.queue_limit_up_mbps) == (None, None, None)
    assert (uplink.down_p95_limit_pct, uplink.queue_saturated, uplink.queue_limit_mismatch) == (None, 0, 0)
    # In the exceptions as a kind of its own, not as under-delivery.
    with Session(engine) as s:
        report = data.build(s, config, _week(config, t0), t1 + timedelta(minutes=1))
    x = exceptions.pick(report, config.report)
    issue = next(i for i in x.links if i.row.link_id == "bappeda")
    assert (issue.queue_saturated, issue.under_delivered) == (True, False)
    assert ("queues", 1) in x.decisions()
    assert "dinkes" not in {i.row.link_id for i in x.links}


def test_the_runs_queue_details_are_the_record_and_keep_the_json_keys(bed) -> None:
    """What the agent wrote is records.SnmpRunDetails; each entry has every key of the
    `sigap check snmp --queues --json` line (nothing that read them before breaks)."""
    _config, engine, _t0, _t1 = bed
    with Session(engine) as s:
        details = s.scalars(
            select(StepRun.details).where(StepRun.agent == records.SNMP_BANDWIDTH).order_by(StepRun.id)
        ).all()
    assert len(details) == RUNS
    last = details[-1]
    keys = {"kind", "target", "device", "name", "type", "index", "download_bps", "upload_bps"}
    keys |= {"max_limit_down_mbps", "max_limit_up_mbps", "limit_at_down_mbps", "limit_at_up_mbps"}
    keys |= {"disabled", "parent", "direction", "direction_from", "link", "down_util_pct", "up_util_pct"}
    keys |= {"no_rate_reason", "status", "findings"}
    assert {q["name"] for q in last["queues"]} == {"opd-dinkes", "opd-bappeda"}
    for entry in last["queues"]:
        assert set(entry) == keys and entry["kind"] == "queue"
        assert {"code", "status", "message", "observed", "limit"} <= set(entry["findings"][0])
    parsed = {q.link: q for q in records.SnmpRunDetails.from_json(last).queues}
    assert parsed["bappeda"].as_json() == next(q for q in last["queues"] if q["link"] == "bappeda")
    assert "queue_saturated" in parsed["bappeda"].codes and parsed["bappeda"].limit_read
    assert last["devices"] and last["links"]  # the device and interface lines as before


def test_a_limit_never_read_is_none_and_the_newest_reading_wins(bed) -> None:
    """Runs whose API failed (limits null) do not hide the last reading; before any run, none."""
    config, engine, t0, t1 = bed
    with Session(engine) as s:
        found = queue_readings(s, config, t0 - timedelta(hours=1), t1 + timedelta(minutes=1))
        newest = s.scalar(select(func.max(StepRun.started_at)).where(StepRun.agent == records.SNMP_BANDWIDTH))
        none = queue_readings(s, config, t0 - timedelta(hours=2), t0 - timedelta(hours=1))
    assert set(found) == {"dinkes", "bappeda"} and none == {}
    entry, at = found["bappeda"]
    assert entry.max_limit_down_mbps == 4.0 and at.replace(tzinfo=None) == newest.replace(tzinfo=None)


# --- the renderings ---------------------------------------------------------------------------


def _produce(bed, formats: tuple[str, ...], lang: str | None = None):
    config, engine, t0, t1 = bed
    registry = load_registry()
    return weekly_report.produce(
        config, registry, engine, _week(config, t0), t1 + timedelta(minutes=1), formats=formats, lang=lang
    )


def test_the_html_shows_the_queue_column(bed) -> None:
    html = _produce(bed, ("html",)).files["html"].read_text(encoding="utf-8")
    assert "<th>Antrean</th>" in html and "<th>P95 / batas antrean (%)</th>" in html
    assert "opd-bappeda" in html and "4 / 2 Mbps" in html and "10 / 5 Mbps" in html
    # In the exceptions as their own kind: the decision, the section's sentence, the row's issue.
    assert "1 tautan tertahan pada batas antrean MikroTik kita sendiri" in html
    assert "dibatasi oleh antrean kita, bukan oleh penyedia" in html
    assert "<td>dibatasi antrean sendiri</td>" in html  # not "di bawah kontrak"
    assert "dibatasi antrean sendiri (" in html  # the full table (appendix): with the count
    english = _produce(bed, ("html",), "en").files["html"].read_text(encoding="utf-8")
    assert "<th>Queue</th>" in english and "<th>P95 / queue limit (%)</th>" in english
    assert "capped by our own queue" in english


@needs_poppler
def test_the_pdf_shows_the_queue_column(bed) -> None:
    config, engine, t0, t1 = bed
    pct = _rows(config, engine, t0, t1)["bappeda"].down_p95_limit_pct
    pdf = _produce(bed, ("pdf",)).files["pdf"]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    # A narrow cell wraps its text (and breaks "opd-bappeda" at the hyphen): read it squashed.
    squashed = "".join(text.split()).replace("-", "")
    assert "Antrean" in text and "batasantrean" in squashed  # the headers (their lines interleave)
    assert "opdbappeda4/2Mbps" in squashed and "opddinkes10/5Mbps" in squashed
    assert f"{pct:.1f}".replace(".", ",") in text  # p95 against the queue's limit
    assert "dibatasiantreansendiri" in squashed


def test_the_workbook_has_the_queue_cells(bed) -> None:
    config, engine, t0, t1 = bed
    rows = _rows(config, engine, t0, t1)
    book = load_workbook(_produce(bed, ("xlsx",)).files["xlsx"])
    sheet = book["Ketersediaan dan Utilisasi Taut"]
    header = [c.value for c in sheet[1]]
    assert header[13:19] == [
        "Antrean",
        "Batas antrean unduh (Mbps)",
        "Batas antrean unggah (Mbps)",
        "P95 / batas antrean (%)",
        "Antrean jenuh",
        "Batas antrean ≠ kontrak",
    ]
    lines = {line[1]: line for line in ([c.value for c in r] for r in sheet.iter_rows(min_row=2))}
    bappeda = lines["bappeda"]
    assert bappeda[13:16] == ["opd-bappeda", 4.0, 2.0]
    assert bappeda[16] == pytest.approx(rows["bappeda"].down_p95_limit_pct)
    assert bappeda[17] == rows["bappeda"].queue_saturated >= 1
    assert sheet.cell(2 + list(lines).index("bappeda"), 17).number_format == "0.0"
    assert lines["uplink-isp"][13:19] == [None] * 6  # an interface-bound link: empty cells


# --- the record, read from an older run ----------------------------------------------------------


def test_an_older_runs_details_read_without_the_new_keys() -> None:
    # Before the queues: devices and links only.
    old = records.SnmpRunDetails.from_json({"devices": [{"kind": "device"}], "links": []})
    assert old.queues == [] and old.devices == [{"kind": "device"}]
    assert records.SnmpRunDetails.from_json(None).queues == []
    # An entry from a writer that had no limit_at, direction_from or findings' observed/limit yet.
    (entry,) = records.SnmpRunDetails.from_json(
        {
            "queues": [
                {
                    "kind": "queue",
                    "name": "opd-dinkes",
                    "type": "simple",
                    "link": "dinkes",
                    "download_bps": 4000000,
                    "max_limit_down_mbps": 10,
                    "findings": [{"code": "queue_contract", "status": "ok"}],
                    "something_newer": 1,
                }
            ]
        }
    ).queues
    assert (entry.name, entry.link, entry.max_limit_down_mbps, entry.max_limit_up_mbps) == (
        "opd-dinkes",
        "dinkes",
        10.0,
        None,
    )
    assert (entry.limit_at_down_mbps, entry.direction_from, entry.upload_bps) == (None, None, None)
    assert entry.codes == ["queue_contract"] and entry.findings[0].observed is None
    assert entry.limit_read
    unread = records.QueueLinkRow.from_json({"name": "q", "max_limit_down_mbps": None})
    assert not unread.limit_read and unread.kind == "queue"
