"""Ringkasan: the week's tiles as the weekly report computes them, SOP steps due and overdue, open
cases by SLA time left, and the last run of every scheduled step against its waktu."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers.console import HOSTILE, NOW, make_world
from sqlalchemy.orm import Session

from agents.console import home
from reports import data as report_data
from reports import summary, texts
from reports.fmt import Formatter
from reports.period import Week


@pytest.fixture
def world(tmp_path):
    home._cache.clear()
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", report=False)
    yield w
    w.close()


def _main(html: str) -> str:
    return html.split('<main id="main">')[1]


def test_the_tiles_are_the_reports_own(world):
    client, _ = world.login("kabid")
    page = client.get("/").text
    with Session(world.engine) as session:
        report = report_data.build(session, world.config, Week.parse("2026-W49"), world.clock())
    office = world.config.office
    expected = summary.tiles(report, Formatter("id", office.zone, office.zone_label), texts.get("id"))
    shown = re.findall(r'<li class="tile"><span class="n">([^<]*)</span> ([^<]*)</li>', page)
    assert shown == [(t["value"], t["label"]) for t in expected]
    assert "minggu masih berjalan" in page


def test_due_then_overdue_by_sla_time_left(world):
    client, _ = world.login("tek")
    page = _main(client.get("/").text)
    assert 'Langkah SOP jatuh tempo dalam 24 jam <span class="count">(3)' in page
    assert HOSTILE not in page and "&lt;script&gt;" in page
    world.clock.advance(hours=2)
    client, _ = world.login("tek")  # the first login has been idle too long
    page = _main(client.get("/").text)
    assert 'Langkah SOP terlambat <span class="count">(3)' in page
    assert "lewat" in page or "terlambat" in page


def test_scheduled_steps_last_run_and_waktu(world):
    client, _ = world.login("admin")
    page = _main(client.get("/").text)
    row = re.search(r"kaltim-monitoring-website:2</a>.*?</tr>", page, re.S).group(0)
    assert "kritis" in row and "sesuai waktu" in row and "7 Desember 2026 07.00 WITA" in row
    link = re.search(r"polman-15:1</a>.*?</tr>", page, re.S).group(0)
    assert "belum pernah berjalan" in link
    # a week on, Monday's crawl has not run: the schedule time passed beyond its grace
    world.clock.advance(days=7, hours=2)
    client, _ = world.login("admin")
    page = _main(client.get("/").text)
    row = re.search(r'<tr class="overdue">\s*<td><a href="/sop#kaltim-monitoring-website-2"', page)
    assert row and "jadwal terlewat" in page


def test_an_opd_admin_sees_its_own_cases_and_no_office_figures(world):
    client, _ = world.login("opda")
    page = _main(client.get("/").text)
    assert "summary-tiles" not in page and "Langkah terjadwal" not in page
    assert "opd-a" in page and "opd-b" not in page and "Dinas Perhubungan" not in page


def test_the_tiles_are_built_once_a_minute(world, monkeypatch):
    calls = []
    real = report_data.build
    monkeypatch.setattr(home.report_data, "build", lambda *a: calls.append(1) or real(*a))
    client, _ = world.login("admin")
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert len(calls) == 1
    monkeypatch.setattr(home, "TILE_TTL_S", 0.0)
    client.get("/")
    assert len(calls) == 2
    assert NOW - timedelta(days=1) < world.clock()
