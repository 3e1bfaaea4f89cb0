"""The website agent end to end: `sigap check web`, `sigap run ... --once`, step runs and cases."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers.cli import sigap
from helpers.websites import news_page, write_config
from helpers.websrv import Site, ThreadedWebServer
from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.config import load_config
from agents.runner import run_step
from sop_registry.ledger import Case, CaseEvent, StepRun, connect, upgrade
from sop_registry.loader import load_registry


def test_check_web_json_contract_and_exit_codes() -> None:
    now = datetime.now(UTC)
    sites = {
        "127.0.30.1": Site().add("/", news_page(now - timedelta(days=1))),
        "127.0.30.2": Site().add("/", news_page(now - timedelta(days=60))),
        "127.0.30.3": Site().add("/", b"", status=503),
    }
    with ThreadedWebServer(sites) as srv:
        urls = [srv.url(h) for h in sites]
        result = sigap(
            "--lang", "id", "check", "web", *urls, "--json", "--timeout", "3", "--timezone", "Asia/Makassar"
        )
        table = sigap("check", "web", *urls, "--timeout", "3")
    assert result.returncode == 0, result.stderr  # stale sites are a result, not an error
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["target"] for r in lines] == urls
    for r in lines:
        assert {
            "target",
            "status",
            "latest_published",
            "source",
            "item_url",
            "age_days",
            "agenda_updated",
            "findings",
        } <= set(r)
        for f in r["findings"]:
            assert {"code", "message", "observed", "limit"} <= set(f)
    assert [r["status"] for r in lines] == ["ok", "crit", "unknown"]
    assert lines[0]["source"] == "html:label"
    assert lines[0]["item_url"].endswith("/berita/kunjungan-kerja-bupati-ke-puskesmas")
    assert datetime.fromisoformat(lines[0]["latest_published"]).utcoffset() == timedelta(hours=8)  # WITA
    assert lines[1]["age_days"] in (59, 60, 61)
    assert "melewati batas 30 hari" in lines[1]["findings"][0]["message"]
    assert table.returncode == 0
    assert "CRIT" in table.stdout and "melewati batas 30 hari" in table.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["check", "web", "ftp://127.0.0.1/"], "argument URL"),
        (["check", "web"], "URL"),
        (["check", "web", "http://127.0.0.1:1/", "--timezone", "Mars/Base"], "--timezone"),
        (
            ["check", "web", "http://127.0.0.1:1/", "--warn-after-days", "10", "--crit-after-days", "5"],
            "--crit-after-days",
        ),
    ],
)
def test_check_web_bad_arguments_exit_2(args: list[str], needle: str) -> None:
    result = sigap(*args)
    assert result.returncode == 2
    assert needle in result.stderr


def test_run_once_records_the_step_and_opens_then_resolves_cases(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    fresh, stale = Site().add("/", news_page(now)), Site().add("/", news_page(now - timedelta(days=20)))
    sites = {"127.0.31.1": fresh, "127.0.31.2": stale}
    with ThreadedWebServer(sites) as srv:
        config = write_config(tmp_path, [srv.url(h) for h in sites])
        first = sigap("--config", str(config), "run", "kaltim-monitoring-website", "--once")
        assert first.returncode == 0, first.stderr
        assert "1 dibuka" in first.stdout
        stale.add("/", news_page(now))  # the OPD publishes
        second = sigap("--config", str(config), "run", "kaltim-monitoring-website", "--once")
        assert second.returncode == 0, second.stderr
        assert "1 selesai" in second.stdout
    engine = connect(f"sqlite:///{tmp_path / 'state' / 'sigap.db'}")
    with Session(engine) as s:
        every = s.scalars(select(StepRun).order_by(StepRun.id)).all()
        runs = [r for r in every if r.measured_by_run_id is None]
        # both runs are "warn": the test pages lack PPID, agenda, kontak... (content_incomplete)
        assert [(r.sop_id, r.step_no, r.status, r.trigger) for r in runs] == [
            ("kaltim-monitoring-website", 2, "warn", "manual"),
            ("kaltim-monitoring-website", 2, "warn", "manual"),
        ]
        # The Polewali Mandar steps that ask the same question on the same Monday share each crawl:
        # a step run each as evidence, pointing at the run that measured, with no findings of its own.
        shared = [
            (r.sop_id, r.step_no, r.status, r.measured_by_run_id) for r in every if r.measured_by_run_id
        ]
        assert shared == [
            (sop, step, "warn", run.id)
            for run in runs
            for sop, step in (("polman-03", 6), ("polman-05", 4), ("polman-07", 3))
        ]
        assert not any(r.findings for r in every if r.measured_by_run_id)
        assert [f.status for f in runs[1].findings if f.code.startswith("content_f")] == ["ok", "ok"]
        assert {f.code for f in runs[1].findings if f.status == "warn"} == {"content_incomplete"}
        assert runs[0].output_kind == "laporan_rekapitulasi"
        recap = Path(runs[0].output_ref).read_text(encoding="utf-8-sig")
        assert "OPD 1" in recap and "Umur (hari)" in recap
        assert runs[0].within_time_standard is True  # well inside the step's 120 menit
        codes = sorted(
            (f.target, f.code, f.status) for f in runs[0].findings if f.code.startswith("content_")
        )
        assert (srv.url("127.0.31.2"), "content_stale", "warn") in codes
        case = s.scalars(select(Case)).one()
        # The SOP's next step (3: Bidang Aptika receives the report) acts; the site's admin hears too.
        assert (case.target, case.state, case.assignee_role, case.current_step_no) == (
            srv.url("127.0.31.2"),
            "resolved",
            "Bidang Aptika",
            3,
        )
        assert case.details["agent_role"] == "Admin Website OPD"
        assert (
            case.title.startswith("OPD 1: Berita/artikel terbaru 2") and "melewati batas 7 hari" in case.title
        )
        kinds = [e.kind for e in s.scalars(select(CaseEvent).order_by(CaseEvent.seq))]
        assert kinds == ["opened", "resolved"]
    engine.dispose()


def test_runner_on_both_databases(db_url: str, tmp_path: Path) -> None:
    """In-process with a fixed clock: a site that goes down keeps one open case, updated each run."""
    now = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # Monday 08:00 WITA
    down = Site().add("/", b"", status=502)
    with ThreadedWebServer({"127.0.32.1": down}) as srv:
        config = load_config(write_config(tmp_path, [srv.url("127.0.32.1")], db_url))
        config = config.model_copy(
            update={
                "web": config.web.model_copy(
                    update={"crawl": config.web.crawl.model_copy(update={"backoff_s": 0.01, "timeout_s": 3})}
                )
            }
        )
        sop = load_registry(()).sops["kaltim-monitoring-website"]
        engine = connect(db_url)
        upgrade(engine)
        try:
            results = [asyncio.run(run_step(config, engine, sop, 2, clock=lambda: now)) for _ in range(2)]
            with Session(engine) as s:
                case = s.scalars(select(Case)).one()
                assert case.state == "open"
                assert [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))] == [
                    "opened",
                    "failed_again",
                ]
                finding = s.scalars(select(StepRun)).first().findings[0]
                assert (finding.code, finding.status) == ("site_http_error", "unknown")
                assert "HTTP 502" in finding.message_id and "HTTP error 502" in finding.message_en
        finally:
            engine.dispose()
    assert [(r.status, r.cases_opened, r.cases_updated) for r in results] == [
        ("unknown", 1, 0),
        ("unknown", 0, 1),
    ]


def test_run_bad_arguments(tmp_path: Path) -> None:
    config = write_config(tmp_path, ["http://127.0.0.1:1/"])
    for args, needle in [
        (["run", "polman-01", "--once"], "no automated step"),
        (["run", "kaltim-monitoring-website", "--step", "1", "--once"], "human step"),
        (["run", "kaltim-monitoring-website", "--step", "9", "--once"], "no step 9"),
        (["run", "tidak-ada", "--once"], "unknown SOP"),
        (["run", "kaltim-monitoring-website"], "--once"),
    ]:
        result = sigap("--config", str(config), *args)
        assert result.returncode == 2, (args, result.stderr)
        assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
