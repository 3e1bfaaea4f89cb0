"""SOP: the office's SOP set (only its selected SOPs), each step's pelaksana, waktu and output, the
check that performs it, and this week's runs and SLA as the weekly report counts them."""

from __future__ import annotations

import re

import pytest
from helpers.console import make_world

from agents.console import home


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home._cache.clear()
    tmp = tmp_path_factory.mktemp("sop")
    w = make_world(tmp, f"sqlite:///{tmp / 'ledger.db'}", report=False)
    yield w
    w.close()


def _step(page: str, anchor: str) -> str:
    found = re.search(rf'<li class="step[^"]*" id="{anchor}">(.*?)</li>', page, re.S)
    assert found, anchor
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_the_office_sop_set_with_checks_runs_and_sla(world):
    client, _ = world.login("kabid")
    page = client.get("/sop").text
    assert re.findall(r'<section class="card sop" id="([\w-]+)">', page) == [
        "polman-15",
        "kaltim-monitoring-website",
    ]
    crawl = _step(page, "kaltim-monitoring-website-2")
    assert "dikerjakan oleh pemeriksaan web_freshness" in crawl and "Senin" in crawl
    assert "1 kali dijalankan, 1 selesai, 0 dilewati, 0 gagal" in crawl
    first = _step(page, "polman-15-1")
    assert "Pelaksana: Perangkat Daerah" in first and "5 Menit" in first and "Aduan gangguan" in first
    assert "dikerjakan oleh pemeriksaan link" in first
    second = _step(page, "polman-15-2")
    assert "dikerjakan oleh" not in second and "2 berjalan" in second


def test_an_opd_admin_reads_the_steps_without_the_office_figures(world):
    client, _ = world.login("opda")
    page = client.get("/sop").text
    assert "Pelaksana" in page and "kali dijalankan" not in page and "SLA minggu ini" not in page
