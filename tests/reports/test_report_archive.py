"""The archive of a week's report: what was sent or approved is never written again (a new rendering
is the next revision beside it), a draft is rendered over in place, a failing --out writes nothing.

Everything goes through the real writers: produce, deliver and approve, or the `sigap report`
commands, against a ledger filled with the known week and a real SMTP server on loopback."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from helpers.cli import sigap_with as sigap
from helpers.netservers import free_port
from helpers.reportfill import GENERATED, config_data, fill_full_week, make_config
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents import weekly_report
from reports.period import Week
from sop_registry.ledger import connect, upgrade
from sop_registry.ledger.models import StepRun
from sop_registry.loader import load_registry

W47 = Week(2026, 47)
LATER = GENERATED + timedelta(days=2)
R1 = [f"laporan-mingguan-2026-W47.{fmt}" for fmt in ("html", "pdf", "xlsx")]
R2 = [f"laporan-mingguan-2026-W47-r2.{fmt}" for fmt in ("html", "pdf", "xlsx")]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture
def ledger(tmp_path, registry):
    engine = connect(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    fill_full_week(engine, registry)
    yield engine
    engine.dispose()


def smtp_settings(port: int) -> dict:
    return {
        "recipients": ["kabid.aptika@kab.test"],
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "sender": "sigap@kab.test"},
    }


def snapshot(directory: Path) -> dict:
    """Every file of the week's directory with its bytes and mtime, and the directory's own mtime."""
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}
    return {"dir_mtime": directory.stat().st_mtime_ns, "files": files}


def meta(directory: Path) -> dict:
    return json.loads((directory / "meta.json").read_text(encoding="utf-8"))


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


# --- through the functions -----------------------------------------------------------------------


def test_a_sent_week_rendered_again_keeps_what_was_sent_and_adds_revision_2(
    mailbox, ledger, tmp_path, registry
):
    box, port = mailbox
    config = make_config(tmp_path, report=smtp_settings(port))
    first = weekly_report.produce(config, registry, ledger, W47, GENERATED)
    weekly_report.deliver(config, registry, ledger, W47, GENERATED + timedelta(minutes=1))
    sent = snapshot(first.directory)["files"]

    again = weekly_report.produce(config, registry, ledger, W47, LATER)

    assert again.revision == 2 and again.directory == first.directory
    assert sorted(p.name for p in again.files.values()) == R2
    after = snapshot(first.directory)["files"]
    assert {name: after[name] for name in R1} == {name: sent[name] for name in R1}  # bytes and mtimes
    record = meta(first.directory)
    assert record["latest"] == 2
    assert [r["revision"] for r in record["revisions"]] == [1, 2]
    assert sorted(record["revisions"][1]["files"].values()) == R2
    assert [(s["revision"], s["ok"]) for s in record["sends"]] == [(1, True)]
    assert sorted(record["sends"][0]["files"]) == sorted(["laporan-mingguan-2026-W47.html", *R1[1:]])
    html = again.files["html"].read_text(encoding="utf-8")
    assert "Minggu ke-47 tahun 2026, revisi 2" in html
    # what the Kepala Bidang received is still what the archive's revision 1 holds
    _, message = box.messages[0]
    assert attachments(message)[R1[1]] == sent[R1[1]][0]


def test_an_approved_week_rendered_again_keeps_the_approved_revision(ledger, tmp_path, registry):
    config = make_config(tmp_path)
    first = weekly_report.produce(config, registry, ledger, W47, GENERATED)
    weekly_report.approve(config, registry, ledger, W47, "Ir. Andi Basri", GENERATED, "lanjutkan")
    approved = snapshot(first.directory)["files"]

    again = weekly_report.produce(config, registry, ledger, W47, LATER)

    assert again.revision == 2
    after = snapshot(first.directory)["files"]
    assert {name: after[name] for name in R1} == {name: approved[name] for name in R1}
    assert sorted(name for name in after if name != "meta.json") == sorted(R1 + R2)
    record = meta(first.directory)
    assert record["latest"] == 2 and record["sends"] == []
    assert record["approval"]["by"] == "Ir. Andi Basri" and record["approval"]["revision"] == 1
    # the new revision does not claim an approval it never had
    html = again.files["html"].read_text(encoding="utf-8")
    assert "Disetujui oleh Ir. Andi Basri" in html and "(revisi 1 laporan ini)" in html
    with Session(ledger) as s:
        run = s.scalars(select(StepRun).where(StepRun.agent == "approval")).one()
    assert run.details["revision"] == 1


def test_a_draft_week_is_rendered_over_in_place_even_after_a_failed_send(ledger, tmp_path, registry):
    closed = free_port()  # nothing listens: the send fails, nobody received anything
    config = make_config(tmp_path, report=smtp_settings(closed))
    first = weekly_report.produce(config, registry, ledger, W47, GENERATED)
    with pytest.raises(OSError):
        weekly_report.deliver(config, registry, ledger, W47, GENERATED)
    before = snapshot(first.directory)["files"]

    again = weekly_report.produce(config, registry, ledger, W47, LATER)

    assert again.revision == 1 and again.files == first.files
    names = sorted(p.name for p in first.directory.iterdir())
    assert names == sorted([*R1, "meta.json"])  # no r2, no temporary file left behind
    assert again.files["html"].read_bytes() != before[R1[0]][0]  # made again: a new "Dibuat" time
    record = meta(first.directory)
    assert record["latest"] == 1 and len(record["revisions"]) == 1
    assert record["revisions"][0]["generated_at"] == LATER.isoformat()
    assert [(s["revision"], s["ok"]) for s in record["sends"]] == [(1, False)]


def test_a_send_the_ledger_recorded_keeps_its_revision_even_if_meta_json_is_lost(
    mailbox, ledger, tmp_path, registry
):
    """The ledger's step-2 run is committed before meta.json records the send: a crash between
    them, or a lost meta.json, must not open the sent report to being written over."""
    _box, port = mailbox
    config = make_config(tmp_path, report=smtp_settings(port))
    first = weekly_report.produce(config, registry, ledger, W47, GENERATED)
    weekly_report.deliver(config, registry, ledger, W47, GENERATED)
    (first.directory / "meta.json").unlink()
    sent = snapshot(first.directory)["files"]

    again = weekly_report.produce(config, registry, ledger, W47, LATER)

    assert again.revision == 2
    after = snapshot(first.directory)["files"]
    assert {name: after[name] for name in R1} == sent


def test_rendering_a_draft_in_fewer_formats_drops_its_other_files(ledger, tmp_path, registry):
    """A revision is one rendering: a send must not mix this HTML with the PDF of an earlier one."""
    config = make_config(tmp_path)
    first = weekly_report.produce(config, registry, ledger, W47, GENERATED, formats=("html", "xlsx"))
    weekly_report.produce(config, registry, ledger, W47, LATER, formats=("html",))
    assert sorted(p.name for p in first.directory.iterdir()) == sorted([R1[0], "meta.json"])
    assert meta(first.directory)["revisions"][0]["files"] == {"html": R1[0]}


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_archive_files_are_0640_and_directories_0750_whatever_the_umask(ledger, tmp_path, registry, umask):
    config = make_config(tmp_path)
    previous = os.umask(umask)
    try:
        produced = weekly_report.produce(config, registry, ledger, W47, GENERATED, formats=("html", "xlsx"))
        weekly_report.approve(config, registry, ledger, W47, "Ir. Andi Basri", GENERATED, None)
        weekly_report.produce(config, registry, ledger, W47, LATER, formats=("html",))
    finally:
        os.umask(previous)
    directory = produced.directory
    for d in (directory, directory.parent):
        assert stat.S_IMODE(d.stat().st_mode) == 0o750, d
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}
    assert len(modes) == 4 and set(modes.values()) == {0o640}, modes


# --- through the commands ------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path, registry, mailbox):
    """A config file whose ledger holds the known week, and the mailbox its reports go to."""
    data = config_data(tmp_path)
    data["database"] = {"url": f"sqlite:///{tmp_path / 'cli.db'}"}
    data["report"] = smtp_settings(mailbox[1])
    path = tmp_path / "sigap.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    engine = connect(data["database"]["url"])
    upgrade(engine)
    fill_full_week(engine, registry)
    engine.dispose()
    return path, tmp_path / "state" / "reports" / "2026-W47", mailbox[0], data["database"]["url"]


def _step_runs(url: str) -> list[tuple]:
    engine = connect(url)
    with Session(engine) as s:
        rows = [(r.id, r.step_no, r.agent, r.status) for r in s.scalars(select(StepRun).order_by(StepRun.id))]
    engine.dispose()
    return rows


@pytest.mark.parametrize("sent", [True, False], ids=["sent", "draft"])
@pytest.mark.parametrize("where", ["/proc/x/report.pdf", "{tmp}/no/such/dir", "/proc"])
def test_an_out_that_cannot_be_written_writes_nothing_anywhere(cli, tmp_path, sent, where):
    config, directory, _box, url = cli
    made = sigap(config, "report", "weekly", "--week", "2026-W47", *(["--send"] if sent else []))
    assert made.returncode == 0, made.stderr
    before, runs = snapshot(directory), _step_runs(url)
    out = where.format(tmp=tmp_path)

    result = sigap(config, "report", "weekly", "--week", "2026-W47", "--format", "html", "--out", out)

    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"sigap: error: --out: {out}: ")
    assert result.stdout == ""
    assert snapshot(directory) == before  # no file, no byte, no mtime changed; meta.json neither
    assert _step_runs(url) == runs  # and no archive step recorded
    assert not (tmp_path / "no").exists()


def test_sending_after_a_rerender_sends_revision_2_and_records_it(cli):
    config, directory, box, url = cli
    week = "2026-W47"
    assert sigap(config, "report", "weekly", "--week", week, "--send").returncode == 0
    remade = sigap(config, "report", "weekly", "--week", week, "--json")
    assert remade.returncode == 0, remade.stderr
    assert json.loads(remade.stdout)["revision"] == 2

    resend = sigap(config, "report", "send", "--week", week)
    assert resend.returncode == 0, resend.stderr
    _, message = box.messages[-1]
    got = attachments(message)
    assert sorted(got) == [R2[1], R2[2]]
    assert got[R2[1]] == (directory / R2[1]).read_bytes()
    assert "revisi 2" in message["Subject"]
    record = meta(directory)
    assert [(s["revision"], s["ok"]) for s in record["sends"]] == [(1, True), (2, True)]
    assert sorted(record["sends"][1]["files"]) == sorted(R2)
    engine = connect(url)
    with Session(engine) as s:
        sends = list(s.scalars(select(StepRun).where(StepRun.step_no == 2, StepRun.agent == "weekly_report")))
    engine.dispose()
    assert [r.details["revision"] for r in sends] == [1, 2]

    # the earlier revision can still be sent on purpose, as it was
    old = sigap(config, "report", "send", "--week", week, "--revision", "1", "--to", "arsip@kab.test")
    assert old.returncode == 0, old.stderr
    assert sorted(attachments(box.messages[-1][1])) == [R1[1], R1[2]]
    assert meta(directory)["sends"][-1]["revision"] == 1

    approved = sigap(config, "report", "approve", "--week", week, "--revision", "2", "--by", "Ir. Andi Basri")
    assert approved.returncode == 0, approved.stderr
    assert meta(directory)["approval"]["revision"] == 2

    listed = sigap(config, "report", "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [[week, "r2 (terbaru)"], [week, "r1"]]
    assert "dikirim 1x" in listed[0] and "disetujui Ir. Andi Basri" in listed[0]
    assert "dikirim 2x" in listed[1] and "belum disetujui" in listed[1]
    rows = json.loads(sigap(config, "report", "list", "--json").stdout)
    assert rows[0]["latest"] == 2 and [r["revision"] for r in rows[0]["revisions"]] == [1, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["report", "send", "--week", "2026-W47", "--revision", "3"],
            "--revision: 2026-W47 has no revision 3",
        ),
        (["report", "send", "--week", "2026-W47", "--revision", "x"], "--revision: 'x' is not a revision"),
        (["report", "approve", "--week", "2026-W47", "--revision", "0", "--by", "X"], "--revision: '0'"),
    ],
)
def test_a_revision_that_is_not_there_exits_2_with_one_line(cli, args, message):
    config, _directory, box, _url = cli
    assert sigap(config, "report", "weekly", "--week", "2026-W47", "--format", "html").returncode == 0
    result = sigap(config, *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert box.messages == []


def test_an_archive_from_before_revisions_reads_as_revision_1(ledger, tmp_path, registry):
    """The one hand-written record here: the shape the writer before revisions left (files a flat
    list, sends and approval without a revision). Its files are revision 1, already sent."""
    config = make_config(tmp_path)
    produced = weekly_report.produce(config, registry, ledger, W47, GENERATED)
    legacy = {
        "week": "2026-W47",
        "generated_at": GENERATED.isoformat(),
        "language": "id",
        "files": R1,
        "summary": [{"label": "Situs segar", "value": "0 / 2"}],
        "sends": [{"at": GENERATED.isoformat(), "ok": True, "to": ["kabid.aptika@kab.test"], "refused": {}}],
    }
    (produced.directory / "meta.json").write_text(json.dumps(legacy))
    original = produced.files["pdf"].read_bytes()

    again = weekly_report.produce(config, registry, ledger, W47, LATER)

    assert again.revision == 2 and produced.files["pdf"].read_bytes() == original
    record = meta(produced.directory)
    assert record["revisions"][0]["files"] == dict(zip(("html", "pdf", "xlsx"), R1, strict=True))
    assert record["sends"][0]["revision"] == 1
